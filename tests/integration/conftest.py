"""Small demo warehouses built once per test session (per xdist worker), copied per test.

`built_world`: a 24-day world ingested and built, no model. `demo_world`: the `propcast demo`
path on a 20-day season (trained model, walk-forward predictions and recommendations, the
morning run-day of the last slate with its run state file and reports).

`imported_world`: generated NBA and NHL totals and props history imported through the CLI
(tests/support/imported_world.py), built once per test run and shared by every xdist worker.

tests/reliability and tests/incidents import these fixtures into their own conftest, which
makes pytest hold one definition per folder; each world is built once per process anyway
(`_BUILT`), so a worker that runs tests of several folders does not build it again.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from filelock import FileLock

from propcast.dbt_runner import Dbt
from propcast.demo import DemoOutcome, run_demo
from propcast.fetch import fetch_from_feeds
from propcast.ingest import ingest
from propcast.pipeline import BuildSummary, build
from propcast.settings import Home
from propcast.timeutil import today_in_slate_tz
from propcast.warehouse import copy_warehouse
from propcast.world import generate

if TYPE_CHECKING:  # the imported world's generators (pandas, scipy) load only when it is used
    from tests.support.imported_world import ImportedWorld

T = TypeVar("T")
WORLD_DAYS = 24
EVERYTHING = datetime(2100, 1, 1)
#: Session worlds already built in this process, by fixture name (read-only once built).
_BUILT: dict[str, object] = {}


@dataclass(frozen=True)
class BuiltWorld:
    home: Home
    first_day: date
    last_day: date
    build: BuildSummary


def build_built_world(folder: Path) -> BuiltWorld:
    """A 24-day world ending yesterday (US/Eastern, by the suite's pinned clock), all of it
    published, ingested and built in `folder`/home; checkpointed and closed for copying."""
    from tests.support.imported_world import close_for_copy

    home = Home(folder / "home").ensure()
    last_day = today_in_slate_tz() - timedelta(days=1)
    first_day = last_day - timedelta(days=WORLD_DAYS - 1)
    generate(home.world, seed=11, start=first_day, days=WORLD_DAYS, books=5)
    fetch_from_feeds(home, home.world / "feeds", cutoff=EVERYTHING)
    ingest(home)
    summary = build(home, last_day, dbt=Dbt(home))
    assert summary.result.success, summary.problems()
    close_for_copy(home)
    return BuiltWorld(home, first_day, last_day, summary)


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> BuiltWorld:
    """The 24-day built world, built once per test run; this worker reads its own copy."""
    if "built_world" in _BUILT:
        return _BUILT["built_world"]  # type: ignore[return-value]
    shared = once_per_run(tmp_path_factory, "built_world_run", build_built_world)
    local = tmp_path_factory.mktemp("session") / "home"
    shutil.copytree(shared.home.root, local)
    _BUILT["built_world"] = BuiltWorld(
        Home(local).ensure(), shared.first_day, shared.last_day, shared.build
    )
    return _BUILT["built_world"]  # type: ignore[return-value]


@pytest.fixture
def world_home(built_world: BuiltWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A private copy of the session warehouse (and its world) for a test that writes."""
    root = tmp_path / "home"
    src = built_world.home.root
    root.mkdir()
    copy_warehouse(built_world.home, root / "warehouse.duckdb")
    for folder in ("world", "inbox"):
        shutil.copytree(src / folder, root / folder)
    monkeypatch.setenv("PROPCAST_HOME", str(root))
    return Home(root).ensure()


#: A season this short trains with shorter windows and its run-day does not retrain
#: (propcast.demo.short_season), as `propcast demo --days 24` does.
DEMO_DAYS = 24


@dataclass(frozen=True)
class DemoWorld:
    home: Home
    outcome: DemoOutcome

    @property
    def slate(self) -> date:
        """The slate the demo's morning run-day priced (the suite clock's yesterday)."""
        return self.outcome.day.run_date


def build_demo_world(folder: Path) -> DemoWorld:
    """The demo season in `folder`/home, its warehouse checkpointed and closed so that another
    process can copy it whole."""
    from tests.support.imported_world import close_for_copy

    home = Home(folder / "home").ensure()
    outcome = run_demo(home, days=DEMO_DAYS, seed=5, books=5, say=lambda _line: None)
    assert outcome.day.status in ("ok", "degraded"), outcome.day.message
    close_for_copy(home)
    return DemoWorld(home, outcome)


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> DemoWorld:
    """The `propcast demo` path on a 24-day season: trained, scored walk-forward, run-day.
    Built once per test run (`once_per_run`); each worker reads its own copy of the home, so
    no two processes open one warehouse file. `outcome` is the build's (its paths name the
    shared home)."""
    if "demo_world" in _BUILT:
        return _BUILT["demo_world"]  # type: ignore[return-value]
    shared = once_per_run(tmp_path_factory, "demo_world_run", build_demo_world)
    local = tmp_path_factory.mktemp("demo") / "home"
    shutil.copytree(shared.home.root, local)
    _BUILT["demo_world"] = DemoWorld(Home(local).ensure(), shared.outcome)
    return _BUILT["demo_world"]  # type: ignore[return-value]


@pytest.fixture
def demo_home(demo_world: DemoWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A private copy of the demo home (warehouse, world, inbox, runs, outputs, pins)."""
    root = tmp_path / "home"
    src = demo_world.home.root
    root.mkdir()
    copy_warehouse(demo_world.home, root / "warehouse.duckdb")
    for entry in src.iterdir():
        if entry.is_dir() and entry.name not in ("target", "logs"):
            shutil.copytree(entry, root / entry.name)
        elif entry.is_file() and entry.suffix == ".json":
            shutil.copy2(entry, root / entry.name)
    monkeypatch.setenv("PROPCAST_HOME", str(root))
    monkeypatch.setenv("PROPCAST_RETRAIN_EVERY_DAYS", "0")  # the model is never due again
    return Home(root).ensure()


def once_per_run(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]) -> T:
    """`make(folder)` once per test run, not once per xdist worker (--dist loadfile spreads the
    modules that share it): the first worker runs it under a file lock in the run's shared
    temp folder and pickles the outcome (plain data); the others wait for it and read it."""
    if name in _BUILT:
        return _BUILT[name]  # type: ignore[return-value]
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        _BUILT[name] = make(factory.mktemp(name))
        return _BUILT[name]  # type: ignore[return-value]
    folder = factory.getbasetemp().parent / f"{name}-{run}"
    done = folder / "outcome.pickle"
    with FileLock(f"{folder}.lock"):
        if done.exists():
            _BUILT[name] = pickle.loads(done.read_bytes())
        else:
            shutil.rmtree(folder, ignore_errors=True)  # a failed attempt's leftovers
            folder.mkdir()
            _BUILT[name] = make(folder)
            done.write_bytes(pickle.dumps(_BUILT[name]))
    return _BUILT[name]  # type: ignore[return-value]


@pytest.fixture(scope="session")
def imported_world(tmp_path_factory: pytest.TempPathFactory) -> ImportedWorld:
    """NBA and NHL totals and props history imported and built once per run (read it through
    `imported_home` or a copy: other workers copy its warehouse file)."""
    from tests.support.imported_world import build_imported_world

    return once_per_run(tmp_path_factory, "imported_world", build_imported_world)


@pytest.fixture(scope="session")
def imported_home(imported_world: ImportedWorld, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """This worker's copy of the imported world, for tests that only read it (the backtest)."""
    from tests.support.imported_world import copy_imported_home

    return copy_imported_home(imported_world, tmp_path_factory.mktemp("imported") / "home")
