"""`csvfeed`: a flat CSV per snapshot, one row per (player, stat, book, line), American odds."""

from __future__ import annotations

import io

import pandas as pd

from propcast.timeutil import parse_utc, parse_utc_series, slate_date
from propcast.vendors.base import (
    ParsedPayload,
    UnparseablePayload,
    blank,
    first_failure,
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


def _american_checks(odds: pd.Series, column: str) -> list:
    return [
        (odds.isna(), f"{column} missing or not a number"),
        (odds.abs() < 100, f"{column} is not valid American odds (|odds| must be >= 100)"),
    ]


def parse(payload: bytes) -> ParsedPayload:
    try:
        frame = pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnparseablePayload(f"not a CSV file: {exc}") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise UnparseablePayload(f"csvfeed snapshot lacks columns {missing}")
    frame = frame[COLUMNS].copy()
    snapshots = {parse_utc(v) for v in frame["snapshot_time"].unique()} - {None}
    if len(snapshots) != 1:
        raise UnparseablePayload(f"expected one snapshot_time per file, found {len(snapshots)}")
    frame["game_start"] = parse_utc_series(frame["game_start"])
    for column in ("line", "over_odds", "under_odds"):
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    checks = [
        (frame["game_start"].isna(), "game_start missing or not a timestamp"),
        *[(blank(frame[c]), f"{c} missing") for c in ("home", "away", "book", "player", "stat")],
        (frame["line"].isna() | (frame["line"] < 0), "line missing or negative"),
        *_american_checks(frame["over_odds"], "over_odds"),
        *_american_checks(frame["under_odds"], "under_odds"),
    ]
    reasons = first_failure(len(frame), checks)
    # Row numbers count the header line, as a spreadsheet shows them.
    good, rejected = split_rejected(
        frame, reasons, lambda i: frame.iloc[i].to_json(), first_row_number=2
    )
    good = good.drop(columns=["snapshot_time"])
    good["game_date"] = slate_date(good["game_start"])
    return ParsedPayload(snapshots.pop(), good, rejected)
