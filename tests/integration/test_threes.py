"""The NBA threes market through the warehouse: the league feed's threes in the boxscore marts,
the as-of form means, a raw table older than the column, and (slow) the threes family trained,
scored, priced and evaluated on a copy of the demo world with PROPCAST_PROP_MARKETS naming it."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.dbt_runner import Dbt
from propcast.demo import short_season
from propcast.markets import PROP_MARKETS_ENV
from propcast.settings import Home
from propcast.timeutil import default_cutoff
from propcast.training import dbt_vars, train
from propcast.warehouse import connect
from tests.support.imported_world import release_dbt_connection

from .conftest import DEMO_DAYS, BuiltWorld, DemoWorld

THREES = "player_threes"


def frame(home: Home, sql: str, *params: object) -> pd.DataFrame:
    with connect(home) as con:
        return con.execute(sql, list(params)).df()


def test_threes_reach_the_boxscore_marts_and_the_form_means(built_world: BuiltWorld) -> None:
    home = built_world.home
    files = sorted((home.world / "feeds" / "league" / "boxscores").glob("*.csv"))
    published = pd.concat([pd.read_csv(f, dtype={"game_id": str}) for f in files])
    stats = frame(
        home, "select game_id, player_id, game_date, threes from main.fct_player_game_stats"
    )
    assert len(stats) == len(published) > 1000
    assert stats["threes"].notna().all() and stats["threes"].sum() == published["threes"].sum()
    assert stats["threes"].std() > 0.5  # guards shoot threes, bigs rarely

    features = frame(
        home,
        "select player_id, game_id, game_date, threes_avg_5, threes_avg_10 "
        "from main.fct_player_points_features where threes_avg_10 is not null",
    )
    assert len(features) > 1000
    stats = stats.sort_values(["player_id", "game_date"])
    for row in features.sample(200, random_state=3).itertuples():
        prior = stats[(stats.player_id == row.player_id) & (stats.game_date < row.game_date)]
        assert row.threes_avg_5 == pytest.approx(prior.threes.tail(5).mean(), abs=1e-9), row
        assert row.threes_avg_10 == pytest.approx(prior.threes.tail(10).mean(), abs=1e-9), row


def test_a_raw_table_without_threes_stages_them_as_null(world_home: Home) -> None:
    """A warehouse whose raw_boxscores predates the column (nothing ingested since) still
    builds its staging view: threes read as null, the other counts as before."""
    with connect(world_home) as con:
        con.execute("alter table raw.raw_boxscores drop column threes")
    result = Dbt(world_home).invoke(["run", "--select", "stg_league__boxscores"])
    assert result.success, result.failed
    staged = frame(
        world_home,
        "select count(*) as n, count(threes) as threes, count(points) as points "
        "from main.stg_league__boxscores",
    )
    assert staged["n"][0] == staged["points"][0] > 1000 and staged["threes"][0] == 0


@pytest.mark.slow
def test_threes_are_trained_scored_priced_and_evaluated(
    demo_home: Home, demo_world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a copy of the demo world, PROPCAST_PROP_MARKETS with player_threes trains a threes model
    next to points, scores the walk-forward dates with it (varying probabilities), prices its
    lines in fct_bet_recommendations, and fct_forecast_accuracy_daily and `propcast evaluate`
    report a threes family."""
    outcome = demo_world.outcome
    first, last = outcome.scored
    # The suite pins one family (tests/conftest.py); the setting wins over dbt var prop_markets.
    monkeypatch.setenv(PROP_MARKETS_ENV, f"player_points,{THREES}")
    dbt = Dbt(demo_home)
    walk_forward = dbt_vars(
        last, default_cutoff(last), score_start=first.isoformat(), score_end=last.isoformat()
    )
    # The feature marts hold the lines of var prop_markets only: rebuild them with threes.
    features = dbt.invoke(
        ["build", "--select", "tag:phase_features", "--full-refresh"], run_vars=walk_forward
    )
    assert features.success, features.failed
    overrides, _ = short_season(DEMO_DAYS)  # the windows the demo trained with
    trained = train(demo_home, outcome.train_end, dbt=dbt, overrides=overrides)
    assert trained.success, trained.failed
    scored = dbt.invoke(
        ["build", "--select", "tag:phase_predictions+", "--exclude", "tag:train"],
        run_vars=walk_forward,
    )
    assert scored.success, scored.failed

    families = frame(demo_home, "select market_family from main.ml_model_registry")
    assert THREES in set(families["market_family"])
    predictions = frame(
        demo_home,
        "select market, count(*) as n, stddev_pop(prob_over) as sd from main.fct_predictions "
        "group by market",
    ).set_index("market")
    assert predictions.loc[THREES, "n"] > 200 and predictions.loc[THREES, "sd"] > 0.02

    priced = frame(
        demo_home,
        "select count(*) as n, count(ev) as with_ev, count_if(is_recommended) as bets "
        "from main.fct_bet_recommendations where market = ?",
        THREES,
    )
    assert priced["with_ev"][0] > 0 and priced["bets"][0] > 0, priced

    accuracy = frame(
        demo_home,
        "select sum(n_lines) as n from main.fct_forecast_accuracy_daily where market_family = ?",
        THREES,
    )
    assert accuracy["n"][0] > 50
    release_dbt_connection()  # evaluate opens the warehouse read-only
    result = CliRunner().invoke(
        app, ["evaluate", "--json"], env={"PROPCAST_HOME": str(demo_home.root)}
    )
    body = json.loads(result.output.strip().splitlines()[-1])
    assert result.exit_code == 0, result.output
    threes = {r["source"]: r for r in body["rows"] if r["market_family"] == THREES}
    assert threes["model"]["n_lines"] == threes["devig_close"]["n_lines"] > 50
    print(
        "\nthrees walk-forward log loss: "
        + json.dumps({s: round(r["log_loss"], 5) for s, r in threes.items()})
    )
