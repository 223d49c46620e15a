"""`propcast evaluate` through the real CLI on the session's demo world (a copy per test that
writes), the settlement marts against the boxscores, and "no model reads the truth"."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.evaluate import SOURCES, probability_metrics
from propcast.settings import PROJECT_DIR, Home
from propcast.warehouse import connect

from .conftest import DemoWorld

runner = CliRunner()


def cli(home: Home, *args: str) -> tuple[int, str, dict]:
    """`propcast evaluate <args> --json` on `home`: exit code, output, the final JSON."""
    result = runner.invoke(
        app, ["evaluate", *args, "--json"], env={"PROPCAST_HOME": str(home.root)}
    )
    lines = result.output.strip().splitlines()
    body = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split()), body


def frame(home: Home, sql: str, *params: object):
    with connect(home) as con:  # the session's dbt runs keep it open read-write
        return con.execute(sql, list(params)).df()


def test_evaluate_prints_and_saves_the_table(demo_home: Home, demo_world: DemoWorld) -> None:
    code, out, body = cli(demo_home)
    assert code == 0, out
    yesterday = demo_world.slate - timedelta(days=1)
    assert body["verdict"] == "ok" and body["end_date"] == str(yesterday)
    assert body["has_truth"] and body["compared_lines"] > 300
    rows = {(r["league"], r["market_family"], r["source"]): r for r in body["rows"]}
    assert {source for (_, _, source) in rows} == set(SOURCES)
    model, close, truth = (
        rows["NBA", "player_points", s] for s in ("model", "devig_close", "truth")
    )
    assert model["n_lines"] == close["n_lines"] == truth["n_lines"] > 300
    # The demo world's exact probabilities beat both the model and the de-vigged close.
    assert truth["log_loss"] < min(model["log_loss"], close["log_loss"]), rows
    assert model["n_bets"] > 20 and model["roi_flat"] is not None
    assert "log loss" in out and "ECE (10 bins)" in out and "devig_close" in out
    csv_path, json_path = (Path(p) for p in body["paths"])
    assert csv_path.name == f"evaluation_{body['start_date']}_{body['end_date']}.csv"
    assert csv_path.parent == demo_home.outputs / "evaluation"
    assert json.loads(json_path.read_text())["rows"] == body["rows"]


def test_evaluate_exit_codes(demo_home: Home, demo_world: DemoWorld) -> None:
    later = demo_world.slate + timedelta(days=3)
    code, out, body = cli(demo_home, "--start-date", str(later), "--end-date", str(later))
    assert code == 3 and body["verdict"] == "degraded", out
    assert f"nothing settled between {later} and {later}" in body["message"]
    assert body["recover"].startswith("propcast evaluate --start-date ")
    code, out, _ = cli(demo_home, "--start-date", "2026-01-05", "--end-date", "2026-01-01")
    assert code == 2 and "before --start-date" in out


def test_accuracy_mart_metrics_match_the_python_metrics(demo_world: DemoWorld) -> None:
    """The SQL metrics of fct_forecast_accuracy_daily (10-bin ECE included) against
    propcast.evaluate's scikit-learn ones on the same settled lines of a day."""
    home, day = demo_world.home, demo_world.slate - timedelta(days=1)
    lines = frame(
        home,
        "select * from main.fct_line_settlements where game_date = ? and "
        "result in ('over', 'under') and prob_market_priced is not null "
        "and market = 'player_points'",
        day,
    )
    # The props' row (the demo's game totals have a row of their own).
    [mart] = frame(
        home,
        "select * from main.fct_forecast_accuracy_daily where game_date = ? "
        "and market_family = 'player_points'",
        day,
    ).to_dict("records")
    assert mart["n_lines"] == len(lines) > 50
    model = probability_metrics(lines["went_over"].to_numpy(), lines["prob_model"].to_numpy())
    for metric in ("log_loss", "brier", "ece", "hit_rate"):
        assert mart[f"{metric}_model"] == pytest.approx(model[metric]), metric
    closed = lines.dropna(subset=["prob_devig_close"])
    close = probability_metrics(
        closed["went_over"].to_numpy(), closed["prob_devig_close"].to_numpy()
    )
    assert mart["n_lines_devig_close"] == len(closed) > 10
    for metric in ("log_loss", "ece", "hit_rate"):
        assert mart[f"{metric}_devig_close"] == pytest.approx(close[metric]), metric


def test_bet_settlements_follow_the_boxscores(demo_world: DemoWorld) -> None:
    home, day = demo_world.home, demo_world.slate - timedelta(days=1)
    bets = frame(
        home,
        "select b.*, s.points from main.fct_bet_settlements as b left join "
        "main.fct_player_game_stats as s using (game_id, player_id) where b.game_date = ?",
        day,
    )
    assert len(bets) > 20 and set(bets["result"]) <= {"won", "lost", "push", "void"}
    played = bets.dropna(subset=["points"])
    over = played["points"] > played["line"]
    won = np.where(played["side"] == "over", over, played["points"] < played["line"])
    assert ((played["result"] == "won") == won).all()
    assert np.allclose(played["units_won"], np.where(won, played["price_decimal"] - 1.0, -1.0))
    assert (bets.loc[bets["points"].isna(), "result"] == "void").all()
    clv = bets.dropna(subset=["clv_prob"])
    assert np.allclose(clv["clv_prob"], clv["side_prob_devig_close"] - 1.0 / clv["price_decimal"])


def test_no_model_reads_the_truth(demo_world: DemoWorld) -> None:
    """The demo world's truth stays out of the warehouse: no node of the parsed project
    matches dbt-bouncer's truth rule, and nothing upstream of fct_predictions is a source or
    seed about the truth."""
    config = yaml.safe_load((PROJECT_DIR / "dbt-bouncer.yml").read_text())
    [rule] = [
        c for c in config["manifest_checks"]
        if c["name"] == "check_model_code_does_not_contain_regexp_pattern"
    ]  # fmt: skip
    banned = re.compile(rule["regexp_pattern"].strip(), re.DOTALL)
    assert banned.match("select * from read_csv('world/truth/prop_truth.csv')")
    manifest = json.loads((demo_world.home.dbt_target / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}
    assert not [n for n, node in nodes.items() if banned.match(node.get("raw_code") or "")]
    upstream, todo = set(), ["model.propcast.fct_predictions"]
    while todo:
        node = nodes[todo.pop()]
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent not in upstream:
                upstream.add(parent)
                todo.append(parent)
    assert len(upstream) > 10
    assert not [p for p in upstream if "truth" in p or "truth" in nodes[p].get("path", "")]


def test_daily_report_shows_the_evaluation(demo_world: DemoWorld) -> None:
    path = demo_world.home.outputs / "monitoring" / f"daily_report_{demo_world.slate}.md"
    text = path.read_text()
    section = text[text.index("## Evaluation on settled days (propcast evaluate)") :]
    assert "| family | metric | model | devig_open | devig_close | truth |" in section
    assert "| NBA player_points | log loss |" in section
