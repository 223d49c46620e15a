"""The freshness matrix's cases (test_freshness.py): a tiny raw layer written relative to a
pinned clock, the clocks that straddle each threshold and both daylight-saving change days, the
verdict each source must get, and the scenarios. No dbt here: the tests run it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from propcast.raw_schema import ensure_raw_schema
from propcast.timeutil import slate_time_to_utc

BOXSCORES = "source.propcast.league.boxscores"
SCHEDULE = "source.propcast.league.schedule"
ODDS = "source.propcast.oddsapi.prop_odds"
SOURCES = (BOXSCORES, SCHEDULE, ODDS)
RESULTS_HOURS = (8, 14)  # warn, error
SLATE_HOURS = (6, 12)
SOURCE_SELECTORS = ["source:league.boxscores", "source:league.schedule", "source:oddsapi.prop_odds"]
TEST_SELECTORS = [f"test_name:fresh_on_latest_due_game_date,{s}" for s in SOURCE_SELECTORS]
# Builds run the generic test at warn severity (a stale feed degrades a run); these scenarios
# assert its level, so they parse with error severity.
STRICT = {"freshness_test_severity": "error"}


# ----------------------------------------------------------------------------- raw rows


@dataclass
class RawLayer:
    """Raw rows for one scenario: (game_date, status, loaded_at) etc., one game per entry."""

    schedule: list[tuple[date, str, datetime]] = field(default_factory=list)
    boxscores: list[tuple[date, datetime]] = field(default_factory=list)
    odds: list[tuple[date, datetime]] = field(default_factory=list)

    def season(self, dates: Iterable[date], loaded_at: datetime) -> RawLayer:
        """The season file: every game `scheduled`."""
        self.schedule += [(d, "scheduled", loaded_at) for d in dates]
        return self

    def results(self, dates: Iterable[date], loaded_at: datetime) -> RawLayer:
        """The morning-after files: final scores and boxscores."""
        for d in dates:
            self.schedule.append((d, "final", loaded_at))
            self.boxscores.append((d, loaded_at))
        return self

    def postponed(self, day: date, loaded_at: datetime) -> RawLayer:
        self.schedule.append((day, "postponed", loaded_at))
        return self

    def quotes(self, dates: Iterable[date], loaded_at: datetime) -> RawLayer:
        self.odds += [(d, loaded_at) for d in dates]
        return self

    def write(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        try:
            ensure_raw_schema(con)
            _insert(
                con,
                "insert into raw.raw_schedule (payload_sha256, source_file, fetched_at, "
                "loaded_at, game_date, game_id, league, season, start_time_utc, home_team, "
                "away_team, status, home_score, away_score) "
                "values (?, 'schedule.csv', ?, ?, ?, ?, 'NBA', '2026-27', ?, 'GS', 'NY', ?, ?, ?)",
                [
                    (
                        f"s{i}",
                        loaded - timedelta(minutes=5),
                        loaded,
                        day,
                        _game_id(day),
                        slate_time_to_utc(day, time(19, 30)),
                        status,
                        101 if status == "final" else None,
                        99 if status == "final" else None,
                    )
                    for i, (day, status, loaded) in enumerate(self.schedule)
                ],
            )
            _insert(
                con,
                "insert into raw.raw_boxscores (payload_sha256, source_file, fetched_at, "
                "loaded_at, game_date, game_id, league, team, opponent, player_id, player_name, "
                "starter, minutes, points, rebounds, assists) "
                "values (?, 'box.csv', ?, ?, ?, ?, 'NBA', 'GS', 'NY', 'P1', 'Stephen Curry', "
                "true, 34.0, 30, 5, 6)",
                [
                    (f"b{i}", loaded - timedelta(minutes=5), loaded, day, _game_id(day))
                    for i, (day, loaded) in enumerate(self.boxscores)
                ],
            )
            _insert(
                con,
                "insert into raw.raw_oddsapi__prop_odds (payload_sha256, source_file, "
                "fetched_at, loaded_at, game_date, event_id, sport_key, sport_title, "
                "commence_time, home_team, away_team, bookmaker_key, bookmaker_title, "
                "market_key, outcome_name, outcome_description, outcome_price, outcome_point) "
                "values (?, 'odds.json', ?, ?, ?, ?, 'basketball_nba', 'NBA', ?, "
                "'Golden State Warriors', 'New York Knicks', 'draftkings', 'DraftKings', "
                "'player_points', 'Over', 'Stephen Curry', -110, 27.5)",
                [
                    (
                        f"o{i}",
                        loaded - timedelta(minutes=2),
                        loaded,
                        day,
                        f"ev-{_game_id(day)}",
                        slate_time_to_utc(day, time(19, 30)),
                    )
                    for i, (day, loaded) in enumerate(self.odds)
                ],
            )
        finally:
            con.close()


def _insert(con: duckdb.DuckDBPyConnection, sql: str, rows: list[tuple]) -> None:
    if rows:
        con.executemany(sql, rows)


def _game_id(day: date) -> str:
    return f"NBA{day:%Y%m%d}001"


# ----------------------------------------------------------------------------- clocks


@dataclass(frozen=True)
class Clock:
    """A pinned "now": a wall-clock time in US/Eastern on a slate date."""

    name: str
    day: date
    wall: time

    @property
    def utc(self) -> datetime:
        return slate_time_to_utc(self.day, self.wall)

    @property
    def env(self) -> str:
        return f"{self.utc:%Y-%m-%dT%H:%M:%S}+00:00"


ORDINARY = date(2026, 11, 18)  # a Wednesday, 24 hours long
SPRING_FORWARD = date(2027, 3, 14)  # 23 hours long: 02:00 EST -> 03:00 EDT
FALL_BACK = date(2026, 11, 1)  # 25 hours long: 02:00 EDT -> 01:00 EST


def clock_at(day: date, hh: int, mm: int, label: str = "") -> Clock:
    return Clock(f"{label or day:}_{hh:02d}{mm:02d}", day, time(hh, mm))


# Times that straddle every threshold: results warn 8 h / error 14 h after the due date's end
# (midnight), odds warn 6 h / error 12 h after today's midnight; a minute each side.
THRESHOLD_CLOCKS = [
    clock_at(ORDINARY, 0, 30, "ordinary"),
    clock_at(ORDINARY, 5, 59, "ordinary"),
    clock_at(ORDINARY, 6, 1, "ordinary"),
    clock_at(ORDINARY, 7, 59, "ordinary"),
    clock_at(ORDINARY, 8, 1, "ordinary"),
    clock_at(ORDINARY, 11, 59, "ordinary"),
    clock_at(ORDINARY, 12, 1, "ordinary"),
    clock_at(ORDINARY, 13, 59, "ordinary"),
    clock_at(ORDINARY, 14, 1, "ordinary"),
    clock_at(ORDINARY, 23, 58, "ordinary"),
]
# On a 23- or 25-hour day the thresholds are elapsed hours, not wall-clock times: 8 h after
# midnight is 09:00 EDT on the spring day and 07:00 EST on the fall day. The day after, the
# due date (the short or long day) ended at midnight, not 24 h after it began.
DST_CLOCKS = [
    clock_at(SPRING_FORWARD, 8, 59, "spring_day"),
    clock_at(SPRING_FORWARD, 9, 1, "spring_day"),
    clock_at(SPRING_FORWARD + timedelta(days=1), 7, 59, "spring_next"),
    clock_at(SPRING_FORWARD + timedelta(days=1), 8, 1, "spring_next"),
    clock_at(FALL_BACK, 6, 59, "fall_day"),
    clock_at(FALL_BACK, 7, 1, "fall_day"),
    clock_at(FALL_BACK + timedelta(days=1), 7, 59, "fall_next"),
    clock_at(FALL_BACK + timedelta(days=1), 8, 1, "fall_next"),
]
ALL_CLOCKS = THRESHOLD_CLOCKS + DST_CLOCKS
# Every scenario runs at these in `make test`; the rest of the matrix runs in `make test-slow`,
# except for the scenarios whose verdict moves with the clock, which run at every threshold
# clock, and at the DST clocks when those straddle their thresholds (results: 8 h after the
# due date's end; the odds' 6 h and 12 h fall on no DST clock).
EVERY_SCENARIO_CLOCKS = {"ordinary_0030", "ordinary_1401"}
DST_SCENARIOS = {"a_backfill_while_yesterday_missing"}  # its verdict moves at 8 h (results)


# ----------------------------------------------------------------------------- verdicts


def _verdict(age_hours: float, thresholds: tuple[int, int]) -> str:
    """The verdict the rule gives an age: past error_after is error, past warn_after warn."""
    warn, error = thresholds
    return "error" if age_hours > error else "warn" if age_hours > warn else "pass"


def hours_since_slate_midnight(day: date, now: datetime) -> float:
    return (now - slate_time_to_utc(day, time(0, 0))).total_seconds() / 3600


def results_missing(due_date: date, now: datetime) -> str:
    """A results feed lacking the due date: aged from due_date + 1 at 00:00 US/Eastern."""
    return _verdict(hours_since_slate_midnight(due_date + timedelta(days=1), now), RESULTS_HOURS)


def slate_missing(today: date, now: datetime) -> str:
    """An odds feed lacking today's quotes although today has games: aged from 00:00 ET."""
    return _verdict(hours_since_slate_midnight(today, now), SLATE_HOURS)


def slate_loaded(hours_ago: float) -> str:
    return _verdict(hours_ago, SLATE_HOURS)


FRESH = "pass"


@dataclass
class Scenario:
    name: str
    build: Callable[[date, datetime], RawLayer]
    expect: Callable[[date, datetime], dict[str, str]]
    moves_with_the_clock: bool = False


def days_from(today: date, *offsets: int) -> list[date]:
    return [today + timedelta(days=o) for o in offsets]


SCENARIOS = [
    # (a) Old dates re-loaded today (a backfill) while the latest due date is missing: the
    # new loaded_at of old rows must not make the feed look fresh.
    Scenario(
        "a_backfill_while_yesterday_missing",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, -5, -4, -3, -2, -1, 0), now - timedelta(days=40))
            .results(days_from(today, -5, -4, -3, -2), now - timedelta(minutes=30))
        ),
        lambda today, now: {
            BOXSCORES: results_missing(today - timedelta(days=1), now),
            SCHEDULE: results_missing(today - timedelta(days=1), now),
            ODDS: slate_missing(today, now),
        },
        moves_with_the_clock=True,
    ),
    # (a') The same two days late (no games yesterday): at least 24 h overdue, always error.
    Scenario(
        "a_backfill_while_due_date_two_days_old_missing",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, -5, -4, -3, -2), now - timedelta(days=40))
            .results(days_from(today, -5, -4, -3), now - timedelta(minutes=30))
        ),
        lambda today, now: {BOXSCORES: "error", SCHEDULE: "error", ODDS: FRESH},
    ),
    # (b) The latest due date is loaded, everything older was loaded long ago: fresh.
    Scenario(
        "b_latest_due_loaded_older_rows_old",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, -20, -10, -3, -1), now - timedelta(days=40))
            .results(days_from(today, -20, -10, -3), now - timedelta(days=15))
            .results(days_from(today, -1), now - timedelta(hours=1))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # (c) Yesterday was an off-day: the due date is the day before, and it is loaded.
    Scenario(
        "c_yesterday_off_day",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, -3, -2, 0), now - timedelta(days=40))
            .results(days_from(today, -3, -2), now - timedelta(hours=30))
            .quotes(days_from(today, 0), now - timedelta(minutes=20))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # (c') Yesterday's only game was postponed: not due; the day before is loaded.
    Scenario(
        "c_yesterday_postponed",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, -2, -1), now - timedelta(days=40))
            .results(days_from(today, -2), now - timedelta(hours=30))
            .postponed(today - timedelta(days=1), now - timedelta(hours=20))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # (d) Tomorrow's games are scheduled (and quoted already); the latest due date's results
    # are missing: future rows are not loaded data.
    Scenario(
        "d_tomorrow_scheduled_due_results_missing",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, -4, -2, 1, 2), now - timedelta(days=40))
            .results(days_from(today, -4), now - timedelta(days=3))
            .quotes(days_from(today, 1), now - timedelta(minutes=10))
        ),
        lambda today, now: {BOXSCORES: "error", SCHEDULE: "error", ODDS: FRESH},
    ),
    # Odds ('slate'): today has games and quotes loaded 1 h / 9 h / 13 h ago (at 00:30, all
    # of them the evening before: still today's quotes).
    *[
        Scenario(
            f"slate_loaded_{hours}h_ago",
            lambda today, now, hours=hours: (
                RawLayer()
                .season(days_from(today, 0), now - timedelta(days=40))
                .quotes(days_from(today, 0), now - timedelta(hours=hours))
            ),
            lambda today, now, hours=hours: {
                BOXSCORES: FRESH,
                SCHEDULE: FRESH,
                ODDS: slate_loaded(hours),
            },
        )
        for hours in (1, 9, 13)
    ],
    # Today has games, no quotes for today, but older dates' quotes re-loaded just now.
    Scenario(
        "slate_missing_old_dates_reloaded",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, -3, 0), now - timedelta(days=40))
            .results(days_from(today, -3), now - timedelta(days=2))
            .quotes(days_from(today, -3), now - timedelta(minutes=5))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: slate_missing(today, now)},
        moves_with_the_clock=True,
    ),
    # No games today: nothing is due for the odds feed, however old its rows.
    Scenario(
        "slate_no_games_today",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, -1, 1), now - timedelta(days=40))
            .results(days_from(today, -1), now - timedelta(minutes=20))
            .quotes(days_from(today, -1), now - timedelta(days=1))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # Today's only game is postponed: nothing due either.
    Scenario(
        "slate_todays_game_postponed",
        lambda today, now: (
            RawLayer()
            .season(days_from(today, 0), now - timedelta(days=40))
            .postponed(today, now - timedelta(minutes=20))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # An empty raw layer: nothing scheduled, nothing due.
    Scenario(
        "empty_warehouse",
        lambda today, now: RawLayer(),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
]


def matrix() -> list:
    params = []
    for scenario in SCENARIOS:
        for clock in ALL_CLOCKS:
            in_make_test = clock.name in EVERY_SCENARIO_CLOCKS or (
                scenario.moves_with_the_clock
                and (clock in THRESHOLD_CLOCKS or scenario.name in DST_SCENARIOS)
            )
            params.append(
                pytest.param(
                    scenario,
                    clock,
                    id=f"{scenario.name}@{clock.name}",
                    marks=() if in_make_test else pytest.mark.slow,
                )
            )
    return params
