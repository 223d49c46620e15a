"""Wrong lines that look valid, as data: the faults int_prop_quote_outliers must catch, written
into one oddsapi snapshot (README "Wrong lines").

Each fault names one bookmaker's market for one player in the snapshot:

- `swapped_line`: two players' lines of the same market swapped (a line keyed to the wrong
  player or game). Both quotes are wrong, so it flags two quotes.
- `stale_price`: the book's prices at its line frozen from before the market moved: they imply
  a P(over) far from the other books' at the same line (`stale_over`, `stale_under`).
- `decimal_as_american`: a decimal price written into the American field with its decimal
  point lost (1.91 sent as 191, where -110 belongs). A literal 1.91 never gets this far: ingest
  quarantines |American| < 100; 191 passes as a valid-looking +191, and only the two sides'
  implied probabilities (0.34 + 0.34) give it away.

`faulted_snapshot` returns a delta snapshot a minute after the original: only the faulted
players' outcomes of the faulted bookmakers' markets, faults applied, so every other quote of
the day keeps its board and its best line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

FaultKind = Literal["swapped_line", "stale_price", "decimal_as_american"]
KINDS: tuple[FaultKind, ...] = ("swapped_line", "stale_price", "decimal_as_american")
#: The reason int_prop_quote_outliers gives each fault.
EXPECTED_REASON: dict[FaultKind, str] = {
    "swapped_line": "line_off_consensus",
    "stale_price": "prob_off_consensus",
    "decimal_as_american": "implausible_price",
}
STAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class WrongLine:
    """One fault: `book`'s `market` for `player` in event `event_id`. A swap names the other
    player (`other_event_id`, `other_player`); a stale price says which side it makes the
    favourite (`stale_over`: the over at -800, else the under)."""

    kind: FaultKind
    event_id: str
    book: str
    market: str
    player: str
    other_event_id: str | None = None
    other_player: str | None = None
    stale_over: bool = True

    def quotes(self) -> list[tuple[str, str]]:
        """The (event_id, player) quotes of the book's market this fault makes wrong."""
        own = [(self.event_id, self.player)]
        if self.kind == "swapped_line":
            return [*own, (self.other_event_id or self.event_id, self.other_player or "")]
        return own


def decimal_as_american(american: int) -> int:
    """The American price a decimal quote turns into when its decimal point is lost: -110
    (decimal 1.91) -> 191, +150 (2.50) -> 250."""
    decimal = 1 + (american / 100 if american > 0 else 100 / -american)
    return round(decimal * 100)


def _outcomes(doc: dict, event_id: str, book: str, market: str) -> list[dict]:
    for event in doc["data"]:
        if event["id"] != event_id:
            continue
        for bookmaker in event["bookmakers"]:
            if bookmaker["key"] != book:
                continue
            for quoted in bookmaker["markets"]:
                if quoted["key"] == market:
                    return quoted["outcomes"]
    raise KeyError(f"no {book} {market} market in event {event_id}")


def _player_outcomes(outcomes: list[dict], player: str) -> list[dict]:
    found = [o for o in outcomes if o.get("description") == player]
    if not found:
        raise KeyError(f"no outcome for {player!r}")
    return found


def apply_fault(doc: dict, fault: WrongLine) -> None:
    """Apply one fault to an oddsapi snapshot document, in place."""
    mine = _player_outcomes(_outcomes(doc, fault.event_id, fault.book, fault.market), fault.player)
    if fault.kind == "swapped_line":
        other_event = fault.other_event_id or fault.event_id
        outcomes = _outcomes(doc, other_event, fault.book, fault.market)
        theirs = _player_outcomes(outcomes, fault.other_player or "")
        mine_line, their_line = mine[0]["point"], theirs[0]["point"]
        for outcome in mine:
            outcome["point"] = their_line
        for outcome in theirs:
            outcome["point"] = mine_line
    elif fault.kind == "stale_price":
        for outcome in mine:
            favourite = (outcome["name"] == "Over") == fault.stale_over
            outcome["price"] = -800 if favourite else 500
    else:
        for outcome in mine:
            outcome["price"] = decimal_as_american(int(outcome["price"]))


def faulted_snapshot(doc: dict, faults: list[WrongLine], delay: timedelta) -> dict:
    """A delta snapshot `delay` after `doc`: the faulted quotes only, faults applied."""
    faulted = copy.deepcopy(doc)
    for fault in faults:
        apply_fault(faulted, fault)
    keep = {(fault.book, fault.market, event, player) for fault in faults
            for event, player in fault.quotes()}  # fmt: skip
    at = datetime.strptime(doc["timestamp"], STAMP) + delay
    data = []
    for event in faulted["data"]:
        bookmakers = []
        for bookmaker in event["bookmakers"]:
            markets = []
            for quoted in bookmaker["markets"]:
                outcomes = [o for o in quoted["outcomes"]
                            if (bookmaker["key"], quoted["key"], event["id"], o.get("description"))
                            in keep]  # fmt: skip
                if outcomes:
                    markets.append({**quoted, "last_update": at.strftime(STAMP),
                                    "outcomes": outcomes})  # fmt: skip
            if markets:
                bookmakers.append({**bookmaker, "last_update": at.strftime(STAMP),
                                   "markets": markets})  # fmt: skip
        if bookmakers:
            data.append({**event, "bookmakers": bookmakers})
    return {
        "timestamp": at.strftime(STAMP),
        "previous_timestamp": doc["timestamp"],
        "next_timestamp": doc.get("next_timestamp"),
        "data": data,
    }
