"""`league`: the league's stats feed — season schedule with results, and player boxscores (CSV)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd

from propcast.timeutil import parse_utc
from propcast.vendors.base import ParsedPayload, RejectedRow, UnparseablePayload

SCHEDULE_COLUMNS = [
    "game_id", "league", "season", "game_date", "start_time_utc", "home_team", "away_team",
    "status", "home_score", "away_score", "fetched_at",
]  # fmt: skip
BOXSCORE_COLUMNS = [
    "game_id", "league", "game_date", "team", "opponent", "player_id", "player_name", "starter",
    "minutes", "points", "rebounds", "assists", "fetched_at",
]  # fmt: skip
STATUSES = {"scheduled", "final", "postponed"}


def _read(payload: bytes, expected: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(payload), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnparseablePayload(f"not a CSV file: {exc}") from exc
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise UnparseablePayload(f"CSV lacks columns {missing}")
    return frame[expected]


def _numbers(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = pd.to_numeric(out[column].replace("", None), errors="coerce")
    return out


def _split(
    frame: pd.DataFrame, problems: Callable[[pd.Series], str | None]
) -> tuple[pd.DataFrame, list[RejectedRow]]:
    reasons = frame.apply(problems, axis=1) if len(frame) else pd.Series([], dtype=object)
    bad = reasons.notna()
    rejected = [
        RejectedRow(int(i) + 1, frame.loc[i].to_json(), str(reasons[i])) for i in frame.index[bad]
    ]
    return frame.loc[~bad], rejected


def _fetched_at(frame: pd.DataFrame):
    stamps = [parse_utc(v) for v in frame["fetched_at"].unique()]
    stamps = [s for s in stamps if s is not None]
    if not stamps:
        raise UnparseablePayload("no usable fetched_at in the file")
    return max(stamps)


def parse_schedule(payload: bytes) -> ParsedPayload:
    raw = _read(payload, SCHEDULE_COLUMNS)
    frame = _numbers(raw, ["home_score", "away_score"])
    frame["game_date"] = pd.to_datetime(frame["game_date"], errors="coerce").dt.date
    frame["start_time_utc"] = frame["start_time_utc"].map(parse_utc)

    def problem(row: pd.Series) -> str | None:
        if not row["game_id"] or not row["home_team"] or not row["away_team"]:
            return "game_id or team missing"
        if pd.isna(row["game_date"]):
            return "game_date missing or not a date"
        if row["status"] not in STATUSES:
            return f"status {row['status']!r} not one of {sorted(STATUSES)}"
        if row["status"] == "final" and (pd.isna(row["home_score"]) or pd.isna(row["away_score"])):
            return "final game without both scores"
        for side in ("home_score", "away_score"):
            if pd.notna(row[side]) and row[side] < 0:
                return f"{side} is negative"
        return None

    good, rejected = _split(frame, problem)
    fetched = _fetched_at(raw)
    return ParsedPayload(fetched, good.drop(columns=["fetched_at"]), rejected)


def parse_boxscores(payload: bytes) -> ParsedPayload:
    raw = _read(payload, BOXSCORE_COLUMNS)
    frame = _numbers(raw, ["minutes", "points", "rebounds", "assists"])
    frame["game_date"] = pd.to_datetime(frame["game_date"], errors="coerce").dt.date
    frame["starter"] = frame["starter"].str.lower().map({"true": True, "false": False})

    def problem(row: pd.Series) -> str | None:
        if not row["game_id"] or not row["player_id"] or not row["team"]:
            return "game_id, player_id or team missing"
        if pd.isna(row["game_date"]):
            return "game_date missing or not a date"
        for stat in ("minutes", "points", "rebounds", "assists"):
            if pd.isna(row[stat]):
                return f"{stat} missing"
            if row[stat] < 0:
                return f"{stat} is negative"
        if row["minutes"] > 70:
            return f"minutes {row['minutes']} impossible (> 70)"
        return None

    good, rejected = _split(frame, problem)
    fetched = _fetched_at(raw)
    return ParsedPayload(fetched, good.drop(columns=["fetched_at"]), rejected)
