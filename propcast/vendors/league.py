"""`league`: the league's stats feed — season schedule with results, player boxscores, and the
availability (injury) report of who is out for a date's games (CSV)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from propcast.markets import league_counts
from propcast.timeutil import parse_utc, parse_utc_series
from propcast.vendors.base import (
    BatchParse,
    ParsedPayload,
    Payload,
    RejectedRow,
    UnparseablePayload,
    blank,
    first_failure,
    parse_distinct,
    rejected_rows,
    split_rejected,
)
from propcast.vendors.csv_batch import read_csv_batch
from propcast.vendors.sanity import (
    CUT_RECORD_REASON,
    MAX_COUNT,
    MAX_DAYS_FROM_FILE,
    SHORT_ROW_REASON,
    duplicate_reason,
    implausible_stamp,
    later_duplicates,
    plausible_stamp,
    read_csv_text,
    short_mask,
    within_years,
)
from propcast.vendors.staging import Staged, stage_frames

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
#: Counts an older feed predates: a file of its league may lack the column (the count loads as
#: null, not reported); present, it is checked like any count.
LEGACY_OPTIONAL_COUNTS = ("threes",)

#: Every league's counts, in the seed's order: each is a column of raw_boxscores.
COUNT_STATS = tuple(dict.fromkeys(s for stats in league_counts().values() for s in stats))
#: The counts a row of each league must report (its file must carry their columns).
REQUIRED_COUNTS = {
    league: tuple(s for s in stats if s not in LEGACY_OPTIONAL_COUNTS)
    for league, stats in league_counts().items()
}
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
    *COUNT_STATS,
    "fetched_at",
]
AVAILABILITY_COLUMNS = [
    "game_id",
    "league",
    "game_date",
    "team",
    "player_id",
    "player_name",
    "status",
    "reason",
    "reported_at",
    "fetched_at",
]
#: An injury report's statuses, from sure out to sure in (the NBA's official report's words);
#: the predictors count `out`.
AVAILABILITY_STATUSES = ("out", "doubtful", "questionable", "probable", "available")
STATUSES = ("scheduled", "final", "postponed")
SCORES = ("home_score", "away_score")
MAX_MINUTES = 70  # four overtimes fit; more is a feed error


def _read(payload: bytes, kind: _Kind) -> tuple[pd.DataFrame, np.ndarray, str | None]:
    """The file's columns of `kind` as text, its short rows, its cut record (`read_csv_text`);
    an optional column the file lacks reads as blank unless its rows need it (`kind.needed`)."""
    try:
        frame, short, cut = read_csv_text(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnparseablePayload(f"not a CSV file: {exc}") from exc
    absent = [c for c in kind.columns if c not in frame.columns]
    leagues = frame["league"].tolist() if "league" in frame.columns else []
    needed = set(kind.needed(leagues, frame.columns))
    missing = [c for c in absent if c not in kind.optional or c in needed]
    if missing:
        raise UnparseablePayload(f"CSV lacks columns {missing}")
    frame = frame.assign(**dict.fromkeys(absent, ""))
    return frame[kind.columns].copy(), short_mask(short, len(frame)), cut


def _league_key(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.upper()


def needed_counts(leagues: Iterable[str], present: Iterable[str]) -> tuple[str, ...]:
    """The count columns a boxscore file must carry: every count of each league its rows name
    (`leagues`); when they name none it knows, those of the league whose counts its columns
    (`present`) come closest to (a file is some league's boxscores)."""
    keys = sorted({str(v).strip().upper() for v in leagues} & REQUIRED_COUNTS.keys())
    if not keys:
        have = set(present)
        keys = [max(REQUIRED_COUNTS, key=lambda k: len(have.intersection(REQUIRED_COUNTS[k])))]
    return tuple(s for league in keys for s in REQUIRED_COUNTS[league])


def _numbers(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> None:
    for column in columns:
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")


def _dates(values: pd.Series) -> pd.Series:
    # pandas infers the date format from a column's first value: one file's dates are one column.
    return within_years(pd.to_datetime(values, errors="coerce")).dt.date


def _fetched_at(frame: pd.DataFrame) -> datetime:
    stamps = [s for s in (parse_utc(v) for v in frame["fetched_at"].unique()) if s is not None]
    if not stamps:
        raise UnparseablePayload("no usable fetched_at in the file")
    if not plausible_stamp(max(stamps)):
        raise UnparseablePayload(implausible_stamp("fetched_at", max(stamps)))
    return max(stamps)


def _count_checks(frame: pd.DataFrame, column: str) -> list:
    """A count (points, a score): beyond any game, or a fraction, is impossible."""
    return [
        (frame[column] > MAX_COUNT, f"{column} impossible (> {MAX_COUNT})"),
        (frame[column].notna() & (frame[column] % 1 != 0), f"{column} is not a whole number"),
    ]


def _typed_schedule(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[SCHEDULE_COLUMNS].copy()
    _numbers(frame, SCORES)
    frame["start_time_utc"] = parse_utc_series(frame["start_time_utc"])
    return frame


def _schedule_checks(frame: pd.DataFrame, days: pd.Series) -> list:
    """`days`: each row's game_date minus its file's fetched_at date."""
    final = frame["status"] == "final"
    return [
        (blank(frame["game_id"]) | blank(frame["home_team"]) | blank(frame["away_team"]),
         "game_id or team missing"),
        (frame["game_date"].isna(), "game_date missing or not a date"),
        (days.abs() > MAX_DAYS_FROM_FILE,
         f"game_date more than {MAX_DAYS_FROM_FILE} days from the file's fetched_at"),
        (~frame["status"].isin(STATUSES), f"status not one of {list(STATUSES)}"),
        (final & (frame["home_score"].isna() | frame["away_score"].isna()),
         "final game without both scores"),
        (frame["home_score"] < 0, "home_score is negative"),
        (frame["away_score"] < 0, "away_score is negative"),
        *[check for score in SCORES for check in _count_checks(frame, score)],
    ]  # fmt: skip


def _typed_boxscores(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[BOXSCORE_COLUMNS].copy()
    _numbers(frame, ("minutes", *COUNT_STATS))
    frame["starter"] = frame["starter"].str.lower().map({"true": True, "false": False})
    return frame


def _boxscore_checks(frame: pd.DataFrame, days: pd.Series) -> list:
    """`days`: each row's game_date minus its file's fetched_at date. A row's league names the
    counts it must report (seeds/markets.csv); another league's counts may be blank."""
    league = _league_key(frame["league"])
    known = sorted(REQUIRED_COUNTS)
    checks = [
        (blank(frame["game_id"]) | blank(frame["player_id"]) | blank(frame["team"]),
         "game_id, player_id or team missing"),
        (~league.isin(known), f"league not one of {known}"),
        (frame["game_date"].isna(), "game_date missing or not a date"),
        (days > 0, "game_date after the file's fetched_at (a boxscore of a game not yet played)"),
        (days < -MAX_DAYS_FROM_FILE,
         f"game_date more than {MAX_DAYS_FROM_FILE} days before the file's fetched_at"),
        (frame["minutes"].isna(), "minutes missing"),
        (frame["minutes"] < 0, "minutes is negative"),
    ]  # fmt: skip
    for stat in COUNT_STATS:
        required = league.isin([k for k, counts in REQUIRED_COUNTS.items() if stat in counts])
        checks += [
            (required & frame[stat].isna(), f"{stat} missing"),
            (frame[stat] < 0, f"{stat} is negative"),
        ]
    checks.append((frame["minutes"] > MAX_MINUTES, f"minutes impossible (> {MAX_MINUTES})"))
    for stat in COUNT_STATS:
        checks += _count_checks(frame, stat)
    return checks


def _typed_availability(frame: pd.DataFrame) -> pd.DataFrame:
    # `reason` names the quarantine's column in a staged batch (staging.stage_frames).
    frame = frame[AVAILABILITY_COLUMNS].rename(columns={"reason": "status_reason"})
    frame["status"] = frame["status"].str.strip().str.lower()
    frame["reported_at"] = parse_utc_series(frame["reported_at"])
    return frame


def _availability_checks(frame: pd.DataFrame, days: pd.Series) -> list:
    """`days`: each row's game_date minus its file's fetched_at date. A report names players
    out for games to come or just played (a late report), never a season away."""
    known = sorted(REQUIRED_COUNTS)
    fetched = pd.to_datetime(parse_distinct(frame["fetched_at"], parse_utc))
    return [
        (blank(frame["player_id"]) | blank(frame["team"]), "player_id or team missing"),
        (~_league_key(frame["league"]).isin(known), f"league not one of {known}"),
        (frame["game_date"].isna(), "game_date missing or not a date"),
        (days.abs() > MAX_DAYS_FROM_FILE,
         f"game_date more than {MAX_DAYS_FROM_FILE} days from the file's fetched_at"),
        (~frame["status"].isin(AVAILABILITY_STATUSES),
         f"status not one of {list(AVAILABILITY_STATUSES)}"),
        (frame["reported_at"].isna(), "reported_at missing or not a timestamp"),
        (frame["reported_at"] > fetched, "reported_at after the file's fetched_at"),
    ]  # fmt: skip


@dataclass(frozen=True)
class _Kind:
    columns: list[str]
    number_columns: tuple[str, ...]
    typed: Callable[[pd.DataFrame], pd.DataFrame]
    checks: Callable[[pd.DataFrame, pd.Series], list]
    keys: tuple[tuple[str, ...], ...]  # a row repeating an earlier good row's key in its file
    # is refused (a schedule lists a game once: by its id, and by its teams on its date)
    optional: tuple[str, ...] = ()  # columns a file may lack (read as blank)
    # The optional columns a file must carry after all, given its rows' league values and the
    # columns it has.
    needed: Callable[[Iterable[str], Iterable[str]], tuple[str, ...]] = lambda _l, _c: ()


MATCHUP = ("league", "game_date", "home_team", "away_team")
SCHEDULE = _Kind(
    SCHEDULE_COLUMNS, SCORES, _typed_schedule, _schedule_checks, (("game_id",), MATCHUP)
)
BOXSCORES = _Kind(
    BOXSCORE_COLUMNS,
    ("minutes", *COUNT_STATS),
    _typed_boxscores,
    _boxscore_checks,
    (("game_id", "player_id"),),
    COUNT_STATS,
    needed_counts,
)


AVAILABILITY = _Kind(
    AVAILABILITY_COLUMNS,
    (),
    _typed_availability,
    _availability_checks,
    (("game_date", "team", "player_id"),),
    ("game_id", "player_name", "reason"),
)


def _reasons(
    frame: pd.DataFrame, short: np.ndarray, fetched: pd.Series, payloads: pd.Series, kind: _Kind
) -> pd.Series:
    """Per row, why it is refused (None: it loads): `fetched` is its file's fetched_at, `payloads`
    its file (duplicates are looked for within a file)."""
    days = (pd.to_datetime(frame["game_date"]) - pd.to_datetime(fetched).dt.normalize()).dt.days
    reasons = first_failure(len(frame), [(short, SHORT_ROW_REASON), *kind.checks(frame, days)])
    keyed = frame.assign(_file=payloads.to_numpy())
    for key in kind.keys:
        reasons[later_duplicates(keyed, reasons, ("_file", *key))] = duplicate_reason(key)
    return reasons


def _parse(payload: bytes, kind: _Kind) -> ParsedPayload:
    text, short, cut = _read(payload, kind)
    frame = kind.typed(text)
    frame["game_date"] = _dates(frame["game_date"])
    fetched = _fetched_at(frame)
    every_row = pd.Series([fetched] * len(frame), index=frame.index, dtype="datetime64[us]")
    reasons = _reasons(frame, short, every_row, pd.Series(0, index=frame.index), kind)
    good, rejected = split_rejected(frame, reasons, lambda i: frame.iloc[i].to_json())
    if cut is not None:
        rejected.append(RejectedRow(len(frame) + 1, cut, CUT_RECORD_REASON))
    return ParsedPayload(fetched, good.drop(columns=["fetched_at"]), rejected)


def _parse_batch(payloads: Sequence[Payload], kind: _Kind) -> BatchParse:
    raw, _ = read_csv_batch([p.content for p in payloads], kind.columns, kind.optional, kind.needed)
    stamps = pd.DataFrame(
        {"payload": raw["payload"], "at": parse_distinct(raw["fetched_at"], parse_utc)}
    ).dropna()
    latest = stamps.groupby("payload")["at"].max().to_dict()
    fetched_at = {p: at for p, at in latest.items() if plausible_stamp(at)}
    raw = raw[raw["payload"].isin(fetched_at)].reset_index(drop=True)
    frame = kind.typed(raw)
    frame["game_date"] = frame["game_date"].groupby(raw["payload"], sort=False).transform(_dates)
    fetched = pd.Series(raw["payload"].map(fetched_at), dtype="datetime64[us]")
    no_short_rows = np.zeros(len(frame), dtype=bool)  # pyarrow refuses a file with one
    reasons = _reasons(frame, no_short_rows, fetched, raw["payload"], kind)
    good = frame.loc[reasons.isna().to_numpy()].drop(columns=["fetched_at"])
    return BatchParse(
        fetched_at,
        good.assign(payload=raw["payload"]).reset_index(drop=True),
        rejected_rows(raw, frame, reasons, kind.number_columns, first_row_number=1),
    )


class _LeagueFiles:
    """One kind of the league's files as ingest reads it (propcast.ingest.FEEDS): `parse` one
    payload, or `stage` a batch of them in one DuckDB temp table (`_parse_batch`: one frame,
    the checks run once)."""

    def __init__(self, kind: _Kind, stage_name: str) -> None:
        self.kind, self.stage_name = kind, stage_name

    def parse(self, payload: bytes) -> ParsedPayload:
        return _parse(payload, self.kind)

    def stage(
        self, con: duckdb.DuckDBPyConnection, payloads: Sequence[Payload], name: str = ""
    ) -> Staged:
        return stage_frames(con, _parse_batch(payloads, self.kind), name or self.stage_name)


SCHEDULE_FEED = _LeagueFiles(SCHEDULE, "_stage_league_schedule")
BOXSCORES_FEED = _LeagueFiles(BOXSCORES, "_stage_league_boxscores")
AVAILABILITY_FEED = _LeagueFiles(AVAILABILITY, "_stage_league_availability")
parse_schedule, stage_schedule = SCHEDULE_FEED.parse, SCHEDULE_FEED.stage
parse_boxscores, stage_boxscores = BOXSCORES_FEED.parse, BOXSCORES_FEED.stage
parse_availability, stage_availability = AVAILABILITY_FEED.parse, AVAILABILITY_FEED.stage
