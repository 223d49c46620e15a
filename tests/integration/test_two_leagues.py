"""Two leagues in one warehouse through the vendors' daily feeds: an NBA and an NHL world
published side by side through the same three odds vendors and the same league feed (the NHL's
files in a subfolder of each feed, as a second subscription would drop them), ingested
together, built, trained, walk-forward scored and priced by one run-day. One code path: each
league's lines are mapped to that league's teams and players (team codes such as BOS exist in
both), priced by its own families' models, and nothing of one league reaches the other's rows.
A league feed whose player ids collide with the other league's is named by a data test before
anything is built on it (tests/data_tests/assert_player_ids_belong_to_one_league.sql)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import pandas as pd
import pytest

from propcast.daily import DayOutcome, run_day
from propcast.dbt_runner import Dbt
from propcast.demo import TRAIN_SHARE, short_season
from propcast.failing_rows import failing_examples
from propcast.fetch import fetch_from_feeds
from propcast.ingest import ingest
from propcast.markets import PROP_MARKETS_ENV
from propcast.settings import Home
from propcast.timeutil import default_cutoff, slate_time_to_utc
from propcast.training import dbt_vars, train
from propcast.warehouse import connect, copy_warehouse
from propcast.world import LEAGUES, generate

SLATE = date(2027, 1, 12)
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


@dataclass(frozen=True)
class TwoLeagues:
    home: Home
    day: DayOutcome


def publish_beside(world: Path, other: Path, subfolder: str) -> int:
    """Put a second world's feed files into the first world's feeds, each under `subfolder` of
    its vendor's feed folder (the inbox keeps vendor/feed/...: ingest reads any depth)."""
    files = 0
    for path in sorted((other / "feeds").rglob("*.*")):
        vendor, feed, *rest = path.relative_to(other / "feeds").parts
        target = world / "feeds" / vendor / feed / subfolder / Path(*rest)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files += 1
    return files


def frame(home: Home, sql: str, *params: object) -> pd.DataFrame:
    with connect(home) as con:
        return con.execute(sql, list(params)).df()


@pytest.fixture(scope="module")
def two_leagues(tmp_path_factory: pytest.TempPathFactory) -> TwoLeagues:
    root = tmp_path_factory.mktemp("two_leagues")
    home = Home(root / "home").ensure()
    start = SLATE - timedelta(days=DAYS - 1)
    generate(home.world, seed=7, start=start, days=DAYS, books=5, league=LEAGUES["NBA"])
    generate(root / "nhl", seed=3, start=start, days=DAYS, books=5, league=LEAGUES["NHL"])
    assert publish_beside(home.world, root / "nhl", "nhl") > 100
    with pytest.MonkeyPatch.context() as env:
        env.setenv(PROP_MARKETS_ENV, ",".join(MARKETS))
        dbt = Dbt(home, project_vars={"prop_markets": MARKETS})
        fetch_from_feeds(home, home.world / "feeds", cutoff=slate_time_to_utc(SLATE, time(0, 0)))
        loaded = ingest(home)
        assert loaded.payloads_loaded > 0 and not loaded.problems, loaded.problems
        train_end = start + timedelta(days=int(DAYS * TRAIN_SHARE))
        first, last = train_end + timedelta(days=1), SLATE - timedelta(days=1)
        walk_forward = dbt_vars(
            last, default_cutoff(last), score_start=first.isoformat(), score_end=last.isoformat()
        )
        built = dbt.invoke(
            ["build", "--exclude", "tag:train", "tag:phase_predictions+"], run_vars=walk_forward
        )
        assert built.success, [n.message for n in built.failed]
        overrides, _ = short_season(DAYS)
        assert train(home, train_end, dbt=dbt, overrides=overrides).success
        scored = dbt.invoke(
            ["build", "--select", "fct_prop_line_features", "tag:phase_predictions+",
             "--exclude", "tag:train"],
            run_vars=walk_forward,
        )  # fmt: skip
        assert scored.success, [n.message for n in scored.failed]
        day = run_day(home, SLATE, slate_time_to_utc(SLATE, time(14, 0)), dbt=dbt, retrain_every=0)
    return TwoLeagues(home, day)


def test_one_run_day_prices_both_leagues_slate(two_leagues: TwoLeagues) -> None:
    home, day = two_leagues.home, two_leagues.day
    assert day.status == "ok", day.message
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


def test_no_row_of_one_league_meets_the_other(two_leagues: TwoLeagues) -> None:
    """Every line's game, player and market are one league's, on every date; the vendors'
    quotes map to the right league's teams although both leagues have a BOS."""
    home = two_leagues.home
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
    two_leagues: TwoLeagues, tmp_path: Path
) -> None:
    """An NHL feed whose ids are not prefixed could reuse an NBA player's id: the warehouse keys
    careers on player_id alone, so the data test on the staged boxscores names it (without it the
    build failed much later, on a duplicated player-game)."""
    home = Home(tmp_path / "home").ensure()
    copy_warehouse(two_leagues.home, home.warehouse)
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
