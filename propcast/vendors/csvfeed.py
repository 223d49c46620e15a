"""`csvfeed`: a flat CSV per snapshot, one row per (player, stat, book, line), American odds."""

from __future__ import annotations

import io

import pandas as pd

from propcast.timeutil import parse_utc, slate_date
from propcast.vendors.base import ParsedPayload, RejectedRow, UnparseablePayload

FEED = "prop_odds"
TABLE = "raw_csvfeed__prop_odds"
COLUMNS = [
    "snapshot_time", "league", "game_start", "home", "away", "book", "player", "stat", "line",
    "over_odds", "under_odds",
]  # fmt: skip


def _american_problem(value: float, column: str) -> str | None:
    if pd.isna(value):
        return f"{column} missing or not a number"
    if -100 < value < 100:
        return f"{column} {value:g} is not valid American odds (|odds| must be >= 100)"
    return None


def _row_problem(row: pd.Series) -> str | None:
    if pd.isna(row["game_start"]):
        return "game_start missing or not a timestamp"
    for column in ("home", "away", "book", "player", "stat"):
        if not row[column]:
            return f"{column} missing"
    if pd.isna(row["line"]) or row["line"] < 0:
        return f"line {row['line']!r} missing or negative"
    return _american_problem(row["over_odds"], "over_odds") or _american_problem(
        row["under_odds"], "under_odds"
    )


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
    frame["game_start"] = frame["game_start"].map(parse_utc)
    for column in ("line", "over_odds", "under_odds"):
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    reasons = frame.apply(_row_problem, axis=1) if len(frame) else pd.Series([], dtype=object)
    bad = reasons.notna()
    rejected = [
        RejectedRow(int(i) + 2, frame.loc[i].to_json(), str(reasons[i])) for i in frame.index[bad]
    ]  # row_number counts the header line, as a spreadsheet would show it
    good = frame.loc[~bad].drop(columns=["snapshot_time"])
    good["game_date"] = slate_date(good["game_start"]) if len(good) else []
    return ParsedPayload(snapshots.pop(), good.reset_index(drop=True), rejected)
