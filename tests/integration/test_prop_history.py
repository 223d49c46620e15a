"""Imported props on their own, end to end: generated NBA and NHL seasons of player props
(tests/support/prop_history_files.py: several books with vig, messy names, pushes, unsettled
rows) → `propcast import props` (the imported world of tests/support/imported_world.py, with
the totals history beside it: one build) → main.fct_prop_history_features → `propcast
backtest --market <prop> --json`. The form features come from actual_value alone and never
see the game itself; the verdict follows the bootstrap interval."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.backtest import METRIC_KEYS
from propcast.settings import Home
from tests.support.imported_world import PROP_PLAYERS as PLAYERS
from tests.support.imported_world import ImportedWorld

runner = CliRunner()
WINDOW = ("--train-until", "2024-12-20", "--start-date", "2024-12-21", "--end-date", "2025-01-29")


def run(*args: str) -> tuple[int, dict, str]:
    result = runner.invoke(app, [*args, "--json"])
    lines = result.stdout.strip().splitlines()
    return result.exit_code, json.loads(lines[-1]), result.stdout


def test_props_imports_load_and_build(imported_world: ImportedWorld) -> None:
    """The NBA props file imported with --no-build, the NHL file in the run that builds."""
    nba, nhl = imported_world.run("props", "NBA"), imported_world.run("props", "NHL")
    assert nba.code == 0 and "--no-build" in nba.args, nba.out
    assert nhl.code == 0 and nhl.body["built"], nhl.out


def _mart(root: Path) -> pd.DataFrame:
    with duckdb.connect(str(Home(root).warehouse), read_only=True) as con:
        return con.execute("select * from main.fct_prop_history_features").df()


def test_prop_features_from_actual_values_alone(imported_home: Home) -> None:
    mart = _mart(imported_home.root)
    counts = mart.groupby(["league", "market"]).size()
    assert set(counts.index) == {("NBA", m) for m in (
        "player_points", "player_rebounds", "player_assists", "player_threes")} | {
        ("NHL", "player_shots_on_goal")}  # fmt: skip
    # messy spellings (accents, Jr., initials, case) are one player each
    assert (mart.groupby("league")["player_name_key"].nunique() == PLAYERS).all()
    assert mart["book_count"].max() == 3 and mart["is_push"].fillna(False).any()
    assert mart["actual_value"].isna().any()  # unsettled rows stay, unlabelled
    nba = mart[mart["league"] == "NBA"]
    assert nba["open_line"].notna().mean() > 0.5
    assert mart[mart["league"] == "NHL"]["open_line"].isna().all()
    # as of: recompute the form from earlier settled games only
    one = mart[(mart["market"] == "player_points")].sort_values("game_date")
    for _, games in list(one.groupby("player_name_key"))[:8]:
        values = games["actual_value"].to_numpy(dtype=float)
        for i in range(len(games)):
            before = values[:i][~np.isnan(values[:i])]
            got = games["form_avg_5"].iloc[i]
            if before.size == 0:
                assert pd.isna(got)
            else:
                assert got == pytest.approx(before[-5:].mean())
                assert games["form_avg_10"].iloc[i] == pytest.approx(before[-10:].mean())
            assert games["prior_settled_games"].iloc[i] == before.size
    through = mart["form_through_date"].dropna()
    assert (through < mart.loc[through.index, "game_date"]).all()


@pytest.mark.parametrize(
    ("league", "market"), [("NBA", "player_points"), ("NHL", "player_shots_on_goal")]
)
def test_prop_backtest_json(imported_home: Home, monkeypatch, league, market) -> None:
    monkeypatch.setenv("PROPCAST_HOME", str(imported_home.root))
    code, body, out = run("backtest", "--league", league, "--market", market, *WINDOW,
                          "--retrain-every-days", "14")  # fmt: skip
    assert code == 0, out
    assert set(METRIC_KEYS) <= set(body), sorted(set(METRIC_KEYS) - set(body))
    assert body["market"] == market and body["n"] > 400
    assert body["model_logloss"] is not None and body["market_logloss"] is not None
    assert abs(body["model_logloss"] - body["market_logloss"]) < 0.02
    ci = body["logloss_diff_ci"]
    assert body["edge"] is (ci[1] < 0)  # honest: edge only when the interval excludes zero
    verdict = "edge" if body["edge"] else "no edge"
    assert body["message"].startswith(f"backtest {league}: {verdict}")
    assert all(s["train_end"] < s["first_scored"] for s in body["steps"])
    if league == "NHL":  # no quoted_at: closing prices only
        assert body["clv"] is None and "closing price" in body["clv_reason"]
    assert "training model 3/3" in out and "MAE of the stat" in out


def test_prop_backtest_errors_name_the_fix(imported_home: Home, monkeypatch) -> None:
    monkeypatch.setenv("PROPCAST_HOME", str(imported_home.root))
    code, body, _ = run("backtest", "--league", "NBA", "--market", "player_blocks", *WINDOW)
    assert code == 1 and "no NBA player_blocks props" in body["message"]
    assert "NBA player_points" in body["message"] and "import props" in body["recover"]
    code, body, _ = run("backtest", "--league", "NHL", "--market", "sog", "--train-until",
                        "2024-10-23", "--start-date", "2024-10-24", "--end-date", "2024-11-01")  # fmt: skip
    assert code == 1 and "player_shots_on_goal" in body["message"]
    assert body["recover"].startswith(
        "propcast backtest --league NHL --market player_shots_on_goal"
    )
