"""`league`: the league's stats feed — season schedule with results, and player boxscores (CSV)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from propcast.timeutil import parse_utc, parse_utc_series
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
SCORES = ("home_score", "away_score")
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


def _dates(values: pd.Series) -> pd.Series:
    # pandas infers the date format from a column's first value: one file's dates are one column.
    return pd.to_datetime(values, errors="coerce").dt.date


def _fetched_at(frame: pd.DataFrame) -> datetime:
    stamps = [s for s in (parse_utc(v) for v in frame["fetched_at"].unique()) if s is not None]
    if not stamps:
        raise UnparseablePayload("no usable fetched_at in the file")
    return max(stamps)


def _typed_schedule(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[SCHEDULE_COLUMNS].copy()
    _numbers(frame, SCORES)
    frame["start_time_utc"] = parse_utc_series(frame["start_time_utc"])
    return frame


def _schedule_checks(frame: pd.DataFrame) -> list:
    final = frame["status"] == "final"
    return [
        (blank(frame["game_id"]) | blank(frame["home_team"]) | blank(frame["away_team"]),
         "game_id or team missing"),
        (frame["game_date"].isna(), "game_date missing or not a date"),
        (~frame["status"].isin(STATUSES), f"status not one of {list(STATUSES)}"),
        (final & (frame["home_score"].isna() | frame["away_score"].isna()),
         "final game without both scores"),
        (frame["home_score"] < 0, "home_score is negative"),
        (frame["away_score"] < 0, "away_score is negative"),
    ]  # fmt: skip


def _typed_boxscores(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[BOXSCORE_COLUMNS].copy()
    _numbers(frame, STATS)
    frame["starter"] = frame["starter"].str.lower().map({"true": True, "false": False})
    return frame


def _boxscore_checks(frame: pd.DataFrame) -> list:
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
    return checks


@dataclass(frozen=True)
class _Kind:
    columns: list[str]
    number_columns: tuple[str, ...]
    typed: Callable[[pd.DataFrame], pd.DataFrame]
    checks: Callable[[pd.DataFrame], list]


SCHEDULE = _Kind(SCHEDULE_COLUMNS, SCORES, _typed_schedule, _schedule_checks)
BOXSCORES = _Kind(BOXSCORE_COLUMNS, STATS, _typed_boxscores, _boxscore_checks)


def _parse(payload: bytes, kind: _Kind) -> ParsedPayload:
    frame = kind.typed(_read(payload, kind.columns))
    frame["game_date"] = _dates(frame["game_date"])
    fetched = _fetched_at(frame)
    reasons = first_failure(len(frame), kind.checks(frame))
    good, rejected = split_rejected(frame, reasons, lambda i: frame.iloc[i].to_json())
    return ParsedPayload(fetched, good.drop(columns=["fetched_at"]), rejected)


def parse_schedule(payload: bytes) -> ParsedPayload:
    return _parse(payload, SCHEDULE)


def parse_boxscores(payload: bytes) -> ParsedPayload:
    return _parse(payload, BOXSCORES)


def _parse_batch(payloads: Sequence[Payload], kind: _Kind) -> BatchParse:
    raw, _ = read_csv_batch([p.content for p in payloads], kind.columns)
    stamps = pd.DataFrame(
        {"payload": raw["payload"], "at": parse_distinct(raw["fetched_at"], parse_utc)}
    ).dropna()
    fetched_at = stamps.groupby("payload")["at"].max().to_dict()
    raw = raw[raw["payload"].isin(fetched_at)].reset_index(drop=True)
    frame = kind.typed(raw)
    frame["game_date"] = frame["game_date"].groupby(raw["payload"], sort=False).transform(_dates)
    reasons = first_failure(len(frame), kind.checks(frame))
    good = frame.loc[reasons.isna().to_numpy()].drop(columns=["fetched_at"])
    return BatchParse(
        fetched_at,
        good.assign(payload=raw["payload"]).reset_index(drop=True),
        rejected_rows(raw, frame, reasons, kind.number_columns, first_row_number=1),
    )


def parse_schedule_batch(payloads: Sequence[Payload]) -> BatchParse:
    """`parse_schedule` over many files at once: one frame, the checks run once."""
    return _parse_batch(payloads, SCHEDULE)


def parse_boxscores_batch(payloads: Sequence[Payload]) -> BatchParse:
    """`parse_boxscores` over many files at once: one frame, the checks run once."""
    return _parse_batch(payloads, BOXSCORES)


def stage_schedule(
    con: duckdb.DuckDBPyConnection,
    payloads: Sequence[Payload],
    name: str = "_stage_league_schedule",
) -> Staged:
    """`parse_schedule_batch` staged in DuckDB temp table `name`."""
    return stage_frames(con, parse_schedule_batch(payloads), name)


def stage_boxscores(
    con: duckdb.DuckDBPyConnection,
    payloads: Sequence[Payload],
    name: str = "_stage_league_boxscores",
) -> Staged:
    """`parse_boxscores_batch` staged in DuckDB temp table `name`."""
    return stage_frames(con, parse_boxscores_batch(payloads), name)
