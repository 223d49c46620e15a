"""Reading a file of placed bets (`propcast bets import`, `propcast bets add`).

A bookmaker's bet-history export names its columns its own way: seeds/bet_history_column_map.csv
maps each export shape (`book_format`) to the ledger's columns. The text is read by
propcast.vendors.messycsv (BOM, CRLF, `,` `;` tab `|`, cp1252) and checked column-wise with the
imports' helpers (dates, numbers with a decimal comma or a typographic minus, EVEN); a bad row
is refused with its reason while the others load. Prices come American (-110, +150, EVEN) or
decimal (1.91, 2,10): a number of 100 or more in size (or signed) is American, one between 1.01
and 100 is decimal. Team and player names are kept as written: staging normalises them.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from propcast.settings import PROJECT_DIR
from propcast.vendors.base import RejectedRow, UnparseablePayload, blank, first_failure
from propcast.vendors.imports import exact_duplicates, numbers, parse_dates
from propcast.vendors.messycsv import normalize_header, read_table
from propcast.vendors.sanity import MAX_AMERICAN_ODDS

COLUMN_MAP = PROJECT_DIR / "seeds" / "bet_history_column_map.csv"
REQUIRED = ("date", "book", "league", "market", "subject", "line", "side", "price", "stake")
OPTIONAL = ("bet_id", "event", "book_status")
LEAGUES = ("nba", "nhl")
SIDES = {"over": "over", "o": "over", "under": "under", "u": "under"}
MAX_LINE = 500.0
#: A selection such as "LeBron James Over" or "LAL @ BOS Under 221.5": subject, side, line.
SELECTION = re.compile(
    r"^(?P<subject>.+?)\s+(?P<side>over|under|o|u)(?:\s+(?P<line>[-+]?[\d.,]+))?$", re.IGNORECASE
)
DECIMAL_RANGE = (1.01, 101.0)

#: The raw table's columns, in order (propcast.ledger creates it).
RAW_COLUMNS = (
    "bet_hash", "row_number", "bet_id", "game_date", "league", "book", "market", "subject",
    "event", "side", "line", "price_american", "price_decimal", "stake", "book_status",
)  # fmt: skip


class BetFileRefused(ValueError):
    """The file is refused whole (unreadable, no known export shape); the message says why."""


@dataclass
class ParsedBets:
    """Rows ready for raw.raw_ledger__placed_bets and the rows refused, with their reasons."""

    book_format: str
    rows: pd.DataFrame
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.rejected)


def column_maps(path: Path = COLUMN_MAP) -> dict[str, dict[str, str]]:
    """Per export shape: normalised source header → ledger column."""
    maps: dict[str, dict[str, str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            source = normalize_header(row["source_column"])
            maps.setdefault(row["book_format"], {})[source] = row["ledger_column"]
    return maps


def covered(mapping: dict[str, str], header: list[str]) -> set[str]:
    """The ledger columns a header fills under one shape (a selection fills subject and side)."""
    filled = {mapping[h] for h in header if h in mapping}
    if "selection" in filled:
        filled |= {"subject", "side"}
    return filled


def choose_format(header: list[str], book_format: str | None) -> tuple[str, dict[str, str]]:
    """The shape named, else the one whose mapping fills every required column; refused with
    the missing columns of the closest shape otherwise."""
    maps = column_maps()
    if book_format is not None and book_format not in maps:
        raise BetFileRefused(
            f"unknown --format {book_format!r}; known: {', '.join(sorted(maps))} "
            f"(add a shape to {COLUMN_MAP.name})"
        )
    names = [book_format] if book_format else sorted(maps)
    best = max(names, key=lambda n: (len(covered(maps[n], header) & set(REQUIRED)), n == "generic"))
    missing = [c for c in REQUIRED if c not in covered(maps[best], header)]
    if missing:
        wanted = {v: k for k, v in maps[best].items()}
        raise BetFileRefused(
            f"no export shape fits the header: shape {best!r} lacks "
            f"{', '.join(wanted.get(c, c) for c in missing)} (columns found: "
            f"{', '.join(header) or 'none'}; shapes in {COLUMN_MAP.name}: "
            f"{', '.join(sorted(maps))})"
        )
    return best, maps[best]


def split_selection(text: pd.DataFrame) -> pd.DataFrame:
    """Subject, side and line from a `selection` column where the file has none of its own."""
    found = text["selection"].str.extract(SELECTION.pattern, flags=re.IGNORECASE).fillna("")
    found["side"] = found["side"].str.lower()
    for column in ("subject", "side", "line"):
        own = text[column] if column in text else pd.Series("", index=text.index, dtype="str")
        text[column] = own.where(~blank(own), found[column])
    return text


def parse_price(text: pd.Series, delimiter: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """American and decimal price per row (one of them set), and why a price is refused."""
    value = numbers(text.where(~text.str.lower().isin(["ev", "even"]), "+100"), delimiter)
    signed = text.str.strip().str.match(r"^[+\-\u2212]")
    american = signed | (value.abs() >= 100)
    decimal = ~american & value.between(*DECIMAL_RANGE)
    why = first_failure(
        len(text),
        [
            (blank(text), "price missing"),
            (value.isna(), "price is not a number (write -110, +150, EVEN or a decimal like 1.91)"),
            (
                american & (value.abs() < 100),
                "price is neither American (|price| >= 100) nor decimal",
            ),
            (
                american & (value.abs() > MAX_AMERICAN_ODDS),
                f"American price beyond ±{MAX_AMERICAN_ODDS}",
            ),
            (~american & ~decimal, "decimal price outside 1.01-101 (write 1.91 or -110)"),
        ],
    )
    return value.where(american), value.where(decimal), why


def _checks(text: pd.DataFrame, dates_why: pd.Series, price_why: pd.Series,
            line: pd.Series, stake: pd.Series, side: pd.Series) -> list:  # fmt: skip
    return [
        (dates_why.notna(), dates_why.fillna("").str.replace("game_date", "date")),
        (~text["league"].str.lower().isin(LEAGUES), "league missing or not nba/nhl"),
        (blank(text["book"]), "book missing"),
        (blank(text["market"]), "market missing"),
        (blank(text["subject"]), "subject missing (the player, or the game for a total)"),
        (side.isna(), "side missing or not over/under"),
        (line.isna(), "line missing or not a number"),
        ((line < 0) | (line > MAX_LINE), f"line outside 0-{MAX_LINE:.0f}"),
        (price_why.notna(), price_why.fillna("")),
        (stake.isna() | (stake <= 0), "stake missing or not a positive number"),
    ]


def _reasons(checks: list, length: int) -> pd.Series:
    """Like first_failure, with per-row reason texts allowed."""
    reasons = pd.Series([None] * length, dtype=object)
    for mask, reason in reversed(checks):
        mask = np.asarray(mask, dtype=bool)
        reasons[mask] = reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason
    return reasons


def bet_hash(rows: pd.DataFrame) -> pd.Series:
    """A placed bet's content key: the same bet in two overlapping exports (or `bets add` twice)
    is one row. A book's ticket id, when the file has one, is part of it."""
    keys = ["bet_id", "game_date", "league", "book", "market", "subject", "side", "line",
            "price_american", "price_decimal", "stake"]  # fmt: skip
    texts = ("|".join(map(str, values)).lower() for values in rows[keys].itertuples(index=False))
    return pd.Series([hashlib.sha256(t.encode()).hexdigest() for t in texts], index=rows.index)


def parse_bets(payload: bytes, book_format: str | None = None) -> ParsedBets:
    """A bet-history file as raw rows and refused rows; raises BetFileRefused."""
    try:
        table = read_table(payload)
    except UnparseablePayload as exc:
        raise BetFileRefused(f"not a CSV file: {exc}") from None
    name, mapping = choose_format(list(table.frame.columns), book_format)
    text = table.frame.rename(columns={c: mapping[c] for c in table.frame.columns if c in mapping})
    text = text[
        [c for c in dict.fromkeys(text.columns) if c in (*REQUIRED, *OPTIONAL, "selection")]
    ]
    if "selection" in text:
        text = split_selection(text)
    for column in OPTIONAL:
        if column not in text:
            text[column] = ""
    dates, dates_why = parse_dates(text["date"])
    american, decimal, price_why = parse_price(text["price"], table.delimiter)
    line = numbers(text["line"], table.delimiter)
    stake = numbers(text["stake"].str.replace(r"^[$€£]\s*", "", regex=True), table.delimiter)
    side = text["side"].str.lower().map(SIDES)
    reasons = _reasons(_checks(text, dates_why, price_why, line, stake, side), len(text))
    reasons = reasons.where(reasons.notna(), table.ragged)
    rows = pd.DataFrame({
        "row_number": table.row_numbers,  # the record's line in the file (the header is 1)
        "bet_id": text["bet_id"].where(~blank(text["bet_id"]), None),
        "game_date": dates.dt.date,
        "league": text["league"].str.upper(),
        "book": text["book"], "market": text["market"], "subject": text["subject"],
        "event": text["event"].where(~blank(text["event"]), None),
        "side": side, "line": line, "price_american": american, "price_decimal": decimal,
        "stake": stake,
        "book_status": text["book_status"].where(~blank(text["book_status"]), None),
    })  # fmt: skip
    duplicates = exact_duplicates(text.reset_index(drop=True), rows["row_number"].to_numpy())
    reasons = reasons.where(reasons.notna(), duplicates)
    refused = reasons.notna().to_numpy()
    rejected = [
        RejectedRow(
            int(n), table.delimiter.join(map(str, table.frame.iloc[i])), str(reasons.iloc[i])
        )
        for i, n in zip(
            np.flatnonzero(refused), rows["row_number"].to_numpy()[refused], strict=True
        )
    ]
    good = rows[~refused].reset_index(drop=True)
    good.insert(0, "bet_hash", bet_hash(good) if len(good) else pd.Series([], dtype=object))
    return ParsedBets(name, good[list(RAW_COLUMNS)], rejected)


def one_bet_csv(values: dict[str, str]) -> bytes:
    """`propcast bets add`'s options as a one-row file of the generic shape, so that one bet
    goes through the same checks as a file."""
    header = list(REQUIRED)
    out = [",".join(header), ",".join(_quoted(values.get(c, "")) for c in header)]
    return ("\n".join(out) + "\n").encode()


def _quoted(value: str) -> str:
    return '"' + str(value).replace('"', '""') + '"'
