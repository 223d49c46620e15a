"""`csvfeed`: a flat CSV per snapshot, one row per (player, stat, book, line), American odds."""

from __future__ import annotations

import io
from collections.abc import Sequence

import duckdb
import pandas as pd

from propcast.timeutil import parse_utc, parse_utc_series, slate_date
from propcast.vendors.base import (
    SQL_MACROS,
    BatchParse,
    ParsedPayload,
    Payload,
    Staged,
    UnparseablePayload,
    blank,
    checked_table,
    csv_rejected,
    first_failure,
    map_distinct,
    map_texts,
    parse_batch_in_memory,
    read_csv_table,
    split_rejected,
)

FEED = "prop_odds"
TABLE = "raw_csvfeed__prop_odds"
COLUMNS = [
    "snapshot_time",
    "league",
    "game_start",
    "home",
    "away",
    "book",
    "player",
    "stat",
    "line",
    "over_odds",
    "under_odds",
]
NUMBER_COLUMNS = ("line", "over_odds", "under_odds")
# Row numbers count the header line, as a spreadsheet shows them.
FIRST_ROW_NUMBER = 2


def _american_checks(odds: pd.Series, column: str) -> list:
    return [
        (odds.isna(), f"{column} missing or not a number"),
        (odds.abs() < 100, f"{column} is not valid American odds (|odds| must be >= 100)"),
    ]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The file's text columns typed (timestamps, numbers); the row text of a refused row is this
    frame's row, so a refused row reads the same whether its file was parsed alone or in bulk."""
    frame = frame[COLUMNS].copy()
    frame["game_start"] = parse_utc_series(frame["game_start"])
    for column in NUMBER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    return frame


def _checks(frame: pd.DataFrame) -> list:
    return [
        (frame["game_start"].isna(), "game_start missing or not a timestamp"),
        *[(blank(frame[c]), f"{c} missing") for c in ("home", "away", "book", "player", "stat")],
        (frame["line"].isna() | (frame["line"] < 0), "line missing or negative"),
        *_american_checks(frame["over_odds"], "over_odds"),
        *_american_checks(frame["under_odds"], "under_odds"),
    ]


def _good_rows(frame: pd.DataFrame) -> pd.DataFrame:
    good = frame.drop(columns=["snapshot_time"])
    good["game_date"] = slate_date(good["game_start"])
    return good


def parse(payload: bytes) -> ParsedPayload:
    try:
        frame = pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnparseablePayload(f"not a CSV file: {exc}") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise UnparseablePayload(f"csvfeed snapshot lacks columns {missing}")
    snapshots = {parse_utc(v) for v in frame["snapshot_time"].unique()} - {None}
    if len(snapshots) != 1:
        raise UnparseablePayload(f"expected one snapshot_time per file, found {len(snapshots)}")
    frame = _typed(frame)
    reasons = first_failure(len(frame), _checks(frame))
    good, rejected = split_rejected(
        frame, reasons, lambda i: frame.iloc[i].to_json(), first_row_number=FIRST_ROW_NUMBER
    )
    return ParsedPayload(snapshots.pop(), _good_rows(good), rejected)


_SQL_CHECKS = [
    ("game_start is null", "game_start missing or not a timestamp"),
    *[(f"is_blank({c})", f"{c} missing") for c in ("home", "away", "book", "player", "stat")],
    ("line is null or isnan(line) or line < 0", "line missing or negative"),
    *[
        check
        for c in ("over_odds", "under_odds")
        for check in [
            (f"{c} is null or isnan({c})", f"{c} missing or not a number"),
            (f"abs({c}) < 100", f"{c} is not valid American odds (|odds| must be >= 100)"),
        ]
    ],
]


def _numbers(texts: pd.Series) -> pd.Series:
    return pd.to_numeric(texts.replace("", None), errors="coerce")


def stage(
    con: duckdb.DuckDBPyConnection, payloads: Sequence[Payload], name: str = "_stage_csvfeed"
) -> Staged:
    """`parse` over many snapshots at once: pyarrow reads them, DuckDB types and checks the rows
    (each distinct timestamp or number text converted once, as `parse` converts it)."""
    con.execute(SQL_MACROS)
    table, _ = read_csv_table([p.content for p in payloads], COLUMNS)
    raw, times, numbers = f"{name}_raw", f"{name}_times", f"{name}_numbers"
    con.register(raw, table)
    try:
        stamps: dict[int, set] = {}
        parsed: dict[str, object] = {}
        for payload, text in con.execute(
            f"select distinct payload, snapshot_time from {raw}"
        ).fetchall():
            if text not in parsed:
                parsed[text] = parse_utc(text)
            if parsed[text] is not None:
                stamps.setdefault(payload, set()).add(parsed[text])
        fetched_at = {p: next(iter(s)) for p, s in stamps.items() if len(s) == 1}
        vouched = ", ".join(map(str, fetched_at)) or "-1"
        map_texts(con, times, f"select distinct game_start from {raw}", parse_utc_series)
        union = " union ".join(f"select distinct {c} from {raw}" for c in NUMBER_COLUMNS)
        map_distinct(con, numbers, union, _numbers, "double")
        checked_table(
            con,
            name,
            f"""select r.payload, r._row + {FIRST_ROW_NUMBER} as row_number, r.league,
                t.ts as game_start, r.home, r.away, r.book, r.player, r.stat,
                l.value as line, o.value as over_odds, u.value as under_odds,
                t.slate as game_date
            from {raw} r
            left join {times} t on t.text = r.game_start
            left join {numbers} l on l.text = r.line
            left join {numbers} o on o.text = r.over_odds
            left join {numbers} u on u.text = r.under_odds
            where r.payload in ({vouched})""",
            _SQL_CHECKS,
        )
        rejected = csv_rejected(con, name, raw, _typed, NUMBER_COLUMNS, FIRST_ROW_NUMBER)
    finally:
        con.unregister(raw)
        con.execute(f"drop table if exists {times}; drop table if exists {numbers}")
    return Staged(fetched_at, name, rejected)


def parse_batch(payloads: Sequence[Payload]) -> BatchParse:
    """`stage` on an in-memory database, its good rows as pandas."""
    return parse_batch_in_memory(stage, payloads)
