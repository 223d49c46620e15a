"""Game totals priced as bets (issue 10): the vendors' boards at the pricing cutoff make each
game's priced line (fct_game_total_features: the consensus, the market's P(over) and the best
bettable price of each side, never a later snapshot), fct_predictions scores it,
fct_bet_recommendations prices it like a prop and fct_bet_settlements settles the bet on the
final total. Read-only on the session demo world, recomputed here in pandas from the vendors'
quotes; the upgrade of a warehouse whose recommendations still refuse a null player_id, and
the settlement of totals bets, run a real dbt build on a copy."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

from propcast.dbt_runner import Dbt
from propcast.export import bet_rows, read_export
from propcast.settings import Home
from propcast.timeutil import default_cutoff
from propcast.totals_frames import TEAM_COLUMNS, with_team_features
from propcast.training import dbt_vars
from propcast.warehouse import connect
from propcast.world.closing import final_games

from .conftest import DemoWorld

GAME = ["league", "game_date", "home_team_id", "away_team_id"]


def frame(world: DemoWorld, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(world.home.warehouse), read_only=True) as con:
        return con.execute(sql).df()


def decimal_from_american(american: pd.Series) -> pd.Series:
    a = american.astype(float)
    return pd.Series(np.where(a > 0, 1.0 + a / 100.0, 1.0 + 100.0 / a.abs()), index=a.index)


def boards_at_cutoff(world: DemoWorld) -> pd.DataFrame:
    """Each vendor book's board per game at the game's pricing cutoff: its latest two-sided
    pre-game snapshot fetched by then (a book two vendors carry: the vendor first by name)."""
    quotes = frame(
        world,
        "select vendor, book_id, league, cast(game_date as date) as game_date, home_team_id, "
        "away_team_id, line, side, price_american, fetched_at from main.int_prop_odds_unioned "
        "where market = 'game_total' and home_team_id is not null "
        "and away_team_id is not null and fetched_at < commence_time",
    )
    snapshot = ["vendor", "book_id", *GAME, "line", "fetched_at"]
    sides = quotes.pivot_table(
        index=snapshot, columns="side", values="price_american", aggfunc="first"
    ).reset_index()
    counts = quotes.groupby(snapshot).size().rename("n").reset_index()
    sides = sides.merge(counts, on=snapshot)
    sides = sides[(sides["n"] == 2) & sides["over"].notna() & sides["under"].notna()]
    games = frame(
        world,
        "select game_id, league, game_date, home_team_id, away_team_id, pricing_cutoff_utc "
        "from main.fct_game_total_features",
    )
    sides = sides.merge(games, on=GAME)
    sides = sides[sides["fetched_at"] <= sides["pricing_cutoff_utc"]]
    ranked = sides.sort_values(["fetched_at", "vendor"], ascending=[False, True])
    return ranked.drop_duplicates(["game_id", "book_id"], keep="first")


def test_the_priced_line_is_the_books_boards_at_the_cutoff(demo_world: DemoWorld) -> None:
    boards = boards_at_cutoff(demo_world)
    counts = boards.groupby(["game_id", "line"]).size().rename("books").reset_index()
    consensus = counts.sort_values(["books", "line"], ascending=[False, True])
    consensus = consensus.drop_duplicates("game_id").set_index("game_id")["line"]
    bettable = set(frame(demo_world, "select book_id from main.sportsbooks where bettable")
                   ["book_id"])  # fmt: skip
    at_line = boards.merge(consensus.rename("consensus").reset_index(), on="game_id")
    at_line = at_line[(at_line["line"] == at_line["consensus"])]
    at_line = at_line[at_line["book_id"].isin(bettable)]
    best_over = (
        at_line.assign(dec=decimal_from_american(at_line["over"])).groupby("game_id")["dec"].max()
    )
    best_under = (
        at_line.assign(dec=decimal_from_american(at_line["under"])).groupby("game_id")["dec"].max()
    )

    features = frame(
        demo_world,
        "select game_id, is_priced_at_cutoff, line, closing_line, priced_fetched_at, "
        "pricing_cutoff_utc, best_over_price_decimal, best_under_price_decimal "
        "from main.fct_game_total_features",
    ).set_index("game_id")
    priced = features[features["is_priced_at_cutoff"]]
    assert len(priced) >= 100 and len(priced) == len(features)  # every game is vendor-quoted
    assert (priced["priced_fetched_at"] <= priced["pricing_cutoff_utc"]).all()
    assert priced["line"].equals(consensus.reindex(priced.index).astype(float))
    np.testing.assert_allclose(priced["best_over_price_decimal"], best_over[priced.index])
    np.testing.assert_allclose(priced["best_under_price_decimal"], best_under[priced.index])
    # the close moved after the cutoff on some games: the priced line is not the close's
    assert (priced["line"] != priced["closing_line"]).sum() >= 10


def test_totals_are_priced_like_props(demo_world: DemoWorld) -> None:
    bets = frame(
        demo_world,
        "select r.game_id, r.subject_id, r.player_id, r.league, r.line, r.side, r.price_decimal, "
        "r.book_id, r.ev, r.is_recommended, r.reason_code, f.line as features_line, "
        "f.best_over_price_decimal, f.best_over_book_id, f.best_under_price_decimal, "
        "f.best_under_book_id from main.fct_bet_recommendations as r "
        "inner join main.fct_game_total_features as f on r.game_id = f.game_id "
        "where r.market = 'game_total'",
    )
    assert len(bets) >= 50, bets
    assert bets["player_id"].isna().all() and (bets["subject_id"] == bets["game_id"]).all()
    assert set(bets["league"]) == {"NBA"}
    assert (bets["line"] == bets["features_line"]).all()
    over = bets[bets["side"] == "over"]
    under = bets[bets["side"] == "under"]
    assert len(over) and len(under)
    assert (over["price_decimal"] == over["best_over_price_decimal"]).all()
    assert (over["book_id"] == over["best_over_book_id"]).all()
    assert (under["price_decimal"] == under["best_under_price_decimal"]).all()
    assert (under["book_id"] == under["best_under_book_id"]).all()
    # the suite's gate is off: a line is a bet exactly when its EV reaches min_ev (0.03)
    assert (bets["is_recommended"] == (bets["ev"] >= 0.03)).all()
    assert set(bets["reason_code"]) <= {"value", "below_threshold", "stake_under_a_cent"}


def test_an_older_warehouse_takes_totals_bets_and_settles_them(
    demo_home: Home, demo_world: DemoWorld
) -> None:
    """A warehouse built when fct_bet_recommendations.player_id was NOT NULL: the model's
    pre_hook relaxes it. A positive control: the totals predictions of the last 10 slates
    made confident (P(over) 0.9 or 0.1, alternately) and repriced by the production SQL, the
    totals bets settle on the final total, won, lost or push at the price taken, and the
    export lists them with each book's price."""
    day = demo_world.slate
    first = day - timedelta(days=10)
    with connect(demo_home) as con:
        con.execute("delete from main.fct_bet_recommendations where player_id is null")
        con.execute("alter table main.fct_bet_recommendations alter column player_id set not null")
        con.execute(
            "update main.fct_predictions set prob_over = case when hash(game_id) % 2 = 0 "
            "then 0.9 else 0.1 end where market = 'game_total' and game_date >= ?",
            [first],
        )
    run_vars = dbt_vars(day, default_cutoff(day), score_start=str(first), score_end=str(day))
    result = Dbt(demo_home).invoke(
        ["build", "--select", "fct_bet_recommendations+"], run_vars=run_vars
    )
    problems = [f"{n.status} {n.unique_id}: {n.message}" for n in result.failed]
    assert result.success and not problems, problems or result.error

    with connect(demo_home) as con:
        settled = con.execute(
            "select s.game_id, s.line, s.side, s.result, s.units_won, s.price_decimal, "
            "f.actual_total from main.fct_bet_settlements as s "
            "inner join main.fct_game_total_features as f on s.game_id = f.game_id "
            "where s.market = 'game_total'"
        ).df()
    final = settled[settled["actual_total"].notna()]
    assert len(final) >= 20, settled
    went_over = final["actual_total"] > final["line"]
    expected = np.where(
        final["actual_total"] == final["line"],
        "push",
        np.where(went_over == (final["side"] == "over"), "won", "lost"),
    )
    assert (final["result"].to_numpy() == expected).all()
    won = final["result"] == "won"
    assert 0 < won.sum() < len(final)
    np.testing.assert_allclose(final.loc[won, "units_won"], final.loc[won, "price_decimal"] - 1)
    assert (final.loc[final["result"] == "lost", "units_won"] == -1.0).all()
    assert (settled.loc[settled["actual_total"].isna(), "result"] == "pending").all()

    data = read_export(demo_home, day)
    rows = bet_rows(data)
    totals = rows[rows["market"] == "game_total"]
    assert len(totals) > 0
    assert totals["player"].str.startswith("game total ").all()
    books = [b for b in data.books.book_id if b in rows.columns]
    assert (totals[books].notna().sum(axis=1) >= 1).all(), totals  # the best book's, at least


def test_the_pandas_twin_computes_the_warehouses_team_features(demo_world: DemoWorld) -> None:
    """propcast.totals_frames (bench/quality's totals frame) against fct_game_total_features:
    the same as-of team columns from the same world's final games."""
    twin = with_team_features(final_games(demo_world.home.world))
    columns = [f"{side}_{c}" for side in ("home", "away") for c in TEAM_COLUMNS]
    columns.append("league_total_avg_30d")
    warehouse = frame(
        demo_world, f"select game_id, {', '.join(columns)} from main.fct_game_total_features"
    )
    merged = warehouse.merge(twin, on="game_id", suffixes=("", "_twin"), validate="1:1")
    assert len(merged) == len(warehouse) >= 100
    for column in columns:
        np.testing.assert_allclose(
            merged[column].astype(float), merged[f"{column}_twin"].astype(float),
            rtol=1e-9, equal_nan=True, err_msg=column,
        )  # fmt: skip
