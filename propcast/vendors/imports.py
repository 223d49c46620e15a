"""`imports`: the user's own history files (`propcast import totals|props`, docs/imports.md).

Files come from spreadsheets and scrapers, so the reader takes their real shapes: any header
case and spacing (and a byte-order mark), CRLF, quoted fields, `,` `;` tab or `|` delimiters
(sniffed), UTF-8 or Windows-1252 text, and dates written 2017-01-05, 1/5/2017, 01/05/2017 or
20170105. Every row is checked column-wise and a bad row is refused with its reason (the rest of
the file loads); team and player spellings are kept as written (staging maps them). A row's
`row_number` is its line in the file (the header is line 1), as an editor shows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from propcast.timeutil import parse_utc, utc_now
from propcast.vendors.base import (
    BatchParse,
    ParsedPayload,
    Payload,
    RejectedRow,
    UnparseablePayload,
    blank,
    first_failure,
    rejected_frame,
)
from propcast.vendors.messycsv import (
    LONG_ROW_REASON,
    CsvText,
    missing_columns,
    read_table,
)
from propcast.vendors.sanity import (
    MAX_AMERICAN_ODDS,
    MAX_COUNT,
    SHORT_ROW_REASON,
    american_out_of_range,
    within_years,
)
from propcast.vendors.staging import Staged, stage_frames

VENDOR = "imports"
TOTALS_FEED, PROPS_FEED = "game_totals", "prop_odds"
TOTALS_TABLE, PROPS_TABLE = "raw_imports__game_totals", "raw_imports__prop_odds"
TOTALS_REQUIRED = (
    "league",
    "game_date",
    "home_team",
    "away_team",
    "total_line",
    "over_price",
    "under_price",
    "home_score",
    "away_score",
)
TOTALS_OPTIONAL = ("book", "line_type")
PROPS_REQUIRED = (
    "league",
    "game_date",
    "player",
    "team",
    "opponent",
    "market",
    "line",
    "book",
    "over_price",
    "under_price",
    "actual_value",
)
PROPS_OPTIONAL = ("quoted_at",)
LEAGUES = ("nba", "nhl")
TOTAL_LINE_RANGE = {"nba": (100.0, 350.0), "nhl": (2.0, 15.0)}
PROP_LINE_RANGE = (0.0, 100.0)
LINE_TYPES = ("open", "close")

LEAGUE_REASON = "league missing or not nba/nhl"
DATE_HINT = "write 2017-01-05, 1/5/2017 or 20170105"
DATE_MISSING = "game_date missing"
DATE_UNPARSEABLE = f"game_date is not a date ({DATE_HINT})"
DATE_TWO_DIGIT_YEAR = f"game_date is ambiguous: a two-digit year ({DATE_HINT})"
DATE_MIXED_ORDER = (
    f"game_date is ambiguous: the file writes dates both month/day and day/month ({DATE_HINT})"
)
DATE_RANGE = "game_date outside 1900-2099"
DUPLICATE_PREFIX = "exact duplicate of row "


def _check_header(table: CsvText, required: Sequence[str]) -> None:
    missing = missing_columns(list(table.frame.columns), required)
    if missing:
        found = ", ".join(c for c in table.frame.columns if not c.startswith("_unnamed_"))
        raise UnparseablePayload(
            f"missing required columns {', '.join(missing)} (columns found: {found or 'none'})"
        )


# ---- values -------------------------------------------------------------------------------


def _date_parts(texts: pd.Series) -> pd.DataFrame:
    """Year, month, day (as written) and the shape of each distinct date text."""
    iso = texts.str.extract(
        r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
    )
    compact = texts.str.extract(r"^(\d{4})(\d{2})(\d{2})$")
    slashed = texts.str.extract(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})$")
    parts = pd.DataFrame(index=texts.index, columns=["y", "a", "b", "shape"], dtype=object)
    for shape, found, order in (("ymd", iso, (0, 1, 2)), ("ymd", compact, (0, 1, 2))):
        hit = found[0].notna() & parts["shape"].isna()
        parts.loc[hit, ["y", "a", "b"]] = found.loc[hit, list(order)].to_numpy()
        parts.loc[hit, "shape"] = shape
    hit = slashed[0].notna() & parts["shape"].isna()
    parts.loc[hit, ["a", "b", "y"]] = slashed.loc[hit, [0, 1, 2]].to_numpy()
    parts.loc[hit, "shape"] = np.where(slashed.loc[hit, 2].str.len() == 2, "yy", "slashed")
    return parts


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per row: the date (datetime64, NaT when refused) and why it is refused (None when not).

    Slashed dates are month/day/year, unless the first number is over 12, or the file writes
    such dates and none whose second number is over 12 (then day/month/year); in a file
    writing both, a date whose numbers are both 12 or less is ambiguous."""
    texts = pd.Series(values.dropna().unique(), dtype=object)
    texts = texts[texts != ""].reset_index(drop=True)
    parts = _date_parts(texts)
    numbers = parts[["y", "a", "b"]].apply(pd.to_numeric, errors="coerce")
    slashed = (parts["shape"] == "slashed").to_numpy()
    first_big = slashed & ((numbers["a"] > 12) & (numbers["b"] <= 12)).to_numpy()
    second_big = slashed & ((numbers["b"] > 12) & (numbers["a"] <= 12)).to_numpy()
    day_first = bool(first_big.any() and not second_big.any())
    mixed = bool(first_big.any() and second_big.any())
    both_small = slashed & ((numbers["a"] <= 12) & (numbers["b"] <= 12)).to_numpy()
    swap = first_big | (both_small & day_first)  # day/month/year
    month = numbers["a"].where(~swap, numbers["b"])
    day = numbers["b"].where(~swap, numbers["a"])
    dates = pd.to_datetime(
        pd.DataFrame({"year": numbers["y"], "month": month, "day": day}), errors="coerce"
    )
    why = first_failure(
        len(texts),
        [
            (parts["shape"] == "yy", DATE_TWO_DIGIT_YEAR),
            (mixed & both_small, DATE_MIXED_ORDER),
            (dates.isna(), DATE_UNPARSEABLE),
            ((dates < "1900-01-01") | (dates >= "2100-01-01"), DATE_RANGE),
        ],
    )
    dates = dates.where(why.isna())
    by_text = dict(zip(texts, dates, strict=True))
    why_by_text = dict(zip(texts, why, strict=True))
    row_why = values.map(why_by_text).where(values != "", DATE_MISSING)
    return pd.Series(values.map(by_text), dtype="datetime64[us]"), row_why


def numbers(values: pd.Series, delimiter: str) -> pd.Series:
    """Numbers as floats (NaN when blank or not a number): a typographic minus is a minus, and a
    file not delimited by commas may write a decimal comma (`5,5`)."""
    texts = values.str.replace("\u2212", "-", regex=False)
    if delimiter != ",":
        texts = texts.str.replace(r"^([+-]?\d+),(\d+)$", r"\1.\2", regex=True)
    return pd.to_numeric(texts.where(texts != "", None), errors="coerce").astype("float64")


def prices(values: pd.Series, delimiter: str) -> pd.Series:
    """American prices; `EV`/`EVEN` is +100."""
    return numbers(values.where(~values.str.lower().isin(["ev", "even"]), "100"), delimiter)


def _price_checks(text: pd.Series, price: pd.Series, column: str) -> list:
    given = ~blank(text)
    return [
        (given & price.isna(), f"{column} is not a number (American odds such as -110 or +120)"),
        (price.abs() < 100, f"{column} is not an American price (|price| < 100: decimal odds?)"),
        (price.abs() > MAX_AMERICAN_ODDS, american_out_of_range(column)),
    ]


def _count_checks(text: pd.Series, value: pd.Series, column: str, whole: bool = True) -> list:
    checks = [
        (~blank(text) & value.isna(), f"{column} is not a number"),
        (value < 0, f"{column} is negative"),
        (value > MAX_COUNT, f"{column} impossible (> {MAX_COUNT})"),
    ]
    if whole:
        checks.append((value.notna() & (value % 1 != 0), f"{column} is not a whole number"))
    return checks


def _line_checks(text: pd.Series, line: pd.Series, column: str) -> list:
    return [
        (blank(text), f"{column} missing"),
        (line.isna(), f"{column} is not a number"),
    ]


def exact_duplicates(frame: pd.DataFrame, row_numbers: np.ndarray) -> pd.Series:
    """Per row: "exact duplicate of row N" when every field equals an earlier row's (N being the
    first such row's line), else None."""
    if not len(frame):
        return pd.Series([], dtype=object)
    grouped = frame.groupby(list(frame.columns), sort=False, dropna=False)
    codes = grouped.ngroup().to_numpy()
    first = np.empty(codes.max() + 1, dtype=np.int64)
    positions = np.arange(len(frame))
    first[codes[::-1]] = positions[::-1]
    earlier = first[codes]
    repeated = earlier != positions
    reasons = pd.Series([None] * len(frame), dtype=object)
    reasons[repeated] = [f"{DUPLICATE_PREFIX}{n}" for n in row_numbers[earlier[repeated]]]
    return reasons


def optional_text(values: pd.Series) -> pd.Series:
    """Text as written, None when blank."""
    return values.where(values != "", None)


def _team_key(values: pd.Series) -> pd.Series:
    return values.str.lower().str.replace(r"[^0-9a-z]", "", regex=True)


# ---- the two feeds ------------------------------------------------------------------------


def _totals(text: pd.DataFrame, delimiter: str) -> tuple[pd.DataFrame, list]:
    """game_totals: the raw table's columns (without `game_date`) and the row checks."""
    league = text["league"].str.lower()
    line = numbers(text["total_line"], delimiter)
    over, under = prices(text["over_price"], delimiter), prices(text["under_price"], delimiter)
    home, away = numbers(text["home_score"], delimiter), numbers(text["away_score"], delimiter)
    line_type = text["line_type"].str.lower()
    rows = pd.DataFrame(
        {
            "league": text["league"],
            "home_team": text["home_team"],
            "away_team": text["away_team"],
            "book": optional_text(text["book"]),
            "line_type": optional_text(line_type),
            "total_line": line,
            "over_price": over,
            "under_price": under,
            "home_score": home.round().astype("Int64"),
            "away_score": away.round().astype("Int64"),
        }
    )
    checks = [
        (blank(text["home_team"]), "home_team missing"),
        (blank(text["away_team"]), "away_team missing"),
        (_team_key(text["home_team"]) == _team_key(text["away_team"]),
         "home_team and away_team are the same team"),
        *_line_checks(text["total_line"], line, "total_line"),
        *[
            ((league == lg) & ((line < low) | (line > high)),
             f"total_line implausible for an {lg.upper()} game ({low:g} to {high:g})")
            for lg, (low, high) in TOTAL_LINE_RANGE.items()
        ],
        *_price_checks(text["over_price"], over, "over_price"),
        *_price_checks(text["under_price"], under, "under_price"),
        (~blank(line_type) & ~line_type.isin(LINE_TYPES), "line_type is not open or close"),
        *_count_checks(text["home_score"], home, "home_score"),
        *_count_checks(text["away_score"], away, "away_score"),
        (blank(text["home_score"]) != blank(text["away_score"]),
         "only one score of the game given (home_score and away_score go together)"),
    ]  # fmt: skip
    return rows, checks


def _quoted_at(values: pd.Series) -> pd.Series:
    """ISO-8601 times as naive UTC (an offset converted; without one: as given)."""
    distinct = {v: parse_utc(v) for v in values.unique() if v}
    parsed = pd.Series(values.map(distinct), dtype="datetime64[us]")
    return within_years(parsed)


def _props(text: pd.DataFrame, delimiter: str) -> tuple[pd.DataFrame, list]:
    """prop_odds: the raw table's columns (without `game_date`) and the row checks."""
    line = numbers(text["line"], delimiter)
    over, under = prices(text["over_price"], delimiter), prices(text["under_price"], delimiter)
    actual = numbers(text["actual_value"], delimiter)
    quoted_at = _quoted_at(text["quoted_at"])
    low, high = PROP_LINE_RANGE
    rows = pd.DataFrame(
        {
            "league": text["league"],
            "player": text["player"],
            "team": optional_text(text["team"]),
            "opponent": optional_text(text["opponent"]),
            "market": text["market"],
            "line": line,
            "book": text["book"],
            "over_price": over,
            "under_price": under,
            "actual_value": actual,
            "quoted_at": quoted_at,
        }
    )
    checks = [
        (blank(text["player"]), "player missing"),
        (blank(text["market"]), "market missing"),
        *_line_checks(text["line"], line, "line"),
        ((line < low) | (line > high), f"line implausible for a prop ({low:g} to {high:g})"),
        (blank(text["book"]), "book missing"),
        *_price_checks(text["over_price"], over, "over_price"),
        *_price_checks(text["under_price"], under, "under_price"),
        *_count_checks(text["actual_value"], actual, "actual_value", whole=False),
        (~blank(text["quoted_at"]) & quoted_at.isna(),
         "quoted_at is not a timestamp (ISO 8601, e.g. 2017-01-05T18:30:00-05:00)"),
    ]  # fmt: skip
    return rows, checks


@dataclass(frozen=True)
class Kind:
    """One import feed: its columns and how its rows are typed and checked."""

    feed: str
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    build: Callable[[pd.DataFrame, str], tuple[pd.DataFrame, list]]


TOTALS = Kind(TOTALS_FEED, TOTALS_TABLE, TOTALS_REQUIRED, TOTALS_OPTIONAL, _totals)
PROPS = Kind(PROPS_FEED, PROPS_TABLE, PROPS_REQUIRED, PROPS_OPTIONAL, _props)
KINDS = {"totals": TOTALS, "props": PROPS}
DATE_REASONS = (DATE_MISSING, DATE_UNPARSEABLE, DATE_TWO_DIGIT_YEAR, DATE_MIXED_ORDER, DATE_RANGE)


def _parse(payload: bytes, kind: Kind) -> ParsedPayload:
    table = read_table(payload)
    _check_header(table, kind.required)
    columns = [*kind.required, *kind.optional]
    text = table.frame.reindex(columns=columns, fill_value="")
    rows, checks = kind.build(text, table.delimiter)
    dates, date_why = parse_dates(text["game_date"])
    reasons = first_failure(
        len(text),
        [
            (table.ragged == SHORT_ROW_REASON, SHORT_ROW_REASON),
            (table.ragged == LONG_ROW_REASON, LONG_ROW_REASON),
            (~text["league"].str.lower().isin(LEAGUES), LEAGUE_REASON),
            *[(date_why == why, why) for why in DATE_REASONS],
            *checks,
        ],
    )
    duplicates = exact_duplicates(table.frame, table.row_numbers)
    reasons = reasons.where(reasons.notna(), duplicates)
    bad = reasons.notna().to_numpy()
    rejected = [
        RejectedRow(
            int(table.row_numbers[i]),
            json.dumps(table.frame.iloc[i].to_dict(), ensure_ascii=False),
            str(reasons.iloc[i]),
        )
        for i in np.flatnonzero(bad)
    ]
    good = rows.loc[~bad].assign(
        row_number=table.row_numbers[~bad].astype(np.int32),
        game_date=dates[~bad].dt.date,
    )
    return ParsedPayload(utc_now(), good.reset_index(drop=True), rejected)


def parse_totals(payload: bytes) -> ParsedPayload:
    """A game totals file: its good rows (raw columns and `game_date`) and its refused rows.
    `fetched_at` is the import's time: a history file has no snapshot time."""
    return _parse(payload, TOTALS)


def parse_props(payload: bytes) -> ParsedPayload:
    """A prop odds file, as `parse_totals`."""
    return _parse(payload, PROPS)


def _stage_alone(con: duckdb.DuckDBPyConnection, payloads: Sequence[Payload], name: str) -> Staged:
    """Nothing staged in bulk: ingest parses each import file alone (`parse_totals`,
    `parse_props`), which keeps `row_number`, the row's line in the file, that the bulk insert
    leaves out. Imports are few and large, so a file at a time costs nothing."""
    empty = BatchParse(
        {}, pd.DataFrame({"payload": pd.Series([], dtype="int64")}), rejected_frame([], [], [], [])
    )
    return stage_frames(con, empty, name)


def stage_totals(
    con: duckdb.DuckDBPyConnection,
    payloads: Sequence[Payload],
    name: str = "_stage_imports_game_totals",
) -> Staged:
    return _stage_alone(con, payloads, name)


def stage_props(
    con: duckdb.DuckDBPyConnection,
    payloads: Sequence[Payload],
    name: str = "_stage_imports_prop_odds",
) -> Staged:
    return _stage_alone(con, payloads, name)
