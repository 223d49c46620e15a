"""Freshness on the latest game_date that has data due (DESIGN.md §4, incident 5).

Every scenario writes a tiny raw layer relative to the real current time, then asks both
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
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from propcast.dbt_runner import Dbt
from propcast.raw_schema import ensure_raw_schema
from propcast.settings import Home
from propcast.timeutil import slate_time_to_utc, today_in_slate_tz, utc_now

BOXSCORES = "source.propcast.league.boxscores"
SCHEDULE = "source.propcast.league.schedule"
ODDS = "source.propcast.oddsapi.prop_odds"
SOURCES = (BOXSCORES, SCHEDULE, ODDS)
RESULTS_HOURS = (8, 14)  # warn, error
SLATE_HOURS = (6, 12)
BOUNDARY_SLACK_HOURS = 0.05  # a verdict this close to a threshold may go either way
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


# ----------------------------------------------------------------------------- verdicts


def _verdict(age_hours: float, thresholds: tuple[int, int]) -> set[str]:
    """The verdicts acceptable for an age (both neighbours when it sits on a threshold)."""
    warn, error = thresholds

    def strict(age: float) -> str:
        return "error" if age > error else "warn" if age > warn else "pass"

    return {strict(age_hours - BOUNDARY_SLACK_HOURS), strict(age_hours + BOUNDARY_SLACK_HOURS)}


def _hours_since_slate_midnight(day: date) -> float:
    return (utc_now() - slate_time_to_utc(day, time(0, 0))).total_seconds() / 3600


def results_missing(due_date: date) -> set[str]:
    """A results feed lacking the due date: aged from due_date + 1 at 00:00 US/Eastern."""
    return _verdict(_hours_since_slate_midnight(due_date + timedelta(days=1)), RESULTS_HOURS)


def slate_missing(today: date) -> set[str]:
    """An odds feed lacking today's quotes although today has games: aged from 00:00 ET."""
    return _verdict(_hours_since_slate_midnight(today), SLATE_HOURS)


def slate_loaded(hours_ago: float) -> set[str]:
    return _verdict(hours_ago, SLATE_HOURS)


FRESH = {"pass"}


@dataclass
class Scenario:
    name: str
    build: Callable[[date, datetime], RawLayer]
    expect: Callable[[date], dict[str, set[str]]]


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
        lambda today: {
            BOXSCORES: results_missing(today - timedelta(days=1)),
            SCHEDULE: results_missing(today - timedelta(days=1)),
            ODDS: slate_missing(today),
        },
    ),
    # (a') The same two days late (no games yesterday): at least 24 h overdue, always error.
    Scenario(
        "a_backfill_while_due_date_two_days_old_missing",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -5, -4, -3, -2), now - timedelta(days=40))
            .results(_days(today, -5, -4, -3), now - timedelta(minutes=30))
        ),
        lambda today: {BOXSCORES: {"error"}, SCHEDULE: {"error"}, ODDS: FRESH},
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
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # (c) Yesterday was an off-day: the due date is the day before, and it is loaded.
    Scenario(
        "c_yesterday_off_day",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -3, -2, 0), now - timedelta(days=40))
            .results(_days(today, -3, -2), now - timedelta(hours=30))
            .quotes(_days(today, 0), now - timedelta(hours=1))
        ),
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
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
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
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
        lambda today: {BOXSCORES: {"error"}, SCHEDULE: {"error"}, ODDS: FRESH},
    ),
    # Odds ('slate'): today has games and quotes loaded 1 h / 9 h / 13 h ago.
    Scenario(
        "slate_loaded_1h_ago",
        lambda today, now: (
            RawLayer()
            .season(_days(today, 0), now - timedelta(days=40))
            .quotes(_days(today, 0), now - timedelta(hours=1))
        ),
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: slate_loaded(1)},
    ),
    Scenario(
        "slate_loaded_9h_ago",
        lambda today, now: (
            RawLayer()
            .season(_days(today, 0), now - timedelta(days=40))
            .quotes(_days(today, 0), now - timedelta(hours=9))
        ),
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: {"warn"}},
    ),
    Scenario(
        "slate_loaded_13h_ago",
        lambda today, now: (
            RawLayer()
            .season(_days(today, 0), now - timedelta(days=40))
            .quotes(_days(today, 0), now - timedelta(hours=13))
        ),
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: {"error"}},
    ),
    # Today has games, no quotes for today, but older dates' quotes re-loaded just now.
    Scenario(
        "slate_missing_old_dates_reloaded",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -3, 0), now - timedelta(days=40))
            .results(_days(today, -3), now - timedelta(days=2))
            .quotes(_days(today, -3), now - timedelta(minutes=5))
        ),
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: slate_missing(today)},
    ),
    # No games today: nothing is due for the odds feed, however old its rows.
    Scenario(
        "slate_no_games_today",
        lambda today, now: (
            RawLayer()
            .season(_days(today, -1, 1), now - timedelta(days=40))
            .results(_days(today, -1), now - timedelta(hours=2))
            .quotes(_days(today, -1), now - timedelta(days=1))
        ),
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # Today's only game is postponed: nothing due either.
    Scenario(
        "slate_todays_game_postponed",
        lambda today, now: (
            RawLayer()
            .season(_days(today, 0), now - timedelta(days=40))
            .postponed(today, now - timedelta(hours=3))
        ),
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
    # An empty raw layer: nothing scheduled, nothing due.
    Scenario(
        "empty_warehouse",
        lambda today, now: RawLayer(),
        lambda today: {BOXSCORES: FRESH, SCHEDULE: FRESH, ODDS: FRESH},
    ),
]


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


def _skip_near_midnight() -> None:
    now = utc_now()
    tomorrow = slate_time_to_utc(today_in_slate_tz(now) + timedelta(days=1), time(0, 0))
    if (tomorrow - now) < timedelta(minutes=3):
        pytest.skip("too close to midnight US/Eastern: 'today' may change mid-scenario")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_freshness_judges_the_latest_due_game_date(dbt: Dbt, scenario: Scenario) -> None:
    _skip_near_midnight()
    now = utc_now()
    today = today_in_slate_tz(now)
    scenario.build(today, now).write(dbt.home.warehouse)
    expected = scenario.expect(today)

    freshness = _source_freshness(dbt)
    generic = _generic_test(dbt)

    for source in SOURCES:
        assert freshness[source] in expected[source], (
            f"dbt source freshness: {source} is {freshness[source]}, expected {expected[source]}"
        )
        assert generic[source] in expected[source], (
            f"fresh_on_latest_due_game_date: {source} is {generic[source]}, "
            f"expected {expected[source]}"
        )
        assert freshness[source] == generic[source], (
            f"{source}: source freshness says {freshness[source]}, the test {generic[source]}"
        )


def test_a_run_judges_freshness_as_of_its_cutoff(dbt: Dbt) -> None:
    """Reprocessing an old slate (cutoff in the past) is judged at that cutoff: results due then
    were loaded, so it passes, while the same warehouse judged now lacks yesterday's results."""
    _skip_near_midnight()
    now = utc_now()
    today = today_in_slate_tz(now)
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
    assert as_of_now[BOXSCORES] in {"warn", "error"} and as_of_now[SCHEDULE] in {"warn", "error"}


@pytest.fixture
def tokyo_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone set to UTC+9 (DuckDB instances opened now default to it)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time_module.tzset()
    yield
    monkeypatch.undo()
    time_module.tzset()


def test_source_freshness_ages_do_not_depend_on_the_local_time_zone(
    dbt: Dbt, tokyo_local_time: None
) -> None:
    """Loaded timestamps are naive UTC and dbt-duckdb snapshots with a zoned now(): under
    another local zone the age must not shift by the zone's offset."""
    _skip_near_midnight()
    with duckdb.connect() as probe:
        assert probe.execute("select current_setting('TimeZone')").fetchone() == ("Asia/Tokyo",)
    now = utc_now()
    today = today_in_slate_tz(now)
    RawLayer().season(_days(today, 0), now - timedelta(days=40)).quotes(
        _days(today, 0), now - timedelta(hours=9)
    ).write(dbt.home.warehouse)

    _source_freshness(dbt)
    results = json.loads((dbt.home.dbt_target / "sources.json").read_text())["results"]
    (odds,) = [r for r in results if r["unique_id"] == ODDS]
    assert odds["status"] == "warn"
    assert abs(odds["max_loaded_at_time_ago_in_s"] / 3600 - 9) < 0.1
    assert _generic_test(dbt)[ODDS] == "warn"


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
