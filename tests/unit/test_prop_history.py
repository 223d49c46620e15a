"""The props predictor on imported prop history (propcast.prop_history), on frames built in
Python (tests/support/prop_history_files.feature_frame): the NB1 push mass, the frame contract
of propcast.models, fitting and predicting, repricing another line, and the walk-forward."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import nbinom

from propcast.backtest import METRIC_KEYS, BacktestSpec, run_backtest
from propcast.prop_history import (
    PropHistoryConfig,
    PropHistoryTrainError,
    backtest_frame,
    fit_prop_history_model,
    model_frame,
    prob_push,
)
from tests.support.prop_history_files import feature_frame


@pytest.fixture(scope="module")
def nhl() -> pd.DataFrame:
    return feature_frame("NHL", 11, days=100, players=30)


def test_prob_push_is_the_mass_at_a_whole_line() -> None:
    mean, disp = np.array([2.5, 2.5, 20.0]), 1.5
    got = prob_push(mean, np.array([2.0, 2.5, 20.0]), disp)
    n, p = mean / (disp - 1.0), 1.0 / disp
    assert got[0] == pytest.approx(nbinom.pmf(2, n[0], p)) and got[1] == 0.0
    assert got[2] == pytest.approx(nbinom.pmf(20, n[2], p))


def test_model_frame_meets_the_propcast_models_contract(nhl) -> None:
    frame = model_frame(nhl.head(50))
    assert frame["player_id"].str.startswith("NHL:").all()
    assert frame["game_id"].is_unique  # one player-game per row of a market
    assert (frame["books_quoting"] == 3).all()
    assert frame["stat_value"].equals(pd.to_numeric(nhl.head(50)["actual_value"]))
    assert np.isfinite(frame["market_mean"]).all()
    with pytest.raises(ValueError, match="missing column"):
        model_frame(nhl.drop(columns=["form_avg_5"]))


def test_fit_predicts_probabilities_and_counts(nhl) -> None:
    train = nhl[nhl["game_date"] < "2024-12-20"]
    model = fit_prop_history_model(train)
    assert model.league == "NHL" and model.market == "player_shots_on_goal"
    assert model.train_end < date(2024, 12, 20) and 1.0 <= model.spread < 5.0
    assert model.offset is not None and np.isfinite(model.shrink)
    rows = nhl[nhl["game_date"] >= "2024-12-20"]
    pred = model.predict(rows)
    assert pred.index.equals(rows.index)
    assert pred["prob_over"].between(0.001, 0.999).all()
    assert (pred["predicted_total"] > 0).all()
    whole = (rows["line"] == np.floor(rows["line"])).to_numpy()
    assert (pred["prob_push"].to_numpy()[~whole] == 0).all()
    assert (pred["prob_push"].to_numpy()[whole] > 0).all()
    # the market carries most of the information: the model stays close to it
    gap = (pred["prob_over"] - rows["market_prob_over"]).abs()
    assert gap.median() < 0.08
    # repricing the close's own line gives the close back
    same = model.reprice_line(rows["line"].to_numpy(), rows["market_prob_over"].to_numpy(),
                              rows["line"].to_numpy())  # fmt: skip
    assert np.allclose(same, rows["market_prob_over"], atol=1e-4)


def test_fit_refuses_what_it_cannot_fit(nhl) -> None:
    with pytest.raises(PropHistoryTrainError, match="settled NHL player_shots_on_goal"):
        fit_prop_history_model(nhl.head(40))
    mixed = pd.concat([nhl.head(200), nhl.head(200).assign(market="player_goals")])
    with pytest.raises(PropHistoryTrainError, match="one market"):
        fit_prop_history_model(mixed)
    strict = PropHistoryConfig(min_calibration_rows=10_000)
    with pytest.raises(PropHistoryTrainError, match=r"not enough data .* calibration slice"):
        fit_prop_history_model(nhl, strict)


def test_walk_forward_never_sees_the_scored_dates(nhl) -> None:
    spec = BacktestSpec(date(2024, 12, 10), date(2024, 12, 11), date(2025, 1, 29),
                        retrain_every_days=20, bootstrap_samples=300)  # fmt: skip
    result = run_backtest(backtest_frame(nhl), spec, fit=fit_prop_history_model)
    assert set(METRIC_KEYS) <= set(result.metrics)
    assert all(s.train_end < s.first_scored for s in result.steps) and len(result.steps) == 3
    m = result.metrics
    assert m["n"] > 400 and m["n_push"] > 0
    assert abs(m["model_logloss"] - m["market_logloss"]) < 0.02
    assert result.edge is (result.intervals["logloss_diff_ci"][1] < 0)
