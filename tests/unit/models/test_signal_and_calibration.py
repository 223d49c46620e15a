"""The default predictor carries the synthetic world's signal, and its probabilities are
reliable on later dates; calibrators fit, stay monotone and round-trip."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit

from propcast.models import (
    Calibrator,
    TrainedModel,
    fit_calibrator,
    score_lines,
    train_prop_model,
)
from propcast.models.labelled import calibration_date_count
from propcast.models.metrics import log_loss
from tests.unit.models.synthetic import (
    START,
    TRAIN_END,
    config,
    later,
    went_over,
)

# ---------------------------------------------------------------- predictions carry the signal


def test_predictions_vary_and_beat_market_and_coin_on_later_dates(
    world: pd.DataFrame, scored: pd.DataFrame
) -> None:
    held = later(world)
    y = went_over(held)
    ll_model = log_loss(y, scored["prob_over"].to_numpy())
    ll_market = log_loss(y, held["market_prob_over"].to_numpy())
    ll_truth = log_loss(y, held["true_p_over"].to_numpy())
    assert len(held) > 5000
    assert scored["prob_over"].std() >= 0.02
    assert ll_truth < ll_model < ll_market - 0.005, (ll_truth, ll_model, ll_market)
    assert ll_model < math.log(2) - 0.01
    assert scored["prob_over"].between(0.001, 0.999).all()


def test_validation_metrics_are_recorded_and_favour_the_model(model: TrainedModel) -> None:
    m = model.metrics
    assert m["validation_rows"] == model.validation_rows > 0
    assert m["log_loss_model"] < m["log_loss_market"] < m["log_loss_constant_0_5"] + 1e-9
    assert m["brier_model"] < m["brier_market"]
    assert m["log_loss_constant_0_5"] == pytest.approx(math.log(2))
    assert m["brier_constant_0_5"] == pytest.approx(0.25)
    assert 0.5 < m["auc_model"] <= 1
    assert 0 < m["mae_predicted_mean"] < 8
    # Validation is the last 14 dates up to train_end; calibration the 14 before.
    assert m["validation_end"] == TRAIN_END.isoformat()
    assert m["validation_start"] == (TRAIN_END - timedelta(days=13)).isoformat()
    assert m["calibration_end"] == (TRAIN_END - timedelta(days=14)).isoformat()
    assert model.train_start == START


def test_the_calibration_slice_grows_with_the_warehouse(world: pd.DataFrame) -> None:
    # Two seasons' dates calibrate on their last 20 % (the README's ECE measurement); a short
    # warehouse keeps calibration_days, so the dates training needs do not grow.
    assert config().calibration_share == 0.2
    assert calibration_date_count(330, config()) == 63
    assert calibration_date_count(29, config()) == calibration_date_count(86, config()) == 14
    assert calibration_date_count(87, config()) == 15
    assert calibration_date_count(330, config(calibration_share=0.0)) == 14
    with pytest.raises(ValueError, match="calibration_share must be in"):
        config(calibration_share=0.6)
    wide = train_prop_model(world, config(calibration_share=0.4)).metrics
    # 70 dates, 14 of validation: the last 40 % of the 56 before them, 22 dates.
    assert wide["calibration_end"] == (TRAIN_END - timedelta(days=14)).isoformat()
    assert wide["calibration_start"] == (TRAIN_END - timedelta(days=14 + 21)).isoformat()
    assert wide["train_dates"] == 56 - 22


def test_predicted_mean_tracks_true_mean(world: pd.DataFrame, scored: pd.DataFrame) -> None:
    held = later(world)
    pred = scored["predicted_mean"].to_numpy()
    assert np.corrcoef(pred, held["true_mean"])[0, 1] > 0.9
    assert abs(pred.mean() - held["true_mean"].mean()) < 0.5
    # Closer to the truth than to the noisy outcomes it was trained on.
    assert np.mean(np.abs(pred - held["true_mean"])) < 0.5 * np.mean(
        np.abs(pred - held["stat_value"])
    )


# ---------------------------------------------------------------- calibration


def reliability(prob: np.ndarray, truth: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(expected calibration error vs truth, worst decile vs truth, worst decile vs outcomes)
    over deciles of the predicted probability."""
    edges = np.quantile(prob, np.linspace(0, 1, 11))
    decile = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, 9)
    ece = worst_truth = worst_outcome = 0.0
    for b in np.unique(decile):
        sel = decile == b
        gap = abs(prob[sel].mean() - truth[sel].mean())
        ece += sel.mean() * gap
        worst_truth = max(worst_truth, gap)
        worst_outcome = max(worst_outcome, abs(prob[sel].mean() - y[sel].mean()))
    return ece, worst_truth, worst_outcome


@pytest.mark.parametrize("which", ["model", "isotonic_model", "platt_model"])
def test_calibrated_probabilities_are_reliable_on_later_dates(
    which: str, request: pytest.FixtureRequest, world: pd.DataFrame
) -> None:
    trained: TrainedModel = request.getfixturevalue(which)
    held = later(world)
    prob = score_lines(trained, held)["prob_over"].to_numpy()
    truth = held["true_p_over"].to_numpy()
    y = went_over(held)
    ece, worst_truth, worst_outcome = reliability(prob, truth, y)
    assert ece < 0.02, ece
    assert worst_truth < 0.05, worst_truth  # against the known truth (precise)
    assert worst_outcome < 0.07, worst_outcome  # against outcomes (what a user can check)
    assert trained.calibrator.method == trained.config.calibration


def test_calibration_fixes_a_miscalibrated_score() -> None:
    rng = np.random.default_rng(3)
    truth = rng.uniform(0.05, 0.95, 20000)
    y = (rng.random(truth.size) < truth).astype(float)
    raw = expit(2.5 * logit(truth) + 0.4)  # over-confident and biased
    for method in ("isotonic", "platt"):
        cal = fit_calibrator(method, raw, y)  # type: ignore[arg-type]
        err = np.abs(cal.apply(raw) - truth).mean()
        assert err < 0.03, (method, err)
        assert np.abs(raw - truth).mean() > 0.08


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=4, max_size=300).filter(
        lambda rows: len({o for _, o in rows}) == 2
    ),
    method=st.sampled_from(["isotonic", "platt"]),
    bin_rows=st.integers(1, 30),
)
def test_calibrator_is_monotone_bounded_and_round_trips(
    data: list[tuple[float, bool]], method: str, bin_rows: int
) -> None:
    raw = np.array([p for p, _ in data])
    y = np.array([float(o) for _, o in data])
    cal = fit_calibrator(method, raw, y, bin_rows=bin_rows)  # type: ignore[arg-type]
    grid = np.linspace(-0.1, 1.1, 241)  # beyond [0, 1] too: out-of-bounds values are clipped
    out = cal.apply(grid)
    assert np.all((out >= 0) & (out <= 1))
    assert np.all(np.diff(out) >= -1e-12)
    again = Calibrator.from_json(cal.to_json())
    assert again == cal
    assert np.array_equal(again.apply(grid), out)


def test_isotonic_json_matches_sklearn_thresholds() -> None:
    rng = np.random.default_rng(5)
    raw = rng.random(500)
    y = (rng.random(500) < raw).astype(float)
    body = json.loads(fit_calibrator("isotonic", raw, y, bin_rows=1).to_json())
    assert body["method"] == "isotonic"
    assert len(body["X_thresholds_"]) == len(body["y_thresholds_"]) > 1
    body = json.loads(fit_calibrator("platt", raw, y).to_json())
    assert set(body) == {"method", "coef", "intercept", "fitted_rows"}
    assert body["coef"] > 0
