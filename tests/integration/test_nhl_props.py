"""The NHL through the whole product: `propcast demo --league NHL` generates an NHL world, loads
its boxscores (shots on goal, goals), builds the as-of form means, trains and scores the
player_shots_on_goal and player_goals families and the NHL game-totals model, prices and settles the lines, and
`propcast evaluate` reports both families against the world's truth. Same code path as the
NBA's: the league is data (seeds/markets.csv, the world's LeagueSpec)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.settings import Home
from propcast.warehouse import connect
from tests.support.imported_world import release_dbt_connection

SHOTS = "player_shots_on_goal"
GOALS = "player_goals"
NHL_DAYS = 40


def frame(home: Home, sql: str, *params: object) -> pd.DataFrame:
    with connect(home) as con:
        return con.execute(sql, list(params)).df()


@pytest.fixture(scope="module")
def nhl_home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("nhl") / "home").ensure()
    env = {"PROPCAST_HOME": str(home.root), "PROPCAST_PROP_MARKETS": ""}
    result = CliRunner().invoke(
        app, ["demo", "--league", "nhl", "--days", str(NHL_DAYS), "--seed", "3"], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"PROPCAST_PROP_MARKETS={SHOTS},{GOALS}" in result.output
    release_dbt_connection()
    return home


def test_nhl_boxscores_reach_the_stats_mart_and_the_form_means(nhl_home: Home) -> None:
    files = sorted((nhl_home.world / "feeds" / "league" / "boxscores").glob("*.csv"))
    published = pd.concat([pd.read_csv(f, dtype={"game_id": str}) for f in files])
    assert "points" not in published.columns  # the NHL feed reports its own counts only
    stats = frame(
        nhl_home,
        "select league, player_id, game_date, shots_on_goal, goals, points "
        "from main.fct_player_game_stats",
    )
    # The demo loads what was published before the last slate's morning.
    assert set(stats["league"]) == {"NHL"} and stats["points"].isna().all()
    assert 0.9 * len(published) < len(stats) <= len(published)
    assert stats["shots_on_goal"].notna().all() and stats["goals"].notna().all()
    per_game = stats.groupby("game_date")["shots_on_goal"].sum() / (
        stats.groupby("game_date")["player_id"].count() / 36
    )
    assert 45 < per_game.mean() < 75  # ~29 shots a team, two teams a game

    features = frame(
        nhl_home,
        "select player_id, game_date, shots_on_goal_avg_5 from main.fct_player_points_features "
        "where shots_on_goal_avg_5 is not null",
    )
    stats = stats.sort_values(["player_id", "game_date"])
    for row in features.sample(100, random_state=5).itertuples():
        prior = stats[(stats.player_id == row.player_id) & (stats.game_date < row.game_date)]
        assert row.shots_on_goal_avg_5 == pytest.approx(prior.shots_on_goal.tail(5).mean())


def test_nhl_shots_and_totals_are_trained_scored_priced_and_settled(nhl_home: Home) -> None:
    families = set(frame(nhl_home, "select market_family from main.ml_model_registry")[
        "market_family"
    ])  # fmt: skip
    assert families == {SHOTS, GOALS, "game_total_nhl"}
    predictions = frame(
        nhl_home,
        "select league, market, count(*) as n, stddev_pop(prob_over) as sd "
        "from main.fct_predictions group by all",
    ).set_index("market")
    assert set(predictions["league"]) == {"NHL"}
    assert predictions.loc[SHOTS, "n"] > 1000 and predictions.loc[SHOTS, "sd"] > 0.05
    assert predictions.loc[GOALS, "n"] > 500 and predictions.loc[GOALS, "sd"] > 0.02
    assert predictions.loc["game_total", "n"] > 50

    settled = frame(
        nhl_home,
        "select l.actual_value, s.shots_on_goal from main.fct_line_settlements as l "
        "inner join main.fct_player_game_stats as s using (game_id, player_id) "
        "where l.market = ? and l.actual_value is not null",
        SHOTS,
    )
    assert len(settled) > 1000 and (settled["actual_value"] == settled["shots_on_goal"]).all()
    bets = frame(
        nhl_home,
        "select count(*) as n from main.fct_bet_recommendations "
        "where market = ? and is_recommended",
        SHOTS,
    )
    assert bets["n"][0] > 0


def test_evaluate_reports_the_nhl_families_against_the_truth(nhl_home: Home) -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "--json"], env={"PROPCAST_HOME": str(nhl_home.root)}
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output.strip().splitlines()[-1])
    rows = {(r["market_family"], r["source"]): r for r in body["rows"]}
    shots_model, shots_truth = rows[(SHOTS, "model")], rows[(SHOTS, "truth")]
    assert shots_model["n_lines"] == shots_truth["n_lines"] > 1000
    # A model that learned nothing scores ~0.693; the truth is the floor no model reaches.
    assert shots_truth["log_loss"] < shots_model["log_loss"] < 0.685
    goals_model, goals_truth = rows[(GOALS, "model")], rows[(GOALS, "truth")]
    assert goals_model["n_lines"] > 500 and goals_truth["log_loss"] < goals_model["log_loss"]
    totals = rows[("game_total", "model")]
    assert totals["n_lines"] > 30 and totals["log_loss"] < 0.75
    print(
        "\nNHL walk-forward log loss: "
        + json.dumps({f"{f}/{s}": round(r["log_loss"], 4) for (f, s), r in rows.items()})
    )
