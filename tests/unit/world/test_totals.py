"""Game totals in the demo world (issue 10, propcast/world/totals.py): every book posts a total
per game and snapshot in all three vendors' spellings; truth/game_total_truth.csv holds the
exact-enough P(over) of every offered line, consistent with the scores the world drew; the
books' de-vigged close is realistically (not perfectly) sharp."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from propcast.vendors import csvfeed, decimalfeed, oddsapi
from propcast.vendors.base import Payload
from propcast.world import NBA, generate
from propcast.world import totals as game_totals
from propcast.world.closing import close_over_truth, total_closing_lines, total_quotes
from propcast.world.nhl import NHL

BAND = (1.01, 1.08)


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 NBA days, every book through oddsapi (as the props' market-strength test)."""
    root = tmp_path_factory.mktemp("totals_season")
    generate(root, seed=4, start=date(2026, 11, 3), days=30, books=8, vendors=("oddsapi",))
    return root


def test_the_totals_close_is_realistic_and_the_truth_is_calibrated(season: Path) -> None:
    lines = total_closing_lines(season)
    assert len(lines) > 200
    assert lines["line"].between(180, 270).all()
    r = close_over_truth(lines)["game_total"]
    # Expected log loss under the truth pins the market's error without outcome noise; the
    # realised ratio carries the outcomes' noise (a few hundred games).
    assert BAND[0] <= r["expected_ratio"] <= BAND[1], r
    assert 0.95 <= r["ratio"] <= 1.15, r
    # The truth is calibrated: its mean P(over) matches the realised over rate within 3 sd.
    p, y = lines["p_truth"].to_numpy(), lines["y"].to_numpy()
    assert abs(p.mean() - y.mean()) <= 3 * np.sqrt(np.sum(p * (1 - p))) / len(p)


def test_the_truth_has_a_row_per_offered_line(season: Path) -> None:
    truth = pd.read_csv(season / "truth" / "game_total_truth.csv", dtype={"game_id": str})
    assert list(truth.columns) == [
        "game_id", "event_id", "game_date", "league", "line", "true_mean", "true_p_over",
    ]  # fmt: skip
    offered = total_quotes(season)[["event_id", "line"]].drop_duplicates()
    assert len(truth) == len(offered) == len(truth.drop_duplicates(["event_id", "line"]))
    assert set(map(tuple, offered.to_numpy())) == set(
        zip(truth["event_id"], truth["line"], strict=True)
    )
    assert set(truth["league"]) == {"NBA"}
    assert truth["true_p_over"].between(0.0, 1.0).all()
    # P(over) falls as the line rises within a game.
    ordered = truth.sort_values(["event_id", "line"])
    assert (ordered.groupby("event_id")["true_p_over"].diff().dropna() <= 0).all()


def test_the_monte_carlo_truth_is_accurate_to_about_0_002() -> None:
    rng = np.random.default_rng(0)
    means = rng.uniform(3, 25, 20)
    minutes = np.concatenate([np.linspace(34, 8, 10)] * 2)
    sides = [np.arange(10), np.arange(10, 20)]
    estimates = []
    for seed in range(12):
        scores = game_totals.score_distribution(
            NBA, np.random.default_rng(seed), sides, means, minutes
        )
        estimates.append(game_totals.survival(scores)[round(means.sum())])
    assert np.std(estimates) < 0.0035  # measured ~0.002 (module doc)


@pytest.mark.parametrize("league", [NBA, NHL], ids=["nba", "nhl"])
def test_every_vendor_publishes_totals_in_its_own_spelling(league, tmp_path: Path) -> None:
    summary = generate(tmp_path, seed=9, start=date(2026, 12, 1), days=2, books=5, league=league)
    assert summary.total_truth_rows > 0
    feeds = tmp_path / "feeds"
    markets = [
        m
        for p in sorted((feeds / "oddsapi" / "prop_odds").glob("*.json"))
        for e in json.loads(p.read_text())["data"]
        for b in e["bookmakers"]
        for m in b["markets"]
        if m["key"] == "totals"
    ]
    assert markets and all(
        [o["name"] for o in m["outcomes"]] == ["Over", "Under"]
        and all("description" not in o and o["point"] % 1 == 0.5 for o in m["outcomes"])
        for m in markets
    )
    csv = pd.concat(
        [pd.read_csv(p, keep_default_na=False) for p in (feeds / "csvfeed" / "prop_odds").glob("*")]
    )
    tot = csv[csv["stat"] == "TOT"]
    assert len(tot) and (tot["player"] == "").all()
    offers = [
        o
        for p in sorted((feeds / "decimalfeed" / "prop_odds").glob("*.json"))
        for f in json.loads(p.read_text())["fixtures"]
        for o in f["offers"]
        if o["market"] == "total"
    ]
    assert offers and all("participant" not in o for o in offers)
    assert {o["selection"] for o in offers} == {"over", "under"}
    # Ingest keeps them (one code path with the props), in bulk and file by file alike.
    for vendor, module, column, spelling, published in (
        ("oddsapi", oddsapi, "market_key", "totals", 2 * len(markets)),
        ("csvfeed", csvfeed, "stat", "TOT", len(tot)),
        ("decimalfeed", decimalfeed, "market", "total", len(offers)),
    ):
        files = sorted((feeds / vendor / "prop_odds").iterdir())
        payloads = [Payload(p, p.read_bytes()) for p in files]
        batch = module.parse_batch(payloads).rows
        alone = [module.parse(p.content) for p in payloads]
        got = sum((a.rows[column] == spelling).sum() for a in alone)
        assert (batch[column] == spelling).sum() == got == published, vendor


def test_a_prop_row_without_a_player_is_still_refused() -> None:
    head = ",".join(csvfeed.COLUMNS)
    row = "2026-12-01T15:00:00Z,NBA,2026-12-02T00:00:00Z,BOS,NY,DK,,{stat},220.5,-110,-110"
    parsed = csvfeed.parse(
        "\n".join([head, row.format(stat="PTS"), row.format(stat="TOT")]).encode()
    )
    assert [r.reason for r in parsed.rejected] == ["player missing"]
    assert list(parsed.rows["stat"]) == ["TOT"]
