"""`sbr_games` (vendor `imports`): SBR season workbooks, one raw row per game (docs/imports.md).

The payload is the CSV propcast.vendors.sbr_workbook writes from a workbook (a cell text per
column role and sheet row, with the league and season settled). Here the rows become games:

- Two rows per game, visitor then home (`V` then `H`; `N` then `N` at a neutral site, the
  first listed taken as the visitor), on the same date with consecutive rotation numbers. A
  row without its partner is quarantined alone.
- `MMDD` dates get their year from the row order: the year turns where the month number drops
  (the largest drop when there are several; another drop is a date out of order). With a turn,
  the rows before it are in the season's first year; without one (a season in one calendar
  year: the lockout years, 2020-21) the first row's month says: August to December is the
  first year, January to July the second.
- NBA: `Open`/`Close` hold the total on one row and the spread on the other: the larger number
  is the total, the row with the smaller is the favourite (`pk` is a spread of 0); `2H`
  likewise. No prices: the total's prices stay null (staging assumes -110/-110 and flags it).
- NHL: `Open OU`/`Close OU` are the totals; the visitor row's price is the over, the home row's
  the under. `Open`/`Close` are moneylines.
- Past regulation: the period scores tie at the end of regulation (NBA: four quarters, NHL:
  three periods). The NHL final score is already the one books settle totals on (the overtime
  goal, or one goal for the shootout winner): the winner's final is its regulation goals plus
  one and nothing is added again. `ending` is regulation, overtime, shootout (when the file has
  OT/SO columns that tell) or `overtime_or_shootout`.
- A game is quarantined with its first failing check: a bad date, a missing team, a score that
  is not a whole number or does not match the period scores, a blank, non-numeric or impossible
  total, a price pasted into a line column, a price that is not American. Its `row_number` is
  the visitor row's number in the sheet.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd

from propcast.timeutil import utc_now
from propcast.vendors.base import ParsedPayload, RejectedRow, UnparseablePayload
from propcast.vendors.imports import TOTAL_LINE_RANGE, stage_totals
from propcast.vendors.sanity import MAX_AMERICAN_ODDS, MAX_COUNT
from propcast.vendors.sbr_workbook import PAYLOAD_COLUMNS

VENDOR = "imports"
FEED = "sbr_games"
TABLE = "raw_imports__sbr_games"
PERIODS = {"nba": ("p1", "p2", "p3", "p4"), "nhl": ("p1", "p2", "p3")}
NBA_SPREAD_MAX = 60.0
PARTNER_REASON = "row without its partner (a game is a V row then its H row, or N then N)"
FIRST_YEAR_MONTHS = range(8, 13)


class GameRefused(ValueError):
    """One game fails a check; the message is the quarantine reason."""


def number(text: str, *, pk: bool = False) -> float | None:
    """A cell's number (None when blank); `pk` is 0 where a spread may be written."""
    text = text.strip().replace("\u2212", "-")
    if not text:
        return None
    if pk and text.lower() in ("pk", "pick", "pk'"):
        return 0.0
    try:
        return float(text)
    except ValueError:
        raise GameRefused(f"not a number: {text!r}") from None


def checked(label: str, text: str, *, pk: bool = False) -> float | None:
    try:
        return number(text, pk=pk)
    except GameRefused:
        raise GameRefused(f"{label} is not a number ({text!r})") from None


def price(label: str, text: str) -> float | None:
    if text.strip().lower() in ("ev", "even"):
        return 100.0
    value = checked(label, text)
    if value is not None and not 100 <= abs(value) <= MAX_AMERICAN_ODDS:
        raise GameRefused(f"{label} is not an American price ({text})")
    return value


def count(label: str, text: str) -> int | None:
    value = checked(label, text)
    if value is not None and (value < 0 or value > MAX_COUNT or value % 1):
        raise GameRefused(f"{label} is not a possible score ({text})")
    return None if value is None else int(value)


# ---- dates ----------------------------------------------------------------------------------


def month_day(text: str) -> tuple[int, int] | None:
    """`1025` → (10, 25), `105` → (1, 5); an ISO date's month and day; None otherwise."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        return int(text[5:7]), int(text[8:10])
    if not text.isdigit() or not 3 <= len(text) <= 4:
        return None
    value = int(text)
    return value // 100, value % 100


def years(month_days: Sequence[tuple[int, int] | None], first_year: int) -> tuple[list, set]:
    """Per row its year (None when the date is unreadable), and the rows out of order (a month
    drop that is not the season's turn)."""
    drops: list[tuple[int, int]] = []  # (size, row)
    previous = None
    for row, md in enumerate(month_days):
        if md is None or not 1 <= md[0] <= 12:
            continue
        if previous is not None and md[0] < previous:
            drops.append((previous - md[0], row))
        previous = md[0]
    turn = max(drops, key=lambda d: (d[0], -d[1]))[1] if drops else None
    if turn is None:
        first = next((md for md in month_days if md and 1 <= md[0] <= 12), None)
        start = first_year if first and first[0] in FIRST_YEAR_MONTHS else first_year + 1
    else:
        start = first_year
    out_of_order = {row for _, row in drops if row != turn}
    result = [
        None if md is None else (start + (turn is not None and row >= turn))
        for row, md in enumerate(month_days)
    ]
    return result, out_of_order


def game_date(text: str, year: int | None) -> date:
    md = month_day(text)
    if len(text.strip()) == 10 and md:
        return date.fromisoformat(text.strip())
    try:
        if md is None or year is None:
            raise ValueError
        return date(year, md[0], md[1])
    except ValueError:
        raise GameRefused(f"date is not an MMDD date ({text!r})") from None


# ---- one game -------------------------------------------------------------------------------


def scores(league: str, visitor: dict, home: dict, columns: set[str]) -> dict:
    """Period and final scores, past_regulation and ending; checked against each other."""
    out: dict = {}
    for side, row in (("visitor", visitor), ("home", home)):
        for period in PERIODS[league]:
            out[f"{side}_{period}"] = count(f"{side} {period}", row[period])
        out[f"{side}_final"] = count(f"{side} Final", row["final"])
    finals = out["visitor_final"], out["home_final"]
    if (finals[0] is None) != (finals[1] is None):
        raise GameRefused("only one final score of the game given")
    regulation = [[out[f"{side}_{p}"] for p in PERIODS[league]] for side in ("visitor", "home")]
    if finals[0] is None or any(v is None for side in regulation for v in side):
        out["past_regulation"], out["ending"] = None, None
        return out
    reg = sum(regulation[0]), sum(regulation[1])
    past = reg[0] == reg[1]
    if not past and finals != reg:
        raise GameRefused(f"final score {finals[0]}-{finals[1]} is not the sum of the periods")
    if past and league == "nhl" and sorted(finals) != [reg[0], reg[0] + 1]:
        raise GameRefused(
            f"final score {finals[0]}-{finals[1]} after a {reg[0]}-{reg[1]} regulation tie "
            "(the winner's final is its regulation goals plus one)"
        )
    if past and league == "nba" and (min(finals) < reg[0] or finals[0] == finals[1]):
        raise GameRefused(f"final score {finals[0]}-{finals[1]} after a regulation tie")
    out["past_regulation"] = past
    out["ending"] = _ending(league, past, visitor, home, columns)
    return out


def _ending(league: str, past: bool, visitor: dict, home: dict, columns: set[str]) -> str:
    if not past:
        return "regulation"
    if league == "nba":
        return "overtime"
    shootout = [visitor.get("so", ""), home.get("so", "")]
    overtime = [visitor.get("ot", ""), home.get("ot", "")]
    if "so" in columns and any(number(t) for t in shootout if t.strip()):
        return "shootout"
    if "ot" in columns and any(number(t) for t in overtime if t.strip()):
        return "overtime"
    if "so" in columns or "ot" in columns:
        return "shootout" if "so" in columns and "ot" not in columns else "overtime"
    return "overtime_or_shootout"


def _total_range(league: str, label: str, line: float) -> None:
    low, high = TOTAL_LINE_RANGE[league]
    if not low <= line <= high:
        raise GameRefused(
            f"{label} total implausible for an {league.upper()} game "
            f"({low:g} to {high:g}): {line:g}"
        )


def nba_line(label: str, visitor: str, home: str) -> tuple[float | None, float | None]:
    """(total, home spread) from a game's two cells of an NBA line column."""
    values = [checked(f"{label} line", t, pk=True) for t in (visitor, home)]
    if any(v is None for v in values):
        raise GameRefused(f"{label} total missing (a blank {label} cell)")
    if any(v <= -100 for v in values):
        raise GameRefused(f"{label} holds a price ({min(values):g}), not a total or spread")
    total, spread = max(values), min(values)
    _total_range("nba", label, total)
    if abs(spread) > NBA_SPREAD_MAX:
        raise GameRefused(f"{label} spread implausible ({spread:g})")
    home_spread = -abs(spread) if values[1] == spread else abs(spread)
    return total, home_spread


def nhl_line(
    label: str, visitor: dict, home: dict, role: str
) -> tuple[float, float | None, float | None]:
    """(total, over price, under price) of `Open OU` or `Close OU`."""
    lines = [checked(f"{label} total", row[role]) for row in (visitor, home)]
    given = [v for v in lines if v is not None]
    if not given:
        raise GameRefused(f"{label} total missing (a blank {label} OU cell)")
    if any(abs(v) >= 100 for v in given):
        raise GameRefused(f"{label} total holds a price ({given[0]:g}): a price in the line column")
    if len(given) == 2 and given[0] != given[1]:
        raise GameRefused(f"{label} total differs between the visitor ({given[0]:g}) and home "
                          f"({given[1]:g}) rows")  # fmt: skip
    _total_range("nhl", label, given[0])
    over = price(f"{label} over price", visitor[f"{role}_price"])
    under = price(f"{label} under price", home[f"{role}_price"])
    return given[0], over, under


def lines(league: str, visitor: dict, home: dict) -> dict:
    out: dict = {}
    for label in ("open", "close"):
        if league == "nba":
            total, spread = nba_line(label, visitor[label], home[label])
            out.update({f"{label}_total": total, f"{label}_spread_home": spread})
            out.update({f"{label}_over_price": None, f"{label}_under_price": None})
        else:
            total, over, under = nhl_line(label, visitor, home, f"{label}_ou")
            out.update({f"{label}_total": total, f"{label}_spread_home": None})
            out.update({f"{label}_over_price": over, f"{label}_under_price": under})
    moneyline = "ml" if league == "nba" else "close"
    for side, row in (("visitor", visitor), ("home", home)):
        try:
            out[f"{side}_close_ml"] = price("moneyline", row[moneyline])
        except GameRefused:
            out[f"{side}_close_ml"] = None  # a moneyline is kept when it is one, never checked
    return out


# ---- the payload ----------------------------------------------------------------------------

GAME_COLUMNS = (
    "row_number", "game_date", "league", "season", "neutral_site", "visitor_rot", "home_rot",
    "visitor_team", "home_team",
    *[f"{side}_{p}" for side in ("visitor", "home") for p in PERIODS["nba"]],
    "visitor_final", "home_final", "past_regulation", "ending",
    "open_total", "open_over_price", "open_under_price", "open_spread_home",
    "close_total", "close_over_price", "close_under_price", "close_spread_home",
    "visitor_close_ml", "home_close_ml",
)  # fmt: skip


def is_partner(visitor: dict, home: dict) -> bool:
    """A visitor row and the row after it make a game: V then H (or N then N), same date,
    consecutive rotation numbers when both are given."""
    sides = visitor["vh"].strip().upper(), home["vh"].strip().upper()
    if sides not in (("V", "H"), ("N", "N")) or visitor["date"] != home["date"]:
        return False
    rots = visitor["rot"].strip(), home["rot"].strip()
    if all(r.isdigit() for r in rots):
        return int(rots[1]) == int(rots[0]) + 1
    return True


def pair_rows(rows: list[dict]) -> tuple[list[tuple[int, int]], list[int]]:
    """(visitor index, home index) of each game, and the indexes of rows without a partner."""
    games, lone = [], []
    index = 0
    while index < len(rows):
        if index + 1 < len(rows) and is_partner(rows[index], rows[index + 1]):
            games.append((index, index + 1))
            index += 2
        else:
            lone.append(index)
            index += 1
    return games, lone


def build_game(league: str, visitor: dict, home: dict, year: int | None, columns: set) -> dict:
    """One game's raw row; raises GameRefused with the quarantine reason."""
    when = game_date(visitor["date"], year)
    teams = visitor["team"].strip(), home["team"].strip()
    if not all(teams):
        raise GameRefused("team missing")
    if teams[0].lower() == teams[1].lower():
        raise GameRefused("visitor and home are the same team")
    rots = [checked("Rot", row["rot"]) for row in (visitor, home)]
    return {
        "row_number": int(visitor["sheet_row"]),
        "game_date": when,
        "league": league,
        "season": visitor["season"],
        "neutral_site": visitor["vh"].strip().upper() == "N",
        "visitor_rot": None if rots[0] is None else int(rots[0]),
        "home_rot": None if rots[1] is None else int(rots[1]),
        "visitor_team": teams[0],
        "home_team": teams[1],
        **scores(league, visitor, home, columns),
        **lines(league, visitor, home),
    }


def _refusal(rows: Sequence[dict], reason: str) -> RejectedRow:
    text = json.dumps([{k: v for k, v in row.items() if v != ""} for row in rows])
    return RejectedRow(int(rows[0]["sheet_row"]), text, reason)


def _read(payload: bytes) -> tuple[str, int, list[dict], set[str]]:
    try:
        frame = pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise UnparseablePayload(f"not an SBR games payload: {exc}") from None
    if tuple(frame.columns) != PAYLOAD_COLUMNS:
        raise UnparseablePayload("not an SBR games payload (written by propcast import totals)")
    if frame.empty:
        return "nba", 2000, [], set()
    league, season = frame["league"].iloc[0], frame["season"].iloc[0]
    if league not in PERIODS or frame["league"].nunique() != 1 or frame["season"].nunique() != 1:
        raise UnparseablePayload(f"one league (nba or nhl) and season per payload, got {league}")
    filled = {c for c in ("ot", "so") if (frame[c] != "").any()}
    return league, int(season[:4]), frame.to_dict("records"), filled


def parse(payload: bytes) -> ParsedPayload:
    """An SBR games payload: one raw row per game, and the games (or lone rows) refused."""
    league, first_year, rows, columns = _read(payload)
    row_years, out_of_order = years([month_day(r["date"]) for r in rows], first_year)
    games, lone = pair_rows(rows)
    rejected = [_refusal([rows[i]], PARTNER_REASON) for i in lone]
    good = []
    for v, h in games:
        try:
            if v in out_of_order or h in out_of_order:
                raise GameRefused(f"date out of order ({rows[v]['date']}: the month drops twice)")
            good.append(build_game(league, rows[v], rows[h], row_years[v], columns))
        except GameRefused as exc:
            rejected.append(_refusal([rows[v], rows[h]], str(exc)))
    frame = pd.DataFrame(good, columns=list(GAME_COLUMNS))
    for column in GAME_COLUMNS:
        if column.endswith(("_rot", "_p1", "_p2", "_p3", "_p4", "_final")):
            frame[column] = frame[column].astype("Int64")
    frame["row_number"] = frame["row_number"].astype("int32")
    rejected.sort(key=lambda r: r.row_number)
    return ParsedPayload(utc_now(), frame, rejected)


def stage(
    con: duckdb.DuckDBPyConnection, payloads: Sequence, name: str = "_stage_imports_sbr_games"
):
    """Nothing in bulk: each workbook's payload is parsed alone (`parse`), as the CSV imports."""
    return stage_totals(con, payloads, name)
