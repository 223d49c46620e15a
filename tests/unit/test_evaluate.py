"""propcast.evaluate on hand-built settled lines and bets: metrics, common rows, truth, bets."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, log_loss

from propcast.evaluate import (
    SOURCES,
    evaluate_frames,
    expected_calibration_error,
    markdown_table,
    metric_rows,
    probability_metrics,
    read_truth,
    save,
)
from propcast.settings import Home

DAY = date(2026, 1, 10)


def test_ece_uses_ten_equal_width_bins_weighted_by_lines() -> None:
    # bin 0: p 0.05, share over 0 -> 0.05; bin 1: mean p 0.15, share 0.5 -> 0.35 x 2 lines;
    # bin 9 holds p = 1.0 with 0.95: mean 0.975, share 1 -> 0.025 x 2 lines. Total / 5 lines.
    p = np.array([0.05, 0.15, 0.15, 0.95, 1.0])
    y = np.array([0, 1, 0, 1, 1])
    assert expected_calibration_error(y, p) == pytest.approx((0.05 + 0.7 + 0.05) / 5)


def test_probability_metrics_agree_with_scikit_learn_and_count_hits() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, 400)
    y = (rng.uniform(size=400) < p).astype(int)
    got = probability_metrics(y, p)
    assert got["log_loss"] == pytest.approx(log_loss(y, p))
    assert got["brier"] == pytest.approx(brier_score_loss(y, p))
    assert got["hit_rate"] == pytest.approx(np.mean((p >= 0.5) == (y == 1)))
    assert 0 <= got["ece"] < 0.1  # calibrated by construction
    # A probability of exactly 0.5 favours the over; an empty set has no metric.
    assert probability_metrics(np.array([1, 0]), np.array([0.5, 0.5]))["hit_rate"] == 0.5
    assert all(math.isnan(v) for v in probability_metrics(np.array([]), np.array([])).values())


def lines_frame() -> pd.DataFrame:
    """Four settled NBA points lines (one without a close) and two NHL game totals."""
    rows = [
        ("NBA", "player_points", "G1", "P1", 20.5, 1, 0.70, 0.60, 0.65),
        ("NBA", "player_points", "G1", "P2", 10.5, 0, 0.40, 0.45, 0.50),
        ("NBA", "player_points", "G1", "P3", 5.5, 1, 0.55, 0.50, 0.52),
        ("NBA", "player_points", "G1", "P4", 7.5, 0, 0.30, 0.40, None),
        ("NHL", "game_total", "N1", None, 5.5, 1, 0.55, 0.50, 0.52),
        ("NHL", "game_total", "N2", None, 6.5, 0, 0.45, 0.48, 0.47),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["league", "market_family", "game_id", "player_id", "line", "went_over",
                 "prob_model", "prob_devig_open", "prob_devig_close"],
    )  # fmt: skip
    frame["subject_id"] = frame["player_id"].fillna(frame["game_id"])
    frame["market"] = frame["market_family"]
    frame["game_date"], frame["result"] = DAY, np.where(frame["went_over"] == 1, "over", "under")
    return frame


def bets_frame() -> pd.DataFrame:
    """P1's over at 2.0 won (stake 10), P2's under at 2.5 lost (stake 5)."""
    return pd.DataFrame(
        {
            "league": ["NBA", "NBA"],
            "market_family": ["player_points", "player_points"],
            "game_id": ["G1", "G1"],
            "subject_id": ["P1", "P2"],
            "market": ["player_points", "player_points"],
            "line": [20.5, 10.5],
            "side": ["over", "under"],
            "price_decimal": [2.0, 2.5],
            "stake": [10.0, 5.0],
            "units_won": [1.0, -1.0],
            "profit": [10.0, -5.0],
            "game_date": [DAY, DAY],
        }
    )


def truth_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": ["G1"] * 4,
            "subject_id": ["P1", "P2", "P3", "P4"],
            "market": ["player_points"] * 4,
            "line": [20.5, 10.5, 5.5, 7.5],
            "prob_truth": [0.8, 0.3, 0.6, 0.2],
        }
    )


def row(result, league: str, source: str) -> pd.Series:
    table = result.table
    return table[(table["league"] == league) & (table["source"] == source)].iloc[0]


def test_sources_are_scored_on_the_same_lines() -> None:
    result = evaluate_frames(lines_frame(), bets_frame(), truth_frame(), DAY, DAY)
    assert result.settled_lines == 6 and result.compared_lines == 3 + 2
    assert result.has_truth
    # NBA: P4 has no close, so every NBA source is judged on P1..P3 alone.
    nba = lines_frame().iloc[:3]
    for source, column in (("model", "prob_model"), ("devig_close", "prob_devig_close")):
        got = row(result, "NBA", source)
        assert got["n_lines"] == 3
        assert got["log_loss"] == pytest.approx(log_loss(nba["went_over"], nba[column]))
    truth = row(result, "NBA", "truth")
    assert truth["brier"] == pytest.approx(np.mean((np.array([0.8, 0.3, 0.6]) - [1, 0, 1]) ** 2))
    assert any("3 of 4 settled lines" in note for note in result.notes)
    # NHL totals have no truth: that column is empty, the others are scored on both games.
    assert row(result, "NHL", "truth")["n_lines"] == 0
    assert math.isnan(row(result, "NHL", "truth")["log_loss"])
    assert row(result, "NHL", "model")["n_lines"] == 2


def test_bets_get_clv_and_edge_per_source_and_realized_roi_for_the_model() -> None:
    result = evaluate_frames(lines_frame(), bets_frame(), truth_frame(), DAY, DAY)
    model, close, truth = (row(result, "NBA", s) for s in ("model", "devig_close", "truth"))
    # P1 over at 2.0 (1 / 2.0 = 0.5), P2 under at 2.5 (0.4).
    assert close["clv_prob"] == pytest.approx(((0.65 - 0.5) + (0.5 - 0.4)) / 2)
    assert close["edge"] == pytest.approx(((2.0 * 0.65 - 1) + (2.5 * 0.5 - 1)) / 2)
    assert truth["edge"] == pytest.approx(((2.0 * 0.8 - 1) + (2.5 * 0.7 - 1)) / 2)
    assert model["clv_prob"] == pytest.approx(((0.7 - 0.5) + (0.6 - 0.4)) / 2)
    assert model["roi_flat"] == pytest.approx(0.0)
    assert model["roi_staked"] == pytest.approx(5.0 / 15.0)
    assert math.isnan(close["roi_flat"]) and model["n_bets"] == 2
    assert row(result, "NHL", "model")["n_bets"] == 0


def test_without_truth_the_truth_column_is_empty_everywhere() -> None:
    result = evaluate_frames(lines_frame(), bets_frame(), None, DAY, DAY)
    assert not result.has_truth
    assert (result.table.loc[result.table["source"] == "truth", "n_lines"] == 0).all()
    assert row(result, "NBA", "model")["n_lines"] == 3  # still the lines with a close


def test_nothing_settled_is_empty() -> None:
    empty = lines_frame().iloc[0:0]
    result = evaluate_frames(empty, bets_frame().iloc[0:0], truth_frame(), DAY, DAY)
    assert result.is_empty and result.table.empty


def test_tables_and_files(tmp_path) -> None:
    home = Home(tmp_path / "home").ensure()
    result = evaluate_frames(lines_frame(), bets_frame(), truth_frame(), DAY, DAY)
    text = markdown_table(result)
    assert text.splitlines()[0] == "| family | metric | " + " | ".join(SOURCES) + " |"
    assert "| NBA player_points | log loss |" in text and "| NHL game_total | hit rate |" in text
    labels = {(family, metric) for family, metric, _ in metric_rows(result)}
    assert ("NBA player_points", "ECE (10 bins)") in labels
    csv_path, json_path = save(home, result)
    assert csv_path.name == f"evaluation_{DAY}_{DAY}.csv"
    assert len(pd.read_csv(csv_path)) == 2 * len(SOURCES)
    body = json.loads(json_path.read_text())
    assert body["compared_lines"] == 5 and len(body["rows"]) == 8
    assert body["rows"][3]["log_loss"] is None or body["rows"][3]["source"] == "truth"


def test_read_truth_keys_the_demo_truth_like_the_settlements(tmp_path) -> None:
    home = Home(tmp_path / "home").ensure()
    assert read_truth(home) is None
    path = home.world / "truth" / "prop_truth.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "game_id,event_id,game_date,player_id,market,line,true_mean,true_p_over\n"
        "0401,e1,2026-01-10,P1,player_points,20.5,22.1,0.61\n"
    )
    truth = read_truth(home)
    assert truth.to_dict("records") == [
        {"game_id": "0401", "subject_id": "P1", "market": "player_points", "line": 20.5,
         "prob_truth": 0.61}
    ]  # fmt: skip
    (home.world / "truth" / "game_total_truth.csv").write_text(
        "game_id,event_id,game_date,league,line,true_mean,true_p_over\n"
        "0401,e1,2026-01-10,NBA,221.5,224.0,0.57\n"
    )
    assert read_truth(home).to_dict("records")[1] == {
        "game_id": "0401",
        "subject_id": "0401",
        "market": "game_total",
        "line": 221.5,
        "prob_truth": 0.57,
    }  # fmt: skip: a game total's subject is its game, as in fct_line_settlements
