"""Reruns converge (issue 12, item 1): ingest, run-day and backfill run again and again, for
overlapping dates, in any order, leave exactly the rows of one run; and the model trained on
the same data is the same model, to the bit.

Every raw and dbt table is compared by row count and content hash (doubles to 1e-9,
tests/tools/compare_warehouses) with a reference that did the union of the work once. Left out
of the comparison, by name:

- the run registry (`raw_run_registry`, `fct_run_registry`): it grows by one row per run by
  design. Asserted instead: one new run file per run-day or backfill (none per ingest), and
  the registry table holds no run twice and only recorded runs, the rerun run-day's included;
  the phase status mart's columns that read it (`latest_run_id`, `recorded_outcome`,
  `is_complete`);
- `raw_inbox_files.file_mtime_ns`: the mtime of the inbox copy a delivery made;
- nothing else. Clock columns (`loaded_at`, `examined_at`, `scored_at`, `registered_at`, run
  timestamps) are compared: the suite's clock is pinned, and a rerun that skips what is
  loaded and replaces what it rebuilds leaves them as one run did.

Hypothesis draws the dates and the orders (`derandomize`: the same examples every run). `make
test` runs a sample: two orders of ingest reruns (raw layer) and the determinism check; its
run-day order is the replayed morning of tests/incidents (test_08_vendor_down: a degraded
09:00 run-day, then the 14:00 one, leave the rows of the demo's one run-day). `make
reliability` (PROPCAST_RELIABILITY_FULL) adds 25 ingest orders, 20 orders of ingest+build and
backfill (raw layer and marts) and all six orders of run-day, backfill and ingest on the demo.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from propcast.demo import short_season
from propcast.fetch import fetch_from_feeds
from propcast.runs import read_runs
from propcast.settings import Home
from propcast.training import train
from propcast.warehouse import connect, copy_warehouse
from tests.incidents.conftest import (
    SLATE,
    Bench,
    cli,
    demo_bench,
    differing,
    release_dbt_connection,
    settings_for,
    table_sums,
    unload,
)
from tests.integration.conftest import DEMO_DAYS, BuiltWorld, DemoWorld
from tests.reliability.tally import full_matrix, record

RUN_TABLES = {"raw.raw_run_registry", "main.fct_run_registry"}
SKIPPED_COLUMNS = {
    "raw.raw_inbox_files": {"file_mtime_ns"},
    "main.fct_phase_status_daily": {"latest_run_id", "recorded_outcome", "is_complete"},
}
#: The session world's dates a reference run loaded but the reruns start without, and the
#: window the reruns' date ranges are drawn from (its ends are loaded already). Every build
#: is for the world's newest slate, as a backfill's rebuild is.
NEWEST = date(2027, 1, 12)
WITHHELD = (date(2027, 1, 6), date(2027, 1, 7), date(2027, 1, 8))
WINDOW = tuple(date(2027, 1, 5) + timedelta(days=i) for i in range(5))
LEAGUE_AND_ODDS = ("league", "oddsapi", "csvfeed", "decimalfeed")
EVERYTHING = datetime(2100, 1, 1)


def examples(sample: int, full: int) -> settings:
    return settings(
        max_examples=full if full_matrix() else sample,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def overlapping_ranges(count: int) -> st.SearchStrategy[list[tuple[date, date]]]:
    """`count` date ranges in WINDOW that all hold one withheld date (so they overlap)."""

    def around(shared: int) -> st.SearchStrategy[tuple[date, date]]:
        return st.tuples(st.integers(0, shared), st.integers(shared, len(WINDOW) - 1)).map(
            lambda ends: (WINDOW[ends[0]], WINDOW[ends[1]])
        )

    shared = st.sampled_from([WINDOW.index(d) for d in WITHHELD])
    return shared.flatmap(lambda i: st.lists(around(i), min_size=count, max_size=count))


def days_of(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def deliver(home: Home, days: set[date]) -> None:
    """The vendors deliver every file of these dates into the inbox (as fetch does)."""
    fetch_from_feeds(home, home.world / "feeds", cutoff=EVERYTHING, game_dates=days)


def sums(home: Home, schemas: tuple[str, ...] = ("raw", "main")) -> dict[str, tuple[int, int]]:
    release_dbt_connection()
    return table_sums(home.warehouse, RUN_TABLES, SKIPPED_COLUMNS, schemas)


def runs_recorded(home: Home) -> tuple[dict[str, str], list[str]]:
    """The runs recorded in the run files (run_id -> command: the registry's source of truth)
    and the run ids the registry table holds (loaded from the files by the runs that write the
    warehouse; a run that changes nothing, like a backfill with nothing new, leaves it)."""
    files = {r.run_id: r.command for r in read_runs(home)}
    release_dbt_connection()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        try:
            table = [
                r for (r,) in con.execute("select run_id from raw.raw_run_registry").fetchall()
            ]
        except duckdb.CatalogException:
            table = []
    assert len(table) == len(set(table)) and set(table) <= set(files), (table, files)
    return files, table


# --- ingest: the raw layer --------------------------------------------------------------------


@dataclass(repr=False)
class Withheld:
    """The session world with WITHHELD never delivered, restored at one path per test."""

    bench: Bench
    references: dict[tuple[frozenset[date], bool], dict[str, tuple[int, int]]]

    def restore(self, monkeypatch: pytest.MonkeyPatch) -> Home:
        home = self.bench.restore()
        for key, value in settings_for(home).items():
            monkeypatch.setenv(key, value)
        return home

    def reference(self, days: frozenset[date], monkeypatch: pytest.MonkeyPatch, build: bool):
        """One clean run of the union of the work: deliver every date once, ingest once (and
        build once from the first of them)."""
        key = (days, build)
        if key not in self.references:
            home = self.restore(monkeypatch)
            deliver(home, set(days))
            assert cli("ingest").code in (0, 3)
            if build:
                built = cli("build", "--date", str(NEWEST), "--from", str(min(days)))
                assert built.code in (0, 3), built
            self.references[key] = sums(home, ("raw", "main") if build else ("raw",))
        return self.references[key]


def withheld_snapshot(source: Home, base: Path) -> Path:
    """A copy of `source` (warehouse, world, inbox) with WITHHELD never delivered: their files
    out of the inbox, their payloads' rows out of the raw layer."""
    snapshot = base / "snapshot"
    snapshot.mkdir(parents=True)
    copy_warehouse(source, snapshot / "warehouse.duckdb")
    for folder in ("world", "inbox"):
        shutil.copytree(source.root / folder, snapshot / folder)
    for day in WITHHELD:
        for vendor in LEAGUE_AND_ODDS:
            unload(Home(snapshot), vendor, day)
    return snapshot


@pytest.fixture(scope="module")
def withheld(built_world: BuiltWorld, tmp_path_factory: pytest.TempPathFactory) -> Withheld:
    """The session world without WITHHELD in the raw layer (its marts still built with them:
    the raw layer is all an ingest reads and writes)."""
    base = tmp_path_factory.mktemp("reruns")
    return Withheld(Bench(withheld_snapshot(built_world.home, base), base / "work" / "home"), {})


@pytest.fixture(scope="module")
def withheld_built(withheld: Withheld) -> Withheld:
    """`withheld` with its marts rebuilt from the first withheld date: as they were before
    those dates were ever delivered."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        home = withheld.restore(monkeypatch)
        built = cli("build", "--date", str(NEWEST), "--from", str(WITHHELD[0]))
        assert built.code in (0, 3), built
        release_dbt_connection()
    snapshot = withheld.bench.snapshot.with_name("snapshot_built")
    shutil.copytree(withheld.bench.snapshot, snapshot)
    shutil.copy2(home.warehouse, snapshot / "warehouse.duckdb")
    return Withheld(Bench(snapshot, withheld.bench.work), {})


@examples(sample=2, full=25)
@given(ranges=overlapping_ranges(3))
def test_ingest_reruns_for_overlapping_dates_leave_the_rows_of_one_ingest(
    withheld: Withheld, monkeypatch: pytest.MonkeyPatch, ranges: list[tuple[date, date]]
) -> None:
    union = frozenset(d for first, last in ranges for d in days_of(first, last))
    expected = withheld.reference(union, monkeypatch, False)
    home = withheld.restore(monkeypatch)
    for first, last in ranges:
        deliver(home, days_of(first, last))
        assert cli("ingest").code in (0, 3)
    got = sums(home, ("raw",))
    assert len(got) >= 8, sorted(got)
    assert differing(expected, got) == {}
    record("reruns", 1, 1)


# --- ingest + build and backfill: raw layer and marts ------------------------------------------

OPERATIONS = ("ingest+build", "backfill")


@pytest.mark.skipif(not full_matrix(), reason="builds: make reliability runs it")
@examples(sample=1, full=20)
@given(
    ranges=overlapping_ranges(3),
    kinds=st.lists(st.sampled_from(OPERATIONS), min_size=3, max_size=3),
)
def test_ingest_build_and_backfill_reruns_in_any_order_leave_the_rows_of_one_run(
    withheld_built: Withheld,
    monkeypatch: pytest.MonkeyPatch,
    ranges: list[tuple[date, date]],
    kinds: list[str],
) -> None:
    union = frozenset(d for first, last in ranges for d in days_of(first, last))
    expected = withheld_built.reference(union, monkeypatch, True)
    home = withheld_built.restore(monkeypatch)
    for kind, (first, last) in zip(kinds, ranges, strict=True):
        if kind == "backfill":
            done = cli("backfill", "--start-date", str(first), "--end-date", str(last))
        else:
            deliver(home, days_of(first, last))
            assert cli("ingest").code in (0, 3)
            done = cli("build", "--date", str(NEWEST), "--from", str(first))
        assert done.code in (0, 3), (kind, done)
    got = sums(home)
    assert len(got) >= 30 and "main.fct_prop_odds" in got, sorted(got)
    assert differing(expected, got) == {}
    files, _ = runs_recorded(home)
    assert sorted(files.values()) == ["backfill"] * kinds.count("backfill")  # one per run
    record("reruns", 1, 1)


# --- run-day, backfill and ingest on the demo home -------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Bench:
    """The demo home, restored in place (the incident tests' bench, when they share the
    process: one dbt parse cache)."""
    return demo_bench(demo_world, tmp_path_factory)


RERUNS = {
    "run-day": ("run-day", "--date", str(SLATE)),
    # Dates the demo loaded whole (the slate itself was loaded up to its 14:00 cutoff only).
    "backfill": ("backfill", "--start-date", "2027-01-10", "--end-date", "2027-01-11"),
    "ingest": ("ingest",),
}


@pytest.mark.skipif(not full_matrix(), reason="run-days: make reliability runs every order")
@examples(sample=1, full=6)
@given(order=st.permutations(list(RERUNS)))
def test_run_day_backfill_and_ingest_reruns_leave_the_demos_rows(
    demo: Bench, monkeypatch: pytest.MonkeyPatch, order: list[str]
) -> None:
    """The demo's slate, loaded and priced once by its run-day, run again three ways."""
    reference = table_sums(demo.snapshot / "warehouse.duckdb", RUN_TABLES, SKIPPED_COLUMNS)
    home = demo.restore()
    for key, value in settings_for(home).items():
        monkeypatch.setenv(key, value)
    before, _ = runs_recorded(home)
    for name in order:
        done = cli(*RERUNS[name])
        assert done.code == 0, (name, done)
    got = sums(home)
    assert {"main.fct_predictions", "main.ml_model_registry"} <= set(got)
    assert differing(reference, got) == {}
    files, table = runs_recorded(home)
    new = {run_id: command for run_id, command in files.items() if run_id not in before}
    assert sorted(new.values()) == ["backfill", "run-day"]  # one run each; ingest records none
    run_day = next(run_id for run_id, command in new.items() if command == "run-day")
    assert set(before) | {run_day} <= set(table)  # a run-day loads the registry as it starts
    record("reruns", 1, 1)


# --- determinism ------------------------------------------------------------------------------

FEATURES = ("int_prop_line_prices", "int_prop_line_openings", "fct_prop_line_features")


def exact_sums(home: Home, tables: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """Row count and hash of every column's exact value (no rounding: the last bit counts)."""
    release_dbt_connection()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {
            table: con.execute(
                f"select count(*), sum(hash(columns(*))::hugeint) from main.{table}"
            ).fetchone()
            for table in tables
        }


def test_rebuilt_features_and_the_model_trained_on_them_are_identical_to_the_bit(
    demo: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line features rebuilt from scratch (every slice, DuckDB's threads free to combine
    rows in any order) hash the same to the last bit, and retraining the demo's model on them
    reproduces its model_version (so training adds no registry row)."""
    home = demo.restore()
    for key, value in settings_for(home).items():
        monkeypatch.setenv(key, value)
    before = exact_sums(home, FEATURES)
    selection = [arg for name in FEATURES for arg in ("--select", name)]
    rebuilt = cli("build", "--date", str(SLATE), "--full-refresh", *selection)
    assert rebuilt.code == 0, rebuilt
    assert exact_sums(home, FEATURES) == before
    with connect(home) as con:
        registered = con.execute(REGISTRY).fetchall()
    # The demo's props model and its game totals' model (game_total_nba): one each.
    assert [family for family, *_ in registered] == ["game_total", "player_prop"], registered
    ((_, version, train_end),) = [r for r in registered if r[0] == "player_prop"]
    overrides, _ = short_season(DEMO_DAYS)
    trained = train(home, train_end, overrides=overrides)
    assert trained.success, trained.error or [n.message for n in trained.failed]
    with connect(home) as con:
        retrained = con.execute(REGISTRY).fetchall()
    # Retraining reproduced both families' versions (the props' among them): no row added.
    assert retrained == registered and (("player_prop", version, train_end) in retrained)
    record("reruns", 1, 1)


#: Every registered model by family (the demo trains the props' and the game totals').
REGISTRY = (
    "select model_family, model_version, train_end from main.ml_model_registry "
    "order by model_family, model_version"
)
