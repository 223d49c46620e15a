"""The fallback guard (incident 7: predictions that were all 50 %) refuses constant or empty
slates and passes a model that learnt something."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from propcast.models import (
    FallbackPredictions,
    check_not_fallback,
)

# ---------------------------------------------------------------- fallback guard


def slate(
    prob: np.ndarray, market: np.ndarray | None = None, day: date = date(2026, 4, 20)
) -> pd.DataFrame:
    frame = pd.DataFrame({"game_date": [day] * len(prob), "prob_over": prob})
    if market is not None:
        frame["market_prob_over"] = market
    return frame


def test_guard_refuses_all_half() -> None:
    market = np.random.default_rng(1).uniform(0.3, 0.7, 200)
    with pytest.raises(FallbackPredictions, match=r"\[all_half\].*game_date 2026-04-20") as info:
        check_not_fallback(slate(np.full(200, 0.5), market), market_prob_column="market_prob_over")
    assert info.value.rule == "all_half"
    assert "market_prob_over is not flat" in str(info.value)
    # 92 % at 0.5 and the rest spread out: the standard deviation alone would not catch it.
    prob = np.where(np.arange(200) < 184, 0.5, np.linspace(0.1, 0.9, 200))
    assert prob.std() > 0.005
    with pytest.raises(FallbackPredictions, match=r"all_half.*92\.0%"):
        check_not_fallback(slate(prob))


def test_guard_refuses_zero_rows() -> None:
    with pytest.raises(FallbackPredictions, match="zero_rows") as info:
        check_not_fallback(slate(np.array([])))
    assert info.value.rule == "zero_rows"
    with pytest.raises(FallbackPredictions, match=r"zero_rows.*game_date 2026-04-21"):
        check_not_fallback(slate(np.full(50, 0.4)), run_date=date(2026, 4, 21))


def test_guard_refuses_a_constant_other_than_half() -> None:
    market = np.random.default_rng(2).uniform(0.3, 0.7, 300)
    with pytest.raises(
        FallbackPredictions, match=r"\[constant\].*2026-04-20: std 0\.00000 < 0\.005"
    ):
        check_not_fallback(slate(np.full(300, 0.62), market), market_prob_column="market_prob_over")
    with pytest.raises(FallbackPredictions, match="constant"):
        check_not_fallback(slate(np.full(300, 0.62)))


def test_guard_allows_flat_predictions_when_the_market_is_flat() -> None:
    prob = 0.5 + np.random.default_rng(3).normal(0, 0.0003, 300)
    stats = check_not_fallback(
        slate(prob, np.full(300, 0.5)), market_prob_column="market_prob_over"
    )
    assert stats["market_flat"] is True and stats["rows"] == 300
    # Without the market to excuse it, the same output is a fallback.
    with pytest.raises(FallbackPredictions):
        check_not_fallback(slate(prob))


def test_guard_passes_a_good_model_and_reports_stats(scored: pd.DataFrame) -> None:
    stats = check_not_fallback(scored, market_prob_column="market_prob_over")
    assert stats["rows"] == len(scored)
    assert stats["prob_std"] >= 0.02
    assert stats["share_near_half"] < 0.5
    assert stats["market_flat"] is False
    assert len(stats["dates"]) == 30


def test_guard_checks_each_date_and_invalid_values(scored: pd.DataFrame) -> None:
    broken = scored.copy()
    last = broken["game_date"] == broken["game_date"].max()
    broken.loc[last, "prob_over"] = 0.5  # one date of a backfill fell back
    with pytest.raises(FallbackPredictions, match=r"all_half.*game_date 2026-04-10"):
        check_not_fallback(broken, market_prob_column="market_prob_over")
    broken = scored.copy()
    broken.loc[3, "prob_over"] = np.nan
    with pytest.raises(FallbackPredictions, match="invalid"):
        check_not_fallback(broken)
    # A tiny slate is too small for a spread, but all-0.5 is still refused.
    with pytest.raises(FallbackPredictions, match="all_half"):
        check_not_fallback(slate(np.full(3, 0.5)))
    check_not_fallback(slate(np.array([0.41, 0.41, 0.41])))
    # One game's total priced at an honest 0.5009 (the NHL demo, 2026-10-18): not a fallback;
    # the same slate at exactly 0.5 is.
    check_not_fallback(slate(np.array([0.5009]), np.array([0.46])), "market_prob_over")
    with pytest.raises(FallbackPredictions, match="all_half"):
        check_not_fallback(slate(np.array([0.5]), np.array([0.46])), "market_prob_over")
