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

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


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
    goals = per_team.goals.sum()
    for row in final.itertuples():
        assert goals[(row.game_id, row.home_team)] == int(row.home_score)
        assert goals[(row.game_id, row.away_team)] == int(row.away_score)
        assert row.home_score != row.away_score  # no ties


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
