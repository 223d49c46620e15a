"""The NHL world (propcast.world.nhl, a first cut): hockey-shaped games, its prop markets in
every odds vendor's spelling, and the truth of every offered line."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from propcast.world import generate
from propcast.world.nhl import NHL

SEEDS = Path(__file__).resolve().parents[3] / "seeds"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nhl")
    generate(out, seed=5, start=date(2026, 11, 3), days=5, league=NHL)
    return out


def read_all(folder: Path) -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(folder.glob("*.csv"))]
    )


def test_games_are_hockey(world: Path) -> None:
    box = read_all(world / "feeds" / "league" / "boxscores")
    for column in ("minutes", "shots_on_goal", "goals"):
        box[column] = box[column].astype(int)
    per_team = box.groupby(["game_id", "team"])
    assert per_team.size().between(14, 18).all()  # 18 dressed skaters less the injured
    assert per_team.minutes.sum().min() == 300  # 5 skaters x 60 minutes, more in overtime
    assert 24 < per_team.shots_on_goal.sum().mean() < 35
    assert 2.5 < per_team.goals.sum().mean() < 4.0
    results = read_all(world / "feeds" / "league" / "schedule")
    final = results[results.status == "final"].drop_duplicates("game_id")
    assert_scores_follow_the_tie_rules(box, final)


def assert_scores_follow_the_tie_rules(box: pd.DataFrame, final: pd.DataFrame) -> int:
    """A team's score is its skaters' goals, except after a shootout: both sides' skater goals
    tied and the winner's score one more (the shootout goal is no player's). Returns the
    number of shootouts."""
    goals = box.groupby(["game_id", "team"]).goals.sum()
    shootouts = 0
    for row in final.itertuples():
        home, away = int(row.home_score), int(row.away_score)
        skaters = goals[(row.game_id, row.home_team)], goals[(row.game_id, row.away_team)]
        assert home != away  # no ties
        if skaters[0] == skaters[1]:
            shootouts += 1
            assert abs(home - away) == 1 and home + away == sum(skaters) + 1, row
        else:
            assert (home, away) == skaters, row
    return shootouts


def test_ties_end_in_overtime_or_a_shootout_one_goal_higher(tmp_path: Path) -> None:
    """Over a month: about a fifth of games are tied after regulation and about half of those
    go to a shootout; a regulation tie's final total is always one goal higher (what books
    settle NHL totals on), and the truth's P(over) prices exactly that total."""
    generate(tmp_path, seed=11, start=date(2026, 11, 3), days=30, books=2, league=NHL)
    box = read_all(tmp_path / "feeds" / "league" / "boxscores")
    box["goals"] = box["goals"].astype(int)
    results = read_all(tmp_path / "feeds" / "league" / "schedule")
    final = results[results.status == "final"].drop_duplicates("game_id", keep="last")
    shootouts = assert_scores_follow_the_tie_rules(box, final)
    assert 0.04 < shootouts / len(final) < 0.18, (shootouts, len(final))
    truth = pd.read_csv(tmp_path / "truth" / "game_total_truth.csv", dtype={"game_id": str})
    scores = final.assign(total=final.home_score.astype(int) + final.away_score.astype(int))
    joined = truth.merge(scores[["game_id", "total"]], on="game_id")
    # One line a game (the one nearest its true mean: games are independent, lines are not).
    near = joined.loc[(joined["line"] - joined["true_mean"]).abs().groupby(joined["game_id"])
                      .idxmin()]  # fmt: skip
    went_over = (near["total"] > near["line"]).astype(float)
    # The truth is calibrated on the settled total: mean P(over) within sampling error.
    gap = abs(near["true_p_over"].mean() - went_over.mean())
    assert gap < 3 * went_over.std() / len(near) ** 0.5, (gap, len(near))


def test_vendors_publish_its_markets_in_their_spellings(world: Path) -> None:
    with open(SEEDS / "market_aliases.csv", encoding="utf-8") as handle:
        aliases = {(r["vendor"], r["alias"]): r["market_id"] for r in csv.DictReader(handle)}
    markets = {"player_shots_on_goal", "player_goals", "game_total"}
    rows = read_all(world / "feeds" / "csvfeed" / "prop_odds")
    assert set(rows.league) == {"NHL"}
    assert {aliases[("csvfeed", s.lower())] for s in rows.stat} == markets
    offers = set()
    for path in (world / "feeds" / "decimalfeed" / "prop_odds").glob("*.json"):
        doc = json.loads(path.read_text())
        assert doc["sport"] == "icehockey/nhl"
        offers |= {o["market"] for f in doc["fixtures"] for o in f["offers"]}
    assert {aliases[("decimalfeed", m)] for m in offers} == markets
    doc = json.loads(next((world / "feeds" / "oddsapi" / "prop_odds").glob("*.json")).read_text())
    assert {e["sport_key"] for e in doc["data"]} == {"icehockey_nhl"}
    truth = pd.read_csv(world / "truth" / "prop_truth.csv")
    assert set(truth.market) == markets - {"game_total"}
    assert truth.true_p_over.between(0, 1).all()
