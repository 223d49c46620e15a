"""A demo home holds one demo world: a demo of another world starts it over, a rerun of the same
keeps it, and a home no demo made is refused (it may hold a team's real history)."""

from __future__ import annotations

import pytest

from propcast.demo_home import (
    NotADemoHome,
    record_world,
    recorded_world,
    start_over_if_another_world,
)
from propcast.settings import Home
from propcast.warehouse import connect

YESTERDAY = {"leagues": "NBA", "seed": 7, "start": "2026-06-24", "end": "2026-12-05", "books": 5,
             "market_strength": "realistic"}  # fmt: skip
TODAY = {**YESTERDAY, "start": "2026-06-25", "end": "2026-12-06"}


def a_loaded_home(home: Home) -> Home:
    with connect(home) as con:
        con.execute("create table main.t as select 1 as x")
    inbox_file = home.inbox / "league" / "boxscores" / "2026-12-05__20261206T080000Z.csv"
    inbox_file.parent.mkdir(parents=True)
    inbox_file.write_text("game_id\n1\n")
    (home.runs / "run.json").write_text("{}")
    return home


def test_a_demo_of_another_world_starts_the_home_over(home: Home) -> None:
    a_loaded_home(home)
    record_world(home, YESTERDAY)
    said: list[str] = []

    assert start_over_if_another_world(home, TODAY, said.append)

    assert not home.warehouse.exists()
    assert not any(p.is_file() for p in home.inbox.rglob("*"))
    assert not list(home.runs.iterdir())
    assert home.inbox.is_dir() and home.runs.is_dir()
    assert "2026-06-24 → 2026-12-05" in said[0] and "2026-06-25 → 2026-12-06" in said[0]


def test_a_rerun_of_the_same_world_keeps_what_it_loaded(home: Home) -> None:
    a_loaded_home(home)
    record_world(home, TODAY)

    assert not start_over_if_another_world(home, TODAY, print)

    assert home.warehouse.exists() and (home.runs / "run.json").exists()
    assert recorded_world(home) == TODAY


def test_an_earlier_release_demo_home_is_started_over(home: Home) -> None:
    a_loaded_home(home)
    truth = home.world / "truth"
    truth.mkdir(parents=True)
    (truth / "world.json").write_text("{}")  # a demo before world/demo.json existed
    said: list[str] = []

    assert start_over_if_another_world(home, TODAY, said.append)
    assert "an earlier release's demo world" in said[0]
    assert not home.warehouse.exists()


def test_a_home_no_demo_made_is_refused_and_left_alone(home: Home) -> None:
    a_loaded_home(home)

    with pytest.raises(NotADemoHome, match="no demo made"):
        start_over_if_another_world(home, TODAY, print)

    assert home.warehouse.exists() and (home.runs / "run.json").exists()


def test_an_empty_home_needs_nothing(home: Home) -> None:
    assert not start_over_if_another_world(home, TODAY, print)
