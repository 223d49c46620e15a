"""One small demo warehouse per test session, copied per test (a dbt build costs seconds)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from propcast.dbt_runner import Dbt
from propcast.fetch import fetch_from_feeds
from propcast.ingest import ingest
from propcast.pipeline import BuildSummary, build
from propcast.settings import Home
from propcast.timeutil import today_in_slate_tz
from propcast.warehouse import copy_warehouse
from propcast.world import generate

WORLD_DAYS = 24
EVERYTHING = datetime(2100, 1, 1)


@dataclass(frozen=True)
class BuiltWorld:
    home: Home
    first_day: date
    last_day: date
    build: BuildSummary


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> BuiltWorld:
    """A 24-day world ending yesterday (US/Eastern, by the suite's pinned clock), all of it
    published, ingested and built."""
    home = Home(tmp_path_factory.mktemp("session") / "home").ensure()
    last_day = today_in_slate_tz() - timedelta(days=1)
    first_day = last_day - timedelta(days=WORLD_DAYS - 1)
    generate(home.world, seed=11, start=first_day, days=WORLD_DAYS, books=5)
    fetch_from_feeds(home, home.world / "feeds", cutoff=EVERYTHING)
    ingest(home)
    summary = build(home, last_day, dbt=Dbt(home))
    assert summary.result.success, summary.problems()
    return BuiltWorld(home, first_day, last_day, summary)


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
