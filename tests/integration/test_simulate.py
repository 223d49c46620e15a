"""`propcast simulate --json` on the demo home, and independent Kelly in Python equal to the
warehouse's stake_fraction (both policies share one evaluation path)."""

from __future__ import annotations

import json

import duckdb
import numpy as np
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.settings import Home
from propcast.simulate import project_caps
from propcast.staking import independent_kelly
from tests.integration.conftest import DemoWorld


def _recommended_dates(home: Home) -> list:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "select distinct game_date from main.fct_bet_recommendations where is_recommended "
            "order by 1"
        ).fetchall()
    return [r[0] for r in rows]


def test_simulate_json_on_the_demo_home_and_exit_3_without_bets(demo_home: Home) -> None:
    dates = _recommended_dates(demo_home)
    start, end = dates[-4], dates[-2]
    args = ["simulate", "--start-date", str(start), "--end-date", str(end), "--bankroll", "1000",
            "--runs", "200", "--seed", "3", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.output.strip().splitlines()[-1])
    assert body["staking"] == "kelly" and body["runs"] == 200 and body["days"] == 3
    final = body["final_bankroll"]
    assert final["p05"] <= final["p50"] <= final["p95"] and final["p05"] > 0
    assert 0.0 <= body["max_drawdown"]["p50"] <= body["max_drawdown"]["p95"] < 1.0
    assert 0.0 <= body["risk_of_ruin"] <= 1.0
    assert body["truth"] is not None  # the demo world's truth drives a second simulation
    assert body["actual"]["n_won"] + body["actual"]["n_lost"] > 0
    assert body["actual"]["final_bankroll"] > 0
    again = CliRunner().invoke(app, args)
    assert json.loads(again.output.strip().splitlines()[-1]) == body  # seeded

    before = dates[0].replace(year=dates[0].year - 1)
    empty = CliRunner().invoke(app, ["simulate", "--start-date", str(before), "--end-date",
                                     str(before), "--bankroll", "1000", "--json"])  # fmt: skip
    assert empty.exit_code == 3, empty.output
    message = json.loads(empty.output.strip().splitlines()[-1])["message"]
    assert "no recommended bet" in message and str(dates[-1]) in message


def test_independent_kelly_equals_the_warehouse_stake_fraction(demo_home: Home) -> None:
    with duckdb.connect(str(demo_home.warehouse), read_only=True) as con:
        bets = con.execute(
            "select game_date, game_id, side_prob, price_decimal, stake_fraction "
            "from main.fct_bet_recommendations where is_recommended order by game_date, game_id"
        ).df()
    assert len(bets) > 0
    caps = project_caps()
    for _, day in bets.groupby("game_date"):
        mine = independent_kelly(day["side_prob"], day["price_decimal"], day["game_id"], caps)
        # equal in practice (0 on the demo)
        assert np.abs(mine - day["stake_fraction"].to_numpy()).max() <= 1e-9


def test_outcome_correlations_come_with_the_demo_not_with_its_morning_build(
    demo_world: DemoWorld,
) -> None:
    """fct_outcome_correlations (tag refresh_with_training) is built by the demo's training and
    walk-forward over every settled line, never by the morning run-day's build."""
    morning = {node.unique_id for node in demo_world.outcome.day.build.nodes}
    assert "model.propcast.fct_prop_odds" in morning
    assert not any("fct_outcome_correlations" in unique_id for unique_id in morning)
    with duckdb.connect(str(demo_world.home.warehouse), read_only=True) as con:
        pairs, last = con.execute(
            "select sum(n_pairs) filter (where relation_type = 'same_subject_market'), "
            "max(last_game_date) from main.fct_outcome_correlations"
        ).fetchone()
    # Every settled line when the walk-forward ran (results through the eve of the slate's
    # eve); the morning's newly settled games wait for the next training.
    assert pairs > 0 and demo_world.outcome.train_end < last < demo_world.slate
