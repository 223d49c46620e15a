"""The negative-binomial distribution, the market's consensus and the stacker that weighs them;
registered models of the original predictor still load."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit
from scipy.stats import nbinom

from propcast.models import (
    FallbackPredictions,
    TrainedModel,
    check_not_fallback,
    model_from_registry_row,
    score_lines,
    train_prop_model,
)
from propcast.models.calibration import (
    STACK_DISTRIBUTION,
    STACK_MARKET,
    Stacker,
    calibrator_from_json,
    fit_stacker,
)
from propcast.models.distribution import (
    consensus_prob_over,
    fit_dispersion,
    implied_mean,
    prob_over,
)
from propcast.models.trained import canonical_json, make_model_version, model_content_hash
from tests.unit.models.synthetic import (
    TRAIN_END,
    config,
    later,
)

# ---------------------------------------------------------------- distribution and stacking


def test_negative_binomial_prices_lines_like_scipy_and_conditions_on_no_push() -> None:
    mean = np.array([4.0, 15.0, 15.0, 30.0])
    line = np.array([3.5, 14.5, 15.0, 35.5])
    phi = 2.2
    n, p = mean / (phi - 1), 1 / phi
    got = prob_over(mean, line, phi)
    half = nbinom.sf(np.floor(line), n, p)
    assert np.allclose(got[[0, 1, 3]], half[[0, 1, 3]])
    # Integer line 15: P(X > 15) / (1 - P(X = 15)), like labels that drop pushes.
    assert got[2] == pytest.approx(half[2] / (1 - nbinom.pmf(15, n[2], p)))
    # Var = phi * mean.
    assert nbinom.var(n, p) == pytest.approx(phi * mean)


@settings(max_examples=40, deadline=None)
@given(
    mean=st.floats(0.5, 45.0),
    offset=st.sampled_from([-6.5, -2.5, -0.5, 0.5, 1.5, 4.5]),
    phi=st.floats(1.05, 5.0),
)
def test_implied_mean_inverts_the_distribution(mean: float, offset: float, phi: float) -> None:
    line = np.array([max(0.5, round(mean) + offset)])
    q = prob_over(np.array([mean]), line, phi)
    if not 1e-5 < q[0] < 1 - 1e-5:
        return  # beyond the clip: nothing to invert
    back = implied_mean(line, q, phi)
    assert prob_over(back, line, phi)[0] == pytest.approx(q[0], abs=1e-7)
    assert back[0] == pytest.approx(mean, rel=1e-4)
    assert np.isnan(implied_mean(line, np.array([np.nan]), phi)[0])


def test_dispersion_is_recovered_by_maximum_likelihood() -> None:
    rng = np.random.default_rng(4)
    mean = rng.uniform(5, 30, 20000)
    phi = 2.2
    stat = rng.negative_binomial(mean / (phi - 1), 1 / phi)
    assert fit_dispersion(mean, stat) == pytest.approx(phi, rel=0.03)
    # Means that are off inflate it: the predictive distribution widens.
    noisy = mean * np.exp(rng.normal(0, 0.2, mean.size))
    assert fit_dispersion(noisy, stat) > phi + 0.3
    with pytest.raises(ValueError, match="non-negative count"):
        fit_dispersion(mean[:3], np.array([1.0, -1.0, 2.5]))


def test_market_consensus_pools_the_lines_of_a_player_game() -> None:
    phi = 2.2
    # Player a: books put him at 20 (line 19.5, 3 books) and 21 (line 20.5, 1 book).
    # Player b: one line; player c: no market probability at all.
    frame = pd.DataFrame(
        {
            "game_id": ["g", "g", "g", "g"],
            "player_id": ["a", "a", "b", "c"],
            "market": ["player_points"] * 4,
            "line": [19.5, 20.5, 11.5, 8.5],
            "books_quoting": [3, 1, 2, 1],
        }
    )
    means = np.array([20.0, 21.0, 12.0, np.nan])
    frame["market_prob_over"] = np.where(
        np.isnan(means), np.nan, prob_over(np.nan_to_num(means, nan=1.0), frame["line"], phi)
    )
    got = consensus_prob_over(frame, "market_prob_over", phi, weight_column="books_quoting")
    pooled = np.exp((3 * np.log(20.0) + np.log(21.0)) / 4)
    assert got[:2] == pytest.approx(prob_over(np.array([pooled] * 2), frame["line"][:2], phi))
    assert got[2] == pytest.approx(frame["market_prob_over"][2])  # one line: its own price
    assert np.isnan(got[3])
    equal = consensus_prob_over(frame, "market_prob_over", phi)
    assert equal[0] > got[0]  # equal weights lean to the one-book line at 21
    # Row order changes nothing, to the last bit.
    order = [3, 1, 2, 0]
    again = consensus_prob_over(
        frame.iloc[order], "market_prob_over", phi, weight_column="books_quoting"
    )
    assert np.array_equal(again, got[order], equal_nan=True)


def test_stacker_round_trips_and_handles_rows_without_market() -> None:
    rng = np.random.default_rng(8)
    n = 4000
    truth = rng.normal(0, 0.5, n)
    dist = truth + rng.normal(0, 0.8, n)
    market = truth + rng.normal(0, 0.4, n)
    y = (rng.random(n) < expit(truth)).astype(float)
    has = rng.random(n) < 0.9
    logits = {STACK_DISTRIBUTION: dist, STACK_MARKET: np.where(has, market, np.nan)}
    stacker = fit_stacker(logits, has, y, dispersion=2.5, model_inputs=[STACK_DISTRIBUTION])
    assert stacker.inputs == (STACK_DISTRIBUTION, STACK_MARKET)
    assert stacker.no_market_inputs == (STACK_DISTRIBUTION,)
    assert all(c > 0 for c in stacker.coef)
    assert stacker.coef[1] > stacker.coef[0]  # the sharper source weighs more
    again = calibrator_from_json(stacker.to_json())
    assert again == stacker and isinstance(again, Stacker)
    p = stacker.apply(logits, has)
    assert np.isfinite(p).all() and np.array_equal(again.apply(logits, has), p)
    # Without a market a row uses the model-only regression.
    only = expit(stacker.no_market_intercept + stacker.no_market_coef[0] * dist)
    assert np.allclose(p[~has], only[~has])
    # A model with no input of its own is the base rate, never the market relabelled.
    flat = fit_stacker(logits, has, y, dispersion=2.5, model_inputs=[])
    assert flat.inputs == () and np.ptp(flat.apply(logits, has)) == 0
    assert expit(flat.intercept) == pytest.approx(y.mean())
    with pytest.raises(ValueError, match="invalid stacker"):
        Stacker.from_json(stacker.to_json().replace('"dispersion":2.5', '"dispersion":0.5'))


def test_stacked_model_weighs_its_distribution_and_the_market(model: TrainedModel) -> None:
    stacker = model.calibrator
    assert isinstance(stacker, Stacker)
    assert stacker.inputs == (STACK_DISTRIBUTION, STACK_MARKET)
    assert all(c > 0 for c in stacker.coef)
    m = model.metrics
    assert m["dispersion"] == stacker.dispersion > 1
    assert m["boosters_learnt"] == {"mean": True, "over": True}
    # Each source alone is scored too; the stack beats the market and the raw distribution.
    assert m["log_loss_model"] < min(m["log_loss_market"], m["log_loss_distribution"])
    assert m["log_loss_market_consensus"] < m["log_loss_constant_0_5"]


def test_a_model_that_learnt_nothing_predicts_a_constant(world: pd.DataFrame) -> None:
    """Single-leaf trees: no signal of its own, so no market echo either; the guard refuses."""
    degenerate = train_prop_model(world, config(min_data_in_leaf=1_000_000))
    assert degenerate.metrics["boosters_learnt"] == {"mean": False, "over": False}
    scored = score_lines(degenerate, later(world))
    assert scored["prob_over"].std() < 1e-12
    with pytest.raises(FallbackPredictions, match="constant"):
        check_not_fallback(scored, market_prob_column="market_prob_over")


def test_registry_rows_of_the_original_predictor_still_load(
    isotonic_model: TrainedModel, world: pd.DataFrame
) -> None:
    """A row registered before stacking existed: params without the new keys, isotonic."""
    row = isotonic_model.registry_row()
    params = json.loads(row["params"])
    for key in ("stack_classifier", "consensus_weight_column"):
        params.pop(key)
    params_json = canonical_json(params)
    content = model_content_hash(
        params_json, row["booster_over"], row["booster_mean"], row["calibrator"]
    )
    old = {
        **row,
        "params": params_json,
        "model_version": make_model_version("player_points", TRAIN_END, content),
    }
    loaded = model_from_registry_row(old)
    rows = later(world).head(500).drop(columns=["books_quoting"])
    assert np.array_equal(
        score_lines(loaded, rows)["prob_over"].to_numpy(),
        score_lines(isotonic_model, rows)["prob_over"].to_numpy(),
    )
