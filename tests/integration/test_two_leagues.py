"""Two leagues in one warehouse through the vendors' daily feeds: `propcast demo --league
NBA,NHL` generates an NBA and an NHL world, publishes the NHL's files beside the NBA's through
the same three odds vendors and league feed (in a subfolder of each feed, as a second
subscription would drop them), and runs the whole job on one warehouse: ingest, build,
training, walk-forward scoring and one run-day. One code path: each league's lines are mapped
to that league's teams and players (team codes such as BOS exist in both), priced by its own
families' models, and nothing of one league reaches the other's rows; `propcast evaluate` holds
both worlds' truth. A league feed whose player ids collide with the other league's is named by
a data test before anything is built on it (assert_player_ids_belong_to_one_league)."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

import pandas as pd
import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.daily import run_day
from propcast.dbt_runner import Dbt
from propcast.failing_rows import failing_examples
from propcast.markets import PROP_MARKETS_ENV
from propcast.settings import Home
from propcast.timeutil import slate_time_to_utc
from propcast.warehouse import connect, copy_warehouse
from propcast.world import LEAGUES, generate
from tests.support.imported_world import release_dbt_connection

SLATE = date(2027, 1, 12)  # the suite's latest priced slate (tests/conftest.py pins now)
DAYS = 30
MARKETS = ["player_points", "player_shots_on_goal"]
#: (league, market) → the family whose model must price it.
FAMILIES = {
    ("NBA", "player_points"): "player_points",
    ("NHL", "player_shots_on_goal"): "player_shots_on_goal",
    ("NBA", "game_total"): "game_total_nba",
    ("NHL", "game_total"): "game_total_nhl",
}
COLLISION_TEST = "assert_player_ids_belong_to_one_league"


def frame(home: Home, sql: str, *params: object) -> pd.DataFrame:
    with connect(home) as con:
        return con.execute(sql, list(params)).df()


def propcast(home: Home, *args: str) -> tuple[int, str]:
    env = {"PROPCAST_HOME": str(home.root), PROP_MARKETS_ENV: ",".join(MARKETS)}
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    release_dbt_connection()
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def two_leagues(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("two_leagues") / "home").ensure()
    code, output = propcast(home, "demo", "--league", "NBA,NHL", "--days", str(DAYS))
    assert code == 0, output
    assert "run-day 2027-01-12: slate 2027-01-12 built, scored and priced" in output, output
    return home


def test_one_run_day_prices_both_leagues_slate(two_leagues: Home) -> None:
    home = two_leagues
    games = frame(
        home,
        "select league, count(*) as games from main.dim_game where game_date = ? "
        "and not coalesce(is_postponed, false) group by league",
        SLATE,
    )
    per_league = dict(zip(games["league"], games["games"], strict=True))
    assert set(per_league) == {"NBA", "NHL"}, per_league
    summary = frame(home, "select * from main.fct_slate_summary_daily where game_date = ?", SLATE)
    assert summary["games_scheduled"].item() == sum(per_league.values())
    priced = frame(
        home,
        "select p.league, p.market, r.market_family, count(*) as n from main.fct_predictions p "
        "join main.ml_model_registry r using (model_version) where p.game_date = ? group by all",
        SLATE,
    )
    seen = {(row.league, row.market): row.market_family for row in priced.itertuples()}
    assert seen == FAMILIES, seen  # every league's lines, each by its own family's model


def test_no_row_of_one_league_meets_the_other(two_leagues: Home) -> None:
    """Every line's game, player and market are one league's, on every date; the vendors'
    quotes map to the right league's teams although both leagues have a BOS."""
    home = two_leagues
    crossed = frame(
        home,
        "select f.league, g.league as game_league, p.league as player_league, m.league "
        "as market_league, count(*) as n from main.fct_prop_line_features f "
        "join main.dim_game g using (game_id) join main.dim_player p using (player_id) "
        "join main.markets m on m.market_id = f.market group by all",
    )
    assert set(crossed["league"]) == {"NBA", "NHL"}
    agree = (
        (crossed["league"] == crossed["game_league"])
        & (crossed["league"] == crossed["player_league"])
        & (crossed["league"] == crossed["market_league"])
    )
    assert agree.all(), crossed[~agree]
    shared = frame(
        home,
        "select team_code from main.dim_team group by team_code having count(distinct league) > 1",
    )
    assert len(shared) > 0  # the test means something: some codes exist in both leagues
    mapping = frame(
        home,
        "select vendor, sum(quotes) as quotes, sum(quotes_team_unmapped) as team_unmapped, "
        "sum(quotes_fully_mapped) / sum(quotes) as mapped from main.fct_mapping_quality_daily "
        "group by vendor",
    )
    assert (mapping["team_unmapped"] == 0).all() and (mapping["mapped"] > 0.95).all(), mapping


def test_a_player_id_in_both_leagues_is_named_before_anything_is_built_on_it(
    two_leagues: Home, tmp_path: Path
) -> None:
    """An NHL feed whose ids are not prefixed could reuse an NBA player's id: the warehouse keys
    careers on player_id alone, so the data test on the staged boxscores names it (without it the
    build failed much later, on a duplicated player-game)."""
    home = Home(tmp_path / "home").ensure()
    copy_warehouse(two_leagues, home.warehouse)
    dbt = Dbt(home)
    assert dbt.invoke(["test", "--select", COLLISION_TEST]).success
    with connect(home) as con:
        nba, nhl = (
            con.execute(
                "select min(player_id) from raw.raw_boxscores where league = ?", [league]
            ).fetchone()[0]
            for league in ("NBA", "NHL")
        )
        con.execute("update raw.raw_boxscores set player_id = ? where player_id = ?", [nba, nhl])
    result = dbt.invoke(["test", "--select", COLLISION_TEST])
    assert not result.success
    [failed] = result.failed
    assert failed.unique_id.endswith(COLLISION_TEST) and failed.message.startswith("Got 1 result")
    # The failure names the id: the test's own rows, shown under it by build and run-day.
    [example] = failing_examples(home, result)[failed.unique_id]
    assert example.startswith(f"player_id={nba}, leagues=2, first_league=NBA, last_league=NHL")
    said: list[str] = []
    with pytest.MonkeyPatch.context() as env:
        env.setenv(PROP_MARKETS_ENV, ",".join(MARKETS))
        day = run_day(
            home, SLATE, slate_time_to_utc(SLATE, time(14, 0)), say=said.append, retrain_every=0
        )
    assert day.status == "failed" and day.message.startswith(
        f"phase staging failed: {failed.unique_id}"
    ), day.message
    assert f"{COLLISION_TEST} failed on, e.g.: {example}" in said, said
    assert day.recover is not None and day.recover.startswith("correct the rows"), day.recover


def test_evaluate_holds_both_worlds_truth_and_the_nhl_half_is_the_lone_nhl_world(
    two_leagues: Home, tmp_path: Path
) -> None:
    """Every family's settled lines meet their world's truth (the NHL's in world/nhl/truth); the
    NHL world is the one a lone NHL demo of the same seed generates, its player ids ('N...')
    apart from the NBA's ('P...')."""
    code, output = propcast(two_leagues, "evaluate", "--json")
    assert code == 0, output
    rows = json.loads(output.strip().splitlines()[-1])["rows"]
    truth = {
        (r["league"], r["market_family"])
        for r in rows
        if r["source"] == "truth" and r["log_loss"] is not None and r["n_lines"] > 0
    }
    assert truth == set(FAMILIES), truth
    lone = generate(
        tmp_path / "nhl", seed=7, start=SLATE - timedelta(days=DAYS - 1), days=DAYS, books=5,
        league=LEAGUES["NHL"],
    )  # fmt: skip
    assert lone.games > 0
    for name in ("prop_truth.csv", "game_total_truth.csv"):
        ours = (two_leagues.world / "nhl" / "truth" / name).read_bytes()
        assert ours == (tmp_path / "nhl" / "truth" / name).read_bytes(), name
    ids = frame(
        two_leagues,
        "select league, min(player_id) a, max(player_id) b from main.dim_player group by 1",
    )
    prefixes = {r.league: {r.a[0], r.b[0]} for r in ids.itertuples()}
    assert prefixes == {"NBA": {"P"}, "NHL": {"N"}}, prefixes
