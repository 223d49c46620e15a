"""bench/quality.py's account of a missed target (bench/quality_misses.py): every miss names
its gap, and its reason follows from what the run measured; the totals' learnt close is read
from a real world generated again with the books' learnable errors off."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from quality_misses import explain_misses
from quality_totals import LEARNT_ERRORS, learnt_close

from propcast.world import generate
from propcast.world.closing import total_closing_lines


def row(market: float, truth: float, ece: float) -> dict:
    return {"model_over_market": market, "model_over_truth": truth, "ece": ece}


def reference(exact: tuple[float, float], public: tuple[float, float]) -> dict:
    return {"reference_over_market": exact[0], "reference_over_truth": exact[1],
            "public_minutes_over_market": public[0], "public_minutes_over_truth": public[1]}  # fmt: skip


def test_a_family_that_meets_every_target_is_not_listed() -> None:
    assert explain_misses({"player_goals": row(0.97, 1.01, 0.006)}, {}, {}) == {}


def test_each_prop_miss_says_by_how_much_and_which_reading_explains_it() -> None:
    results = {"player_points": row(0.9880, 1.0283, 0.0121)}
    diagnostics = {"player_points": {"truth_ece": 0.0056}}
    refs = {"player_points": reference((0.9766, 1.0164), (0.9865, 1.0180))}
    missed = explain_misses(results, diagnostics, refs)["player_points"]
    assert missed["model_over_market"]["by"] == pytest.approx(0.0080)
    assert "needs tonight's minutes" in missed["model_over_market"]["why"]
    assert "0.9865" in missed["model_over_market"]["why"]
    assert "beyond the world's public information" in missed["model_over_truth"]["why"]
    assert "off by up to 0.0065" in missed["ece"]["why"]
    # The reference with public minutes meets it: the model's own estimate is what trails.
    refs = {"player_points": reference((0.9600, 1.0050), (0.9700, 1.0100))}
    why = explain_misses(results, diagnostics, refs)["player_points"]["model_over_market"]["why"]
    assert why.startswith("the model trails the reference with public minutes (0.9700) by 0.0180")
    # Without --bound there is no reading to explain it, and the line says so.
    assert "--bound" in explain_misses(results, {}, {})["player_points"]["model_over_truth"]["why"]


def test_an_ece_under_the_truths_own_is_sampling_noise() -> None:
    missed = explain_misses({"player_threes": row(0.97, 1.01, 0.0147)},
                            {"player_threes": {"truth_ece": 0.0152}}, {})  # fmt: skip
    assert list(missed["player_threes"]) == ["ece"]
    assert "sampling noise alone" in missed["player_threes"]["ece"]["why"]


def test_a_totals_miss_reads_the_learnt_close_and_the_error_sds() -> None:
    facts = {"game_total_nba": {"truth_ece": 0.04, "model_mean_error_sd": 9.1,
                                "close_mean_error_sd": 4.9, "model_expected_over_market": 0.9966,
                                "model_expected_over_truth": 1.0385}}  # fmt: skip
    # Judged in expected log loss: the realised outcomes of ~1,200 games move it by ~0.01.
    refs = {"game_total_nba": {"learnt_close_over_close": 0.9754,
                               "learnt_close_expected_over_close": 0.9878,
                               "learnt_close_over_truth": 1.0300,
                               "learnt_close_expected_over_truth": 1.0100, "n": 1165}}  # fmt: skip
    missed = explain_misses({"game_total_nba": row(0.9961, 1.0377, 0.0577)}, facts, refs)
    market, truth = (missed["game_total_nba"][k]["why"] for k in ("model_over_market",
                                                                  "model_over_truth"))  # fmt: skip
    assert "reaches 0.9878 in expected log loss (0.9754 on these outcomes): beyond" in market
    assert (
        "reaches 1.0100 in expected log loss (1.0300 on these outcomes): the model has "
        "not learnt them" in truth
    )
    assert "sd 9.10, the close's by 4.90" in market
    assert "the model reaches 0.9966 in expected log loss" in market
    assert "the model reaches 1.0385 in expected log loss" in truth


def test_the_learnt_close_is_the_same_season_with_the_learnable_errors_off(
    tmp_path: Path,
) -> None:
    options = {"seed": 5, "start": date(2025, 10, 21), "days": 8, "books": 3,
               "vendors": ("oddsapi",)}  # fmt: skip
    world, learnt = tmp_path / "full", tmp_path / "learnt"
    generate(world, **options)
    generate(learnt, errors=LEARNT_ERRORS, **options)
    same = learnt_close(world, world)
    assert same["learnt_close_over_close"] == same["learnt_close_expected_over_close"] == 1.0
    assert same["n"] == total_closing_lines(world)["event_id"].nunique()
    full, off = total_closing_lines(world), total_closing_lines(learnt)
    assert sorted(full["event_id"]) == sorted(off["event_id"])  # the same games
    lines = full.merge(off, on="event_id", suffixes=("_full", "_off"))
    assert (lines["p_truth_full"].notna()).all()
    assert (lines["line_full"] != lines["line_off"]).any()  # the shade and the lag moved lines
    assert learnt_close(world, learnt)["learnt_close_over_close"] != 1.0
