"""Freshness on the latest game_date that has data due (DESIGN.md §4, incident 5).

Every scenario pins the product clock (PROPCAST_NOW) to a fixed instant — times that straddle
each threshold, and both daylight-saving change days — writes a tiny raw layer relative to it,
then asks both
`dbt source freshness` (sources.json) and the generic test `fresh_on_latest_due_game_date`
(run by `dbt test`) for their verdict per source; the two must agree with each other and
with the semantics (docs block `freshness_semantics`). One dbt parse per module: every
invocation reuses the manifest, and every scenario swaps the warehouse file under one home.
"""

from __future__ import annotations

import json
import time as time_module
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from propcast.dbt_runner import Dbt, dbt_environment
from propcast.raw_schema import ensure_raw_schema
from propcast.settings import Home
from propcast.timeutil import slate_time_to_utc, today_in_slate_tz, utc_now

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


def _clock(day: date, hh: int, mm: int, label: str = "") -> Clock:
    return Clock(f"{label or day:}_{hh:02d}{mm:02d}", day, time(hh, mm))


# Times that straddle every threshold: results warn 8 h / error 14 h after the due date's end
# (midnight), odds warn 6 h / error 12 h after today's midnight; a minute each side.
THRESHOLD_CLOCKS = [
    _clock(ORDINARY, 0, 30, "ordinary"),
    _clock(ORDINARY, 5, 59, "ordinary"),
    _clock(ORDINARY, 6, 1, "ordinary"),
    _clock(ORDINARY, 7, 59, "ordinary"),
    _clock(ORDINARY, 8, 1, "ordinary"),
    _clock(ORDINARY, 11, 59, "ordinary"),
    _clock(ORDINARY, 12, 1, "ordinary"),
    _clock(ORDINARY, 13, 59, "ordinary"),
    _clock(ORDINARY, 14, 1, "ordinary"),
    _clock(ORDINARY, 23, 58, "ordinary"),
]
# On a 23- or 25-hour day the thresholds are elapsed hours, not wall-clock times: 8 h after
# midnight is 09:00 EDT on the spring day and 07:00 EST on the fall day. The day after, the
# due date (the short or long day) ended at midnight, not 24 h after it began.
DST_CLOCKS = [
    _clock(SPRING_FORWARD, 8, 59, "spring_day"),
    _clock(SPRING_FORWARD, 9, 1, "spring_day"),
    _clock(SPRING_FORWARD + timedelta(days=1), 7, 59, "spring_next"),
    _clock(SPRING_FORWARD + timedelta(days=1), 8, 1, "spring_next"),
    _clock(FALL_BACK, 6, 59, "fall_day"),
    _clock(FALL_BACK, 7, 1, "fall_day"),
    _clock(FALL_BACK + timedelta(days=1), 7, 59, "fall_next"),
    _clock(FALL_BACK + timedelta(days=1), 8, 1, "fall_next"),
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


def _hours_since_slate_midnight(day: date, now: datetime) -> float:
    return (now - slate_time_to_utc(day, time(0, 0))).total_seconds() / 3600


def results_missing(due_date: date, now: datetime) -> str:
    """A results feed lacking the due date: aged from due_date + 1 at 00:00 US/Eastern."""
    return _verdict(_hours_since_slate_midnight(due_date + timedelta(days=1), now), RESULTS_HOURS)


def slate_missing(today: date, now: datetime) -> str:
    """An odds feed lacking today's quotes although today has games: aged from 00:00 ET."""
    return _verdict(_hours_since_slate_midnight(today, now), SLATE_HOURS)


def slate_loaded(hours_ago: float) -> str:
    return _verdict(hours_ago, SLATE_HOURS)


FRESH = "pass"


@dataclass
class Scenario:
    name: str
    build: Callable[[date, datetime], RawLayer]
    expect: Callable[[date, datetime], dict[str, str]]
    moves_with_the_clock: bool = False


def _days(today: date, *offsets: int) -> list[date]:
    return [today + timedelta(days=o) for o in offsets]


SCENARIOS = [
    # (a) Old dates re-loaded today (a backfill) while the latest due date is missing: the
    # new loaded_at of old rows must not make the feed look fresh.
    Scenario(
        "a_backfill_while_yesterday_missing",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -5, -4, -3, -2, -1, 0), now - timedelta(days=40))
            .results(_days(today, -5, -4, -3, -2), now - timedelta(minutes=30))
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
            .season(_days(today, -5, -4, -3, -2), now - timedelta(days=40))
            .results(_days(today, -5, -4, -3), now - timedelta(minutes=30))
        ),
        lambda today, now: {BOXSCORES: "error", SCHEDULE: "error", ODDS: FRESH},
    ),
    # (b) The latest due date is loaded, everything older was loaded long ago: fresh.
    Scenario(
        "b_latest_due_loaded_older_rows_old",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -20, -10, -3, -1), now - timedelta(days=40))
            .results(_days(today, -20, -10, -3), now - timedelta(days=15))
            .results(_days(today, -1), now - timedelta(hours=1))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # (c) Yesterday was an off-day: the due date is the day before, and it is loaded.
    Scenario(
        "c_yesterday_off_day",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -3, -2, 0), now - timedelta(days=40))
            .results(_days(today, -3, -2), now - timedelta(hours=30))
            .quotes(_days(today, 0), now - timedelta(minutes=20))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # (c') Yesterday's only game was postponed: not due; the day before is loaded.
    Scenario(
        "c_yesterday_postponed",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -2, -1), now - timedelta(days=40))
            .results(_days(today, -2), now - timedelta(hours=30))
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
            .season(_days(today, -4, -2, 1, 2), now - timedelta(days=40))
            .results(_days(today, -4), now - timedelta(days=3))
            .quotes(_days(today, 1), now - timedelta(minutes=10))
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
                .season(_days(today, 0), now - timedelta(days=40))
                .quotes(_days(today, 0), now - timedelta(hours=hours))
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
            .season(_days(today, -3, 0), now - timedelta(days=40))
            .results(_days(today, -3), now - timedelta(days=2))
            .quotes(_days(today, -3), now - timedelta(minutes=5))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: slate_missing(today, now)},
        moves_with_the_clock=True,
    ),
    # No games today: nothing is due for the odds feed, however old its rows.
    Scenario(
        "slate_no_games_today",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -1, 1), now - timedelta(days=40))
            .results(_days(today, -1), now - timedelta(minutes=20))
            .quotes(_days(today, -1), now - timedelta(days=1))
        ),
        lambda today, now: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # Today's only game is postponed: nothing due either.
    Scenario(
        "slate_todays_game_postponed",
        lambda today, now: (
            RawLayer()
            .season(_days(today, 0), now - timedelta(days=40))
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


def _matrix() -> list:
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


# ----------------------------------------------------------------------------- dbt


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> Dbt:
    """The one dbt parse of this module."""
    runner = Dbt(
        Home(tmp_path_factory.mktemp("freshness-parse") / "home").ensure(), project_vars=STRICT
    )
    runner.manifest()
    return runner


@pytest.fixture
def dbt(parsed: Dbt, tmp_path: Path) -> Dbt:
    """A fresh home per scenario. dbt-duckdb keeps its DuckDB instance open in-process between
    invocations (keyed by the profile), so a scenario gets its own warehouse path rather than
    a replaced file at the same path."""
    return parsed.with_home(Home(tmp_path / "home").ensure())


def _source_freshness(dbt: Dbt) -> dict[str, str]:
    sources_json = dbt.home.dbt_target / "sources.json"
    sources_json.unlink(missing_ok=True)
    result = dbt.invoke(["source", "freshness", "--select", *SOURCE_SELECTORS])
    assert sources_json.exists(), result.error
    entries = json.loads(sources_json.read_text())["results"]
    return {e["unique_id"]: e["status"] for e in entries}


def _generic_test(dbt: Dbt, run_vars: dict | None = None) -> dict[str, str]:
    result = dbt.invoke(["test", "--select", *TEST_SELECTORS], run_vars=run_vars)
    assert result.nodes, result.error
    manifest = dbt.manifest()
    verdicts: dict[str, str] = {}
    for node in result.nodes:
        (source_id,) = manifest.nodes[node.unique_id].depends_on.nodes
        verdicts[source_id] = {"fail": "error"}.get(node.status, node.status)
    return verdicts


@pytest.mark.parametrize(("scenario", "clock"), _matrix())
def test_freshness_judges_the_latest_due_game_date(
    dbt: Dbt, scenario: Scenario, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROPCAST_NOW", clock.env)
    now = utc_now()
    assert now == clock.utc and today_in_slate_tz(now) == clock.day
    scenario.build(clock.day, now).write(dbt.home.warehouse)
    expected = scenario.expect(clock.day, now)

    freshness = _source_freshness(dbt)
    generic = _generic_test(dbt)

    for source in SOURCES:
        assert freshness[source] == expected[source], (
            f"dbt source freshness at {now} UTC: {source} is {freshness[source]}, "
            f"the rule says {expected[source]}"
        )
        assert generic[source] == expected[source], (
            f"fresh_on_latest_due_game_date at {now} UTC: {source} is {generic[source]}, "
            f"the rule says {expected[source]}"
        )


def test_the_clocks_straddle_every_threshold() -> None:
    """The clock list itself: a minute before and a minute after each threshold, and the DST
    clocks a minute either side of 8 elapsed hours on a 23- and a 25-hour day."""
    minute = 1 / 60 + 1e-9
    ages = [_hours_since_slate_midnight(ORDINARY, c.utc) for c in THRESHOLD_CLOCKS]
    for threshold in {*RESULTS_HOURS, *SLATE_HOURS}:
        assert any(threshold - minute <= age < threshold for age in ages), threshold
        assert any(threshold < age <= threshold + minute for age in ages), threshold
    for clock in DST_CLOCKS:
        age = _hours_since_slate_midnight(clock.day, clock.utc)
        assert abs(age - RESULTS_HOURS[0]) <= minute, clock.name

    def day_length(day: date) -> timedelta:
        return slate_time_to_utc(day + timedelta(days=1), time(0)) - slate_time_to_utc(day, time(0))

    assert day_length(SPRING_FORWARD) == timedelta(hours=23)
    assert day_length(FALL_BACK) == timedelta(hours=25)
    assert day_length(ORDINARY) == timedelta(hours=24)


AS_OF_CLOCKS = [c for c in THRESHOLD_CLOCKS if c.name in {"ordinary_0030", "ordinary_0801"}]
AS_OF_CLOCKS.append(_clock(ORDINARY, 14, 1, "ordinary"))


@pytest.mark.parametrize("clock", AS_OF_CLOCKS, ids=[c.name for c in AS_OF_CLOCKS])
def test_a_run_judges_freshness_as_of_its_cutoff(
    dbt: Dbt, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reprocessing an old slate (cutoff in the past) is judged at that cutoff: results due then
    were loaded, so it passes; judged now, the same warehouse lacks yesterday's results, which
    the rule ages from this midnight: pass at 00:30, warn at 08:01, error at 14:01."""
    monkeypatch.setenv("PROPCAST_NOW", clock.env)
    now, today = clock.utc, clock.day
    (
        RawLayer()
        .season(_days(today, -6, -5, -4, -3, -2, -1), now - timedelta(days=40))
        .results(_days(today, -6, -5, -4), now - timedelta(hours=1))
        .quotes(_days(today, -3), now - timedelta(hours=2))
    ).write(dbt.home.warehouse)
    cutoff = slate_time_to_utc(today - timedelta(days=3), time(14, 0))
    as_of_cutoff = _generic_test(dbt, {**STRICT, "cutoff_utc": f"{cutoff:%Y-%m-%d %H:%M:%S}"})
    as_of_now = _generic_test(dbt)
    assert as_of_cutoff[BOXSCORES] == "pass" and as_of_cutoff[SCHEDULE] == "pass"
    assert as_of_cutoff[ODDS] == "pass"  # that slate's quotes were loaded (after it: age < 0)
    yesterday_missing = results_missing(today - timedelta(days=1), now)
    assert yesterday_missing == {"0030": "pass", "0801": "warn", "1401": "error"}[clock.name[-4:]]
    assert as_of_now[BOXSCORES] == yesterday_missing
    assert as_of_now[SCHEDULE] == yesterday_missing


@pytest.fixture
def tokyo_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone set to UTC+9 (DuckDB instances opened now default to it)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time_module.tzset()
    yield
    monkeypatch.undo()
    time_module.tzset()


def test_source_freshness_ages_do_not_depend_on_the_local_time_zone(
    dbt: Dbt, tokyo_local_time: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded timestamps are naive UTC: under another local zone the age must not shift by
    the zone's offset (the clock pinned, so the age is exact)."""
    with duckdb.connect() as probe:
        assert probe.execute("select current_setting('TimeZone')").fetchone() == ("Asia/Tokyo",)
    clock = _clock(ORDINARY, 10, 0)
    monkeypatch.setenv("PROPCAST_NOW", clock.env)
    RawLayer().season(_days(clock.day, 0), clock.utc - timedelta(days=40)).quotes(
        _days(clock.day, 0), clock.utc - timedelta(hours=9)
    ).write(dbt.home.warehouse)

    _source_freshness(dbt)
    results = json.loads((dbt.home.dbt_target / "sources.json").read_text())["results"]
    (odds,) = [r for r in results if r["unique_id"] == ODDS]
    assert odds["status"] == "warn"
    assert odds["max_loaded_at_time_ago_in_s"] == 9 * 3600
    assert _generic_test(dbt)[ODDS] == "warn"


def test_the_engine_clock_is_utc_whatever_the_local_zone(
    dbt: Dbt, tokyo_local_time: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unpinned (production's default), "now" is the engine's clock as naive UTC: it agrees
    with the process clock under a local zone nine hours off. The one test that reads the
    clock, and only to compare the two (any instant passes, a zone offset does not)."""
    monkeypatch.delenv("PROPCAST_NOW", raising=False)
    manifest = dbt.manifest()
    with dbt_environment(dbt.home):
        res = dbt._runner(manifest).invoke(
            ["show", "--inline", "select {{ current_timestamp_utc() }} as now_utc", "--quiet"]
        )
    assert res.success, res.exception
    (engine_now,) = res.result.results[0].agate_table.rows[0]
    process_now = datetime.now(UTC).replace(tzinfo=None)
    assert abs((engine_now.replace(tzinfo=None) - process_now).total_seconds()) < 300


def test_every_source_has_freshness_and_the_generic_test(parsed: Dbt) -> None:
    """A mis-indented `freshness:` parses as null and silently disables the check."""
    manifest = parsed.manifest()
    tested = {
        source_id
        for node in manifest.nodes.values()
        if node.resource_type == "test"
        and getattr(node, "test_metadata", None) is not None
        and node.test_metadata.name == "fresh_on_latest_due_game_date"
        for source_id in node.depends_on.nodes
    }
    checked = []
    for source in manifest.sources.values():
        if source.meta.get("freshness_exempt") or source.config.meta.get("freshness_exempt"):
            continue
        checked.append(source.unique_id)
        freshness = source.freshness
        assert freshness is not None and freshness.warn_after and freshness.error_after, (
            f"{source.unique_id} has no warn/error freshness thresholds"
        )
        assert source.loaded_at_query and "effective_loaded_at_sql" in source.loaded_at_query, (
            f"{source.unique_id} is not judged on its latest due game_date"
        )
        assert source.unique_id in tested, f"{source.unique_id} lacks the generic freshness test"
        hours = (freshness.warn_after.count, freshness.error_after.count)
        assert {freshness.warn_after.period, freshness.error_after.period} == {"hour"}
        slate = "due='slate'" in source.loaded_at_query
        assert hours == (SLATE_HOURS if slate else RESULTS_HOURS), source.unique_id
    assert set(SOURCES) <= set(checked)
