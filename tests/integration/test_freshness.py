"""Freshness on the latest game_date that has data due (DESIGN.md §4, incident 5).

Every scenario pins the product clock (PROPCAST_NOW) to a fixed instant — times that straddle
each threshold, and both daylight-saving change days — writes a tiny raw layer relative to it,
then asks both
`dbt source freshness` (sources.json) and the generic test `fresh_on_latest_due_game_date`
(run by `dbt test`) for their verdict per source; the two must agree with each other and
with the semantics (docs block `freshness_semantics`). One dbt parse per module: every
invocation reuses the manifest, and every scenario swaps the warehouse file under one home.
The cases (raw layers, clocks, verdicts, scenarios) are in freshness_scenarios.py.
"""

from __future__ import annotations

import json
import time as time_module
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from propcast.dbt_runner import Dbt, dbt_environment
from propcast.settings import Home
from propcast.timeutil import slate_time_to_utc, today_in_slate_tz, utc_now
from tests.integration.freshness_scenarios import (
    BOXSCORES,
    DST_CLOCKS,
    FALL_BACK,
    ODDS,
    ORDINARY,
    RESULTS_HOURS,
    SCHEDULE,
    SLATE_HOURS,
    SOURCE_SELECTORS,
    SOURCES,
    SPRING_FORWARD,
    STRICT,
    TEST_SELECTORS,
    THRESHOLD_CLOCKS,
    Clock,
    RawLayer,
    Scenario,
    clock_at,
    days_from,
    hours_since_slate_midnight,
    matrix,
    results_missing,
)

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


@pytest.mark.parametrize(("scenario", "clock"), matrix())
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
    ages = [hours_since_slate_midnight(ORDINARY, c.utc) for c in THRESHOLD_CLOCKS]
    for threshold in {*RESULTS_HOURS, *SLATE_HOURS}:
        assert any(threshold - minute <= age < threshold for age in ages), threshold
        assert any(threshold < age <= threshold + minute for age in ages), threshold
    for clock in DST_CLOCKS:
        age = hours_since_slate_midnight(clock.day, clock.utc)
        assert abs(age - RESULTS_HOURS[0]) <= minute, clock.name

    def day_length(day: date) -> timedelta:
        return slate_time_to_utc(day + timedelta(days=1), time(0)) - slate_time_to_utc(day, time(0))

    assert day_length(SPRING_FORWARD) == timedelta(hours=23)
    assert day_length(FALL_BACK) == timedelta(hours=25)
    assert day_length(ORDINARY) == timedelta(hours=24)


AS_OF_CLOCKS = [c for c in THRESHOLD_CLOCKS if c.name in {"ordinary_0030", "ordinary_0801"}]
AS_OF_CLOCKS.append(clock_at(ORDINARY, 14, 1, "ordinary"))


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
        .season(days_from(today, -6, -5, -4, -3, -2, -1), now - timedelta(days=40))
        .results(days_from(today, -6, -5, -4), now - timedelta(hours=1))
        .quotes(days_from(today, -3), now - timedelta(hours=2))
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
    clock = clock_at(ORDINARY, 10, 0)
    monkeypatch.setenv("PROPCAST_NOW", clock.env)
    RawLayer().season(days_from(clock.day, 0), clock.utc - timedelta(days=40)).quotes(
        days_from(clock.day, 0), clock.utc - timedelta(hours=9)
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
