"""`propcast backtest` end to end: generated NBA and NHL seasons (tests/support/history_files.py)
→ `propcast import totals` (the imported world of tests/support/imported_world.py: one build
for every file) → the backtest's --json on the mart main.fct_game_total_features. The
generated closing lines are efficient: the verdict must be "no edge", with every metric key
present."""

from __future__ import annotations

import json

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.backtest import METRIC_KEYS
from propcast.settings import Home
from tests.support.imported_world import ImportedWorld

runner = CliRunner()


def run(*args: str) -> tuple[int, dict, str]:
    result = runner.invoke(app, [*args, "--json"])
    lines = result.stdout.strip().splitlines()
    return result.exit_code, json.loads(lines[-1]), result.stdout


def test_totals_imports_load_and_build(imported_world: ImportedWorld) -> None:
    """The NBA file imported with --no-build, the NHL file later in a run that builds."""
    nba, nhl = imported_world.run("totals", "NBA"), imported_world.run("totals", "NHL")
    assert nba.code == 0 and "--no-build" in nba.args, nba.out
    assert nhl.code == 0, nhl.out
    last = imported_world.runs[-1]
    assert last.code == 0 and last.body["built"], last.out


@pytest.mark.parametrize("league", ["NBA", "NHL"])
def test_backtest_json_on_imported_history(imported_home: Home, monkeypatch, league) -> None:
    monkeypatch.setenv("PROPCAST_HOME", str(imported_home.root))
    code, body, out = run(
        "backtest", "--league", league.lower(), "--market", "game_total",
        "--train-until", "2023-01-01", "--start-date", "2023-01-02",
        "--end-date", "2023-02-18", "--retrain-every-days", "21",
    )  # fmt: skip
    assert code == 0, out
    assert set(METRIC_KEYS) <= set(body), sorted(set(METRIC_KEYS) - set(body))
    assert body["n"] > 200 and body["market_logloss"] is not None
    assert body["edge"] is False and body["message"].startswith(f"backtest {league}: no edge")
    assert abs(body["model_logloss"] - body["market_logloss"]) < 0.01
    assert body["model_mae"] < body["line_mae"] * 1.03
    if league == "NHL":  # closing prices only
        assert body["clv"] is None and "closing price" in body["clv_reason"]
    assert "training model 3/3" in out and "log loss" in out


def test_backtest_errors_name_the_fix(imported_home: Home, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PROPCAST_HOME", str(imported_home.root))
    code, body, _ = run("backtest", "--league", "NBA", "--train-until", "2021-01-01",
                        "--start-date", "2021-01-02", "--end-date", "2021-02-01")  # fmt: skip
    assert code == 1 and "the data holds 120 dates from 2022-10-22" in body["message"]
    assert body["recover"].startswith("propcast backtest --league NBA --market game_total")
    # The world imported NBA props and NHL shots on goal only.
    code, body, _ = run("backtest", "--league", "NHL", "--market", "player_points",
                        "--train-until", "2023-01-01", "--start-date", "2023-01-02",
                        "--end-date", "2023-02-01")  # fmt: skip
    assert code == 1 and "no NHL player_points props" in body["message"]
    assert "propcast import props" in body["recover"]
    monkeypatch.setenv("PROPCAST_HOME", str(tmp_path / "empty"))
    code, body, _ = run("backtest", "--league", "NHL", "--train-until", "2023-01-01",
                        "--start-date", "2023-01-02", "--end-date", "2023-02-01")  # fmt: skip
    assert code == 1 and "propcast import totals" in body["recover"]
