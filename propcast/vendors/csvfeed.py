"""`csvfeed`: a flat CSV per snapshot, one row per (player, stat, book, line), American odds."""

from __future__ import annotations

import io
from collections.abc import Sequence

import duckdb
import pandas as pd

from propcast.timeutil import parse_utc, parse_utc_series, slate_date
from propcast.vendors.base import (
    BatchParse,
    ParsedPayload,
    Payload,
    Staged,
    UnparseablePayload,
    blank,
    first_failure,
    parse_distinct,
    read_csv_batch,
    rejected_rows,
    split_rejected,
    stage_frames,
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


def parse_batch(payloads: Sequence[Payload]) -> BatchParse:
    """`parse` over many snapshots at once: one frame, the checks run once over all its rows."""
    raw, _ = read_csv_batch([p.content for p in payloads], COLUMNS)
    snapshots = (
        pd.DataFrame(
            {"payload": raw["payload"], "at": parse_distinct(raw["snapshot_time"], parse_utc)}
        )
        .dropna()
        .drop_duplicates()
    )
    per_payload = snapshots["payload"].value_counts()
    single = snapshots[snapshots["payload"].isin(per_payload.index[per_payload == 1])]
    fetched_at = dict(zip(single["payload"], single["at"], strict=True))

    raw = raw[raw["payload"].isin(fetched_at)].reset_index(drop=True)
    frame = _typed(raw)
    reasons = first_failure(len(frame), _checks(frame))
    good = frame.loc[reasons.isna().to_numpy()]
    return BatchParse(
        fetched_at,
        _good_rows(good).assign(payload=raw["payload"]).reset_index(drop=True),
        rejected_rows(raw, frame, reasons, NUMBER_COLUMNS, FIRST_ROW_NUMBER),
    )


def stage(
    con: duckdb.DuckDBPyConnection, payloads: Sequence[Payload], name: str = "_stage_csvfeed"
) -> Staged:
    """`parse_batch` staged in DuckDB temp table `name`."""
    return stage_frames(con, parse_batch(payloads), name)
