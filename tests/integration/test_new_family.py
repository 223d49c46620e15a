"""A prop family added to the priced ones on a warehouse built without it (an upgrade's new
default prop_markets, or PROPCAST_PROP_MARKETS): run-day stops before training with the reason
and the full refresh that recovers it, and `propcast build` leaves the predictions phase out
until the family has a model, saying so. Through the real CLI on a copy of the demo home."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from propcast.markets import PROP_MARKETS_ENV
from propcast.settings import Home
from propcast.warehouse import connect

from .conftest import DemoWorld

THREES = "player_threes"


def cli(*args: str):
    from propcast.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_a_new_family_names_its_recovery(
    demo_home: Home, demo_world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = str(demo_world.slate)
    monkeypatch.setenv(PROP_MARKETS_ENV, f"player_points,{THREES}")

    stopped = cli("run-day", "--date", day)
    assert stopped.exit_code == 1, stopped.output
    flat = " ".join(stopped.output.split())
    assert f"no settled line of {THREES} in fct_prop_line_features before {day}" in flat
    assert f"recover with: propcast build --date {day} --full-refresh" in flat
    with connect(demo_home) as con:
        trained = con.execute(
            "select count(*) from main.ml_model_registry where market_family = ?", [THREES]
        ).fetchone()[0]
    assert trained == 0  # stopped before any training

    built = cli("build", "--date", day, "--full-refresh")
    assert built.exit_code in (0, 3), built.output
    flat = " ".join(built.output.split())
    assert f"predictions not built: no {THREES} model trained before {day}" in flat
    with connect(demo_home) as con:
        lines = con.execute(
            "select count(*) from main.fct_prop_line_features "
            "where market = ? and game_date < ? and stat_value is not null",
            [THREES, day],
        ).fetchone()[0]
    assert lines > 500  # the full refresh built the family's history
