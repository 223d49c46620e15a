"""`league`: the league's stats feed — season schedule with results, and player boxscores (CSV)."""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd

from propcast.timeutil import parse_utc, parse_utc_series
from propcast.vendors.base import (
    ParsedPayload,
    UnparseablePayload,
    blank,
    first_failure,
    split_rejected,
)

SCHEDULE_COLUMNS = [
    "game_id",
    "league",
    "season",
    "game_date",
    "start_time_utc",
    "home_team",
    "away_team",
    "status",
    "home_score",
    "away_score",
    "fetched_at",
]
BOXSCORE_COLUMNS = [
    "game_id",
    "league",
    "game_date",
    "team",
    "opponent",
    "player_id",
    "player_name",
    "starter",
    "minutes",
    "points",
    "rebounds",
    "assists",
    "fetched_at",
]
STATUSES = ("scheduled", "final", "postponed")
STATS = ("minutes", "points", "rebounds", "assists")
MAX_MINUTES = 70  # four overtimes fit; more is a feed error


def _read(payload: bytes, expected: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnparseablePayload(f"not a CSV file: {exc}") from exc
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise UnparseablePayload(f"CSV lacks columns {missing}")
    return frame[expected].copy()


def _numbers(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> None:
    for column in columns:
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")


def _fetched_at(frame: pd.DataFrame) -> datetime:
    stamps = [s for s in (parse_utc(v) for v in frame["fetched_at"].unique()) if s is not None]
    if not stamps:
        raise UnparseablePayload("no usable fetched_at in the file")
    return max(stamps)


def _finish(frame: pd.DataFrame, checks: list) -> ParsedPayload:
    fetched = _fetched_at(frame)
    reasons = first_failure(len(frame), checks)
    good, rejected = split_rejected(frame, reasons, lambda i: frame.iloc[i].to_json())
    return ParsedPayload(fetched, good.drop(columns=["fetched_at"]), rejected)


def parse_schedule(payload: bytes) -> ParsedPayload:
    frame = _read(payload, SCHEDULE_COLUMNS)
    _numbers(frame, ["home_score", "away_score"])
    frame["game_date"] = pd.to_datetime(frame["game_date"], errors="coerce").dt.date
    frame["start_time_utc"] = parse_utc_series(frame["start_time_utc"])
    final = frame["status"] == "final"
    checks = [
        (blank(frame["game_id"]) | blank(frame["home_team"]) | blank(frame["away_team"]),
         "game_id or team missing"),
        (frame["game_date"].isna(), "game_date missing or not a date"),
        (~frame["status"].isin(STATUSES), f"status not one of {list(STATUSES)}"),
        (final & (frame["home_score"].isna() | frame["away_score"].isna()),
         "final game without both scores"),
        (frame["home_score"] < 0, "home_score is negative"),
        (frame["away_score"] < 0, "away_score is negative"),
    ]  # fmt: skip
    return _finish(frame, checks)


def parse_boxscores(payload: bytes) -> ParsedPayload:
    frame = _read(payload, BOXSCORE_COLUMNS)
    _numbers(frame, STATS)
    frame["game_date"] = pd.to_datetime(frame["game_date"], errors="coerce").dt.date
    frame["starter"] = frame["starter"].str.lower().map({"true": True, "false": False})
    checks = [
        (blank(frame["game_id"]) | blank(frame["player_id"]) | blank(frame["team"]),
         "game_id, player_id or team missing"),
        (frame["game_date"].isna(), "game_date missing or not a date"),
    ]  # fmt: skip
    for stat in STATS:
        checks += [
            (frame[stat].isna(), f"{stat} missing"),
            (frame[stat] < 0, f"{stat} is negative"),
        ]
    checks.append((frame["minutes"] > MAX_MINUTES, f"minutes impossible (> {MAX_MINUTES})"))
    return _finish(frame, checks)
