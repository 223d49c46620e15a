"""What no vendor row can hold, whatever the vendor: the checks every adapter shares.

* Bounds: odds that price an outcome under 1 % or over 99 % (|American odds| above 10000,
  decimal odds outside 1.01-101), a line above 500 (no NBA or NHL prop or total comes near),
  a player's count or a team's score above 500. Infinity breaks them too (NaN is "not a number").
* Time: a payload stamped outside 2000-2099 is unusable whole (a zeroed or garbled clock); an
  odds row whose game starts more than a day before or 31 days after its snapshot is a bad row
  (a quote is published shortly before its game), and so is a boxscore dated after its file or
  over a year before it, and a schedule row over a year from its file.
* Duplicates: a row whose business key repeats an earlier good row of the same payload is
  refused (the first one loads), so two copies, or two prices for one quote, never reach staging,
  which would have to pick one at random.
* Files cut short: a CSV that ends inside a quoted field loses its last record only; a row with
  fewer fields than the header is refused with that reason.

Each check has a pandas form (a payload parsed alone) and, where the adapter stages in DuckDB,
an SQL form with the same result.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

MAX_AMERICAN_ODDS = 10_000
MIN_DECIMAL_ODDS, MAX_DECIMAL_ODDS = 1.01, 101.0
MAX_LINE = 500
MAX_COUNT = 500
DAYS_BEFORE_SNAPSHOT, DAYS_AFTER_SNAPSHOT = 1, 31
MAX_DAYS_FROM_FILE = 366
EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2100, 1, 1)

GAME_WINDOW_REASON = (
    f"game start more than {DAYS_BEFORE_SNAPSHOT} day before or {DAYS_AFTER_SNAPSHOT} days "
    "after the snapshot"
)
SHORT_ROW_REASON = "row has fewer fields than the header (file cut short?)"
CUT_RECORD_REASON = "record cut short: the file ends inside a quoted field (truncated file?)"


def american_out_of_range(column: str) -> str:
    return f"{column} is out of range (|American odds| > {MAX_AMERICAN_ODDS})"


DECIMAL_OUT_OF_RANGE = (
    f"odds is out of range (decimal odds must be {MIN_DECIMAL_ODDS} to {MAX_DECIMAL_ODDS:g})"
)


def line_out_of_range(column: str) -> str:
    return f"{column} is out of range (> {MAX_LINE})"


def plausible_stamp(moment: datetime | None) -> bool:
    """A payload's own timestamp lies in 2000-2099 (anything else is a broken clock)."""
    return moment is not None and EARLIEST <= moment < LATEST


def implausible_stamp(what: str, moment: datetime) -> str:
    return f"{what} {moment.isoformat()} is outside {EARLIEST.year}-{LATEST.year - 1}"


def outside_game_window(starts: pd.Series, snapshot: datetime) -> np.ndarray:
    """Per row: the game starts too long before or after the payload's snapshot (missing
    starts are left to the "missing" check)."""
    earliest = snapshot - timedelta(days=DAYS_BEFORE_SNAPSHOT)
    latest = snapshot + timedelta(days=DAYS_AFTER_SNAPSHOT)
    return np.array(
        [s is not None and not pd.isna(s) and not earliest <= s <= latest for s in starts],
        dtype=bool,
    )


def game_window_sql(column: str, snapshot: str = "_snapshot") -> str:
    """`outside_game_window` in SQL, `snapshot` being the payload's snapshot column."""
    return (
        f"{column} < {snapshot} - interval {DAYS_BEFORE_SNAPSHOT} day "
        f"or {column} > {snapshot} + interval {DAYS_AFTER_SNAPSHOT} day"
    )


def register_snapshots(
    con: duckdb.DuckDBPyConnection, table: str, fetched_at: dict[int, datetime]
) -> None:
    """Temp table `table(payload, _snapshot)`: each staged payload's snapshot time."""
    frame = pd.DataFrame(
        {
            "payload": pd.Series(list(fetched_at), dtype="int64"),
            "_snapshot": pd.Series(list(fetched_at.values()), dtype="datetime64[us]"),
        }
    )
    con.register("_snapshot_frame", frame)
    try:
        con.execute(f"create or replace temp table {table} as select * from _snapshot_frame")
    finally:
        con.unregister("_snapshot_frame")


def duplicate_reason(key: Sequence[str]) -> str:
    return f"duplicate of an earlier row of this payload (same {', '.join(key)})"


def later_duplicates(frame: pd.DataFrame, reasons: pd.Series, key: Sequence[str]) -> np.ndarray:
    """Per row: a good row whose `key` repeats an earlier good row of its payload (`frame`
    holds one payload, or a `payload` column that `key` includes)."""
    good = reasons.isna().to_numpy()
    repeated = np.zeros(len(frame), dtype=bool)
    if good.any():
        keys = frame.loc[good, list(key)].astype(object)
        repeated[np.flatnonzero(good)] = keys.duplicated(keep="first").to_numpy()
    return repeated


def flag_duplicates_sql(
    con: duckdb.DuckDBPyConnection, table: str, key: Sequence[str], reason: str
) -> None:
    """`later_duplicates` on staged table `table` (payload, row_number, ..., reason)."""
    columns = ", ".join(f'"{c}"' for c in key)
    con.execute(
        f"update {table} set reason = $reason from ("
        f"select payload, row_number from {table} where reason is null qualify row_number() "
        f"over (partition by payload, {columns} order by row_number) > 1) d "
        f"where {table}.payload = d.payload and {table}.row_number = d.row_number",
        {"reason": reason},
    )


def read_csv_text(payload: bytes) -> tuple[pd.DataFrame, np.ndarray, str | None]:
    """A CSV payload as text (`pd.read_csv(dtype=str, keep_default_na=False)`: empty or absent
    fields are ""), which of its rows hold fewer fields than the header, and, when the file ends
    inside a quoted field, the cut record's text (the rows before it are read). Raises what
    pandas raises for anything else."""
    try:
        return _read_text(payload), _short_rows(payload), None
    except pd.errors.ParserError as exc:
        end = payload.rfind(b"\n")
        if "EOF inside string" not in str(exc) or end < 0:
            raise
        body, fragment = payload[: end + 1], payload[end + 1 :].decode("utf-8", errors="replace")
        return _read_text(body), _short_rows(body), fragment


def _read_text(payload: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False)


def _short_rows(payload: bytes) -> np.ndarray:
    """Per data row (blank lines skipped, as pandas does): fewer fields than the header. pandas
    pads a short row with empty fields, so the fields are counted apart (none flagged when the
    two readings disagree on the rows)."""
    records = [r for r in csv.reader(io.StringIO(payload.decode("utf-8-sig"))) if r]
    if not records:
        return np.zeros(0, dtype=bool)
    return np.array([len(r) < len(records[0]) for r in records[1:]], dtype=bool)


def short_mask(short: np.ndarray, rows: int) -> np.ndarray:
    """`read_csv_text`'s short rows, or none when its two readings disagree on the row count."""
    return short if len(short) == rows else np.zeros(rows, dtype=bool)


def within_years(stamps: pd.Series) -> pd.Series:
    """Timestamps outside 1900-2199 as missing: such a text is no game time, and pandas could
    not render or date it."""
    return stamps.where((stamps >= "1900-01-01") & (stamps < "2200-01-01"))


def listed(value: object, what: str) -> list[tuple[object, str | None]]:
    """The items of a JSON list meant to hold `what` objects, each with why it is not one (None
    when it is). Missing, null or empty: no items; a value that is not a list: one bad item."""
    if not value:
        return []
    if not isinstance(value, list):
        return [(value, f"'{what}s' is not a list")]
    wrong = f"{what} is not an object"
    return [(item, None if isinstance(item, dict) else wrong) for item in value]


def is_text(values: pd.Series) -> pd.Series:
    return values.map(lambda v: isinstance(v, str)).astype(bool)


NOT_UNICODE = "text is not valid Unicode (a lone surrogate escape such as \\ud800)"
_SURROGATE = re.compile("[\ud800-\udfff]")


def holds_bad_text(values: Sequence[object]) -> bool:
    """A text JSON decoded to something no UTF-8 column (nor pandas) can hold."""
    return any(isinstance(v, str) and _SURROGATE.search(v) for v in values)
