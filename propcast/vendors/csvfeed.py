"""`csvfeed`: a flat CSV per snapshot, one row per (player, stat, book, line), American odds.

A game total is a row with stat `TOT` (GAME_TOTAL) and an empty player; it lands in the same
raw table as the props."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import pandas as pd

from propcast.timeutil import parse_utc, parse_utc_series, slate_date
from propcast.vendors.base import (
    BatchParse,
    ParsedPayload,
    Payload,
    RejectedRow,
    UnparseablePayload,
    blank,
    first_failure,
    is_game_total,
    is_game_total_sql,
    split_rejected,
)
from propcast.vendors.csv_batch import read_csv_table
from propcast.vendors.sanity import (
    CUT_RECORD_REASON,
    GAME_WINDOW_REASON,
    MAX_AMERICAN_ODDS,
    MAX_LINE,
    SHORT_ROW_REASON,
    american_out_of_range,
    duplicate_reason,
    flag_duplicates_sql,
    game_window_sql,
    implausible_stamp,
    later_duplicates,
    line_out_of_range,
    outside_game_window,
    plausible_stamp,
    read_csv_text,
    register_snapshots,
    short_mask,
    within_years,
)
from propcast.vendors.staging import (
    SQL_MACROS,
    Staged,
    checked_table,
    csv_rejected,
    map_distinct,
    map_texts,
    parse_batch_in_memory,
)

FEED = "prop_odds"
TABLE = "raw_csvfeed__prop_odds"
GAME_TOTAL = "TOT"  # the stat code of a game total (a row without a player)
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


# A quote's business key within a snapshot: a second row with the same key is refused.
KEY = ("game_start", "home", "away", "book", "player", "stat", "line")
DUPLICATE = duplicate_reason(["game_start", "teams", "book", "player", "stat", "line"])


def _american_checks(odds: pd.Series, column: str) -> list:
    return [
        (odds.isna(), f"{column} missing or not a number"),
        (odds.abs() < 100, f"{column} is not valid American odds (|odds| must be >= 100)"),
        (odds.abs() > MAX_AMERICAN_ODDS, american_out_of_range(column)),
    ]


def _game_starts(texts: pd.Series) -> pd.Series:
    return within_years(parse_utc_series(texts))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The file's text columns typed (timestamps, numbers); the row text of a refused row is this
    frame's row, so a refused row reads the same whether its file was parsed alone or in bulk."""
    frame = frame[COLUMNS].copy()
    frame["game_start"] = _game_starts(frame["game_start"])
    for column in NUMBER_COLUMNS:
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    return frame


def _checks(frame: pd.DataFrame, snapshot: datetime) -> list:
    return [
        (frame["game_start"].isna(), "game_start missing or not a timestamp"),
        (outside_game_window(frame["game_start"], snapshot), GAME_WINDOW_REASON),
        *[(blank(frame[c]), f"{c} missing") for c in ("home", "away", "book")],
        (blank(frame["player"]) & ~is_game_total(frame["stat"], GAME_TOTAL), "player missing"),
        (blank(frame["stat"]), "stat missing"),
        (frame["line"].isna() | (frame["line"] < 0), "line missing or negative"),
        (frame["line"] > MAX_LINE, line_out_of_range("line")),
        *_american_checks(frame["over_odds"], "over_odds"),
        *_american_checks(frame["under_odds"], "under_odds"),
    ]


def _good_rows(frame: pd.DataFrame) -> pd.DataFrame:
    good = frame.drop(columns=["snapshot_time"])
    good["game_date"] = slate_date(good["game_start"])
    return good


def parse(payload: bytes) -> ParsedPayload:
    try:
        frame, short, cut = read_csv_text(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnparseablePayload(f"not a CSV file: {exc}") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise UnparseablePayload(f"csvfeed snapshot lacks columns {missing}")
    snapshots = {parse_utc(v) for v in frame["snapshot_time"].unique()} - {None}
    if len(snapshots) != 1:
        raise UnparseablePayload(f"expected one snapshot_time per file, found {len(snapshots)}")
    snapshot = snapshots.pop()
    if not plausible_stamp(snapshot):
        raise UnparseablePayload(implausible_stamp("snapshot_time", snapshot))
    short = short_mask(short, len(frame))
    frame = _typed(frame)
    reasons = first_failure(len(frame), [(short, SHORT_ROW_REASON), *_checks(frame, snapshot)])
    reasons[later_duplicates(frame, reasons, KEY)] = DUPLICATE
    good, rejected = split_rejected(
        frame, reasons, lambda i: frame.iloc[i].to_json(), first_row_number=FIRST_ROW_NUMBER
    )
    if cut is not None:
        rejected.append(RejectedRow(len(frame) + FIRST_ROW_NUMBER, cut, CUT_RECORD_REASON))
    return ParsedPayload(snapshot, _good_rows(good), rejected)


_SQL_CHECKS = [
    ("game_start is null", "game_start missing or not a timestamp"),
    (game_window_sql("game_start"), GAME_WINDOW_REASON),
    *[(f"is_blank({c})", f"{c} missing") for c in ("home", "away", "book")],
    (f"is_blank(player) and not {is_game_total_sql('stat', GAME_TOTAL)}", "player missing"),
    ("is_blank(stat)", "stat missing"),
    ("line is null or isnan(line) or line < 0", "line missing or negative"),
    (f"line > {MAX_LINE}", line_out_of_range("line")),
    *[
        check
        for c in ("over_odds", "under_odds")
        for check in [
            (f"{c} is null or isnan({c})", f"{c} missing or not a number"),
            (f"abs({c}) < 100", f"{c} is not valid American odds (|odds| must be >= 100)"),
            (f"abs({c}) > {MAX_AMERICAN_ODDS}", american_out_of_range(c)),
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
    snapshots = f"{name}_snap"
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
        fetched_at = {
            p: next(iter(s))
            for p, s in stamps.items()
            if len(s) == 1 and plausible_stamp(next(iter(s)))
        }
        vouched = ", ".join(map(str, fetched_at)) or "-1"
        register_snapshots(con, snapshots, fetched_at)
        map_texts(con, times, f"select distinct game_start from {raw}", _game_starts)
        union = " union ".join(f"select distinct {c} from {raw}" for c in NUMBER_COLUMNS)
        map_distinct(con, numbers, union, _numbers, "double")
        checked_table(
            con,
            name,
            f"""select r.payload, r._row + {FIRST_ROW_NUMBER} as row_number, r.league,
                t.ts as game_start, r.home, r.away, r.book, r.player, r.stat,
                l.value as line, o.value as over_odds, u.value as under_odds,
                t.slate as game_date, s._snapshot
            from {raw} r
            left join {snapshots} s on s.payload = r.payload
            left join {times} t on t.text = r.game_start
            left join {numbers} l on l.text = r.line
            left join {numbers} o on o.text = r.over_odds
            left join {numbers} u on u.text = r.under_odds
            where r.payload in ({vouched})""",
            _SQL_CHECKS,
            helpers=("_snapshot",),
        )
        flag_duplicates_sql(con, name, KEY, DUPLICATE)
        rejected = csv_rejected(con, name, raw, _typed, NUMBER_COLUMNS, FIRST_ROW_NUMBER)
    finally:
        con.unregister(raw)
        con.execute(f"drop table if exists {times}; drop table if exists {numbers}")
        con.execute(f"drop table if exists {snapshots}")
    return Staged(fetched_at, name, rejected)


def parse_batch(payloads: Sequence[Payload]) -> BatchParse:
    """`stage` on an in-memory database, its good rows as pandas."""
    return parse_batch_in_memory(stage, payloads)
