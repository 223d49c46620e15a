"""The stacker's context: a feature (by default `teammates_out_minutes`) by which the market
lags, measured over the training window and taken out of the market before stacking.

The books learn late who sits out tonight, so the market's consensus is low on a player whose
teammates are out; the model's own inputs read the report, but the convex blend takes the
market's share of that lag with it. Here the synthetic world of models/synthetic.py gets a
market that lags by a known amount per minute out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from propcast.models import TrainConfig, model_from_registry_row, score_lines, train_prop_model
from propcast.models.calibration import (
    STACK_CONTEXT,
    STACK_DISTRIBUTION,
    STACK_MARKET,
    Stacker,
    calibrator_from_json,
    fit_stacker,
)
from propcast.models.market_bias import market_lag
from propcast.models.metrics import log_loss
from tests.unit.models.synthetic import FEATURES, TRAIN_END, config, later, make_world

LAG_PER_MINUTE = 0.012  # how far (in logit) the market's Over sits low per teammate-minute out
CONTEXT = "teammates_out_minutes"


def test_market_lag_reads_how_far_the_market_sits_low_per_minute_out() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    truth = rng.normal(0.0, 0.8, n)
    out = rng.gamma(1.0, 25.0, n)
    market = truth - LAG_PER_MINUTE * out
    y = (rng.random(n) < expit(truth)).astype(float)
    assert market_lag(market, y, out) == pytest.approx(LAG_PER_MINUTE, rel=0.05)
    # Rows without a market are left out; a context that never varies says nothing.
    with_gaps = np.where(np.arange(n) % 10 == 0, np.nan, market)
    assert market_lag(with_gaps, y, out) == pytest.approx(LAG_PER_MINUTE, rel=0.05)
    assert market_lag(market, y, np.zeros(n)) == 0.0
    assert market_lag(market[:0], y[:0], out[:0]) == 0.0


def test_the_stacker_stacks_the_market_with_its_lag_taken_out() -> None:
    rng = np.random.default_rng(8)
    n = 200_000
    truth = rng.normal(0.0, 0.8, n)
    out = rng.gamma(1.0, 25.0, n)
    d = truth + rng.normal(0.0, 0.5, n)
    m = truth - LAG_PER_MINUTE * out + rng.normal(0.0, 0.3, n)
    y = (rng.random(n) < expit(truth)).astype(float)
    logits = {STACK_DISTRIBUTION: d, STACK_MARKET: m, STACK_CONTEXT: out}
    has = np.ones(n, dtype=bool)
    fit, test = slice(0, n // 2), slice(n // 2, n)

    def fitted(lag: float) -> Stacker:
        part = {k: v[fit] for k, v in logits.items()}
        return fit_stacker(part, has[fit], y[fit], dispersion=2.0,
                           model_inputs=[STACK_DISTRIBUTION], convex=True, market_lag=lag)  # fmt: skip

    lagged, plain = fitted(LAG_PER_MINUTE), fitted(0.0)
    assert lagged.inputs == (STACK_DISTRIBUTION, STACK_CONTEXT, STACK_MARKET)
    assert plain.inputs == (STACK_DISTRIBUTION, STACK_MARKET)
    w, v, w_market = lagged.coef
    assert w + w_market == pytest.approx(1.0, abs=1e-12)  # the logits' weights stay convex
    assert v == pytest.approx(w_market * LAG_PER_MINUTE, rel=1e-12)
    held_out = {k: val[test] for k, val in logits.items()}
    assert log_loss(y[test], lagged.apply(held_out, has[test])) < (
        log_loss(y[test], plain.apply(held_out, has[test])) - 0.002
    )
    # The context only moves the market: rows without a market ignore it.
    assert STACK_CONTEXT not in lagged.no_market_inputs
    no_market = np.zeros(4, dtype=bool)
    rows = {STACK_DISTRIBUTION: np.zeros(4), STACK_MARKET: np.full(4, np.nan),
            STACK_CONTEXT: np.array([0.0, 10.0, 50.0, np.nan])}  # fmt: skip
    assert np.ptp(lagged.apply(rows, no_market)) == 0.0


def test_a_context_stacker_round_trips_and_keeps_the_context_from_rows_without_market() -> None:
    stacker = Stacker(
        dispersion=1.5,
        inputs=(STACK_DISTRIBUTION, STACK_CONTEXT, STACK_MARKET),
        coef=(0.4, 0.003, 0.6),
        intercept=0.02,
        no_market_inputs=(STACK_DISTRIBUTION,),
        no_market_coef=(1.0,),
        no_market_intercept=0.0,
        fitted_rows=10,
    )
    assert calibrator_from_json(stacker.to_json()) == stacker
    bad = Stacker(**{**stacker.__dict__, "no_market_inputs": (STACK_CONTEXT,)})
    with pytest.raises(ValueError, match="may not use the market or the context"):
        bad.validate()


def test_a_family_stacks_with_context_only_when_it_reads_the_column() -> None:
    base = {"market_family": "player_points", "train_end": TRAIN_END}
    assert TrainConfig(feature_columns=[*FEATURES, CONTEXT], **base).stack_context_column == CONTEXT
    assert TrainConfig(feature_columns=FEATURES, **base).stack_context_column is None
    assert TrainConfig(feature_columns=[*FEATURES, CONTEXT], stack_context=None,
                       **base).stack_context_column is None  # fmt: skip
    assert TrainConfig(feature_columns=[*FEATURES, CONTEXT], calibration="isotonic",
                       **base).stack_context_column is None  # fmt: skip
    with pytest.raises(ValueError, match="stack_context must be a plain column name"):
        TrainConfig(feature_columns=FEATURES, stack_context="minutes out", **base)


@pytest.fixture(scope="module")
def lagging_market() -> pd.DataFrame:
    """make_world with teammates out and a market whose Over sits LAG_PER_MINUTE logit low per
    minute out (the truth and the stat do not depend on them)."""
    frame = make_world()
    rng = np.random.default_rng(9)
    frame[CONTEXT] = np.round(rng.gamma(1.0, 25.0, len(frame)), 1)
    shifted = logit(frame["market_prob_over"]) - LAG_PER_MINUTE * frame[CONTEXT]
    frame["market_prob_over"] = expit(shifted)
    return frame


def test_training_stacks_the_context_and_scoring_reads_it(lagging_market: pd.DataFrame) -> None:
    features = [*FEATURES, CONTEXT]
    model = train_prop_model(lagging_market, config(feature_columns=features))
    plain = train_prop_model(lagging_market, config(feature_columns=features, stack_context=None))
    assert model.calibrator.inputs == (STACK_DISTRIBUTION, STACK_CONTEXT, STACK_MARKET)
    assert STACK_CONTEXT not in plain.calibrator.inputs
    lag = model.calibrator.coef[1] / model.calibrator.coef[2]
    assert lag == pytest.approx(LAG_PER_MINUTE, rel=0.25)  # read on the window's market

    rows = later(lagging_market)
    scored, scored_plain = score_lines(model, rows), score_lines(plain, rows)
    went_over = (rows["stat_value"] > rows["line"]).to_numpy(dtype=float)
    assert log_loss(went_over, scored["prob_over"]) < log_loss(went_over, scored_plain["prob_over"])
    # Registered and reloaded, the model scores the same; rows without the column are refused.
    reloaded = model_from_registry_row(model.registry_row())
    pd.testing.assert_series_equal(score_lines(reloaded, rows)["prob_over"], scored["prob_over"])
    with pytest.raises(ValueError, match=CONTEXT):
        score_lines(model, rows.drop(columns=[CONTEXT]))
