"""The totals predictor: count-distribution math, the stacker and fitting on generated seasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from propcast.family_models import totals_registry_row
from propcast.market_offset import PRIOR_SD, MarketOffset, fit_market_offset
from propcast.totals import (
    FEATURE_COLUMNS,
    TotalsConfig,
    TotalsTrainError,
    american_to_decimal,
    baseline,
    devig_prob_over,
    fit_spread,
    fit_totals_model,
    implied_mean,
    line_probabilities,
    prob_over_no_push,
)
from tests.support.feature_frames import season_frame

CASES = [
    ("NBA", np.array([205.0, 221.3, 240.0]), 17.0),
    ("NHL", np.array([4.8, 6.1, 7.4]), 1.3),
    ("NHL", np.array([4.8, 6.1, 7.4]), 1.0),  # the Poisson limit
]


@pytest.fixture(scope="module")
def nba() -> pd.DataFrame:
    return season_frame("NBA", 5, days=120)


@pytest.fixture(scope="module")
def nhl() -> pd.DataFrame:
    return season_frame("NHL", 5, days=120)


@pytest.mark.parametrize(("league", "means", "spread"), CASES)
def test_over_under_push_sum_to_one(league, means, spread) -> None:
    base = 220.0 if league == "NBA" else 6.0
    for line in (base - 1.5, base - 1.0, base, base + 0.5, base + 3.0):
        over, under, push = line_probabilities(league, means, np.full(3, line), spread)
        np.testing.assert_allclose(over + under + push, 1.0, atol=1e-12)
        assert ((over >= 0) & (under >= 0) & (push >= 0)).all()
        if line != np.floor(line):
            assert (push == 0.0).all(), "a half line never pushes"
        else:
            assert (push > 0.0).all(), "a whole line pushes sometimes"


def test_nhl_half_and_whole_lines_agree() -> None:
    mean = np.array([5.2, 6.0, 6.9])
    over55, under55, _ = line_probabilities("NHL", mean, np.full(3, 5.5), 1.2)
    over6, under6, push6 = line_probabilities("NHL", mean, np.full(3, 6.0), 1.2)
    over65, _, _ = line_probabilities("NHL", mean, np.full(3, 6.5), 1.2)
    np.testing.assert_allclose(over55, over6 + push6)  # over 5.5 = 6 or more goals
    np.testing.assert_allclose(under6, under55)  # under 6 = 5 or fewer = under 5.5
    np.testing.assert_allclose(over6, over65)  # over 6 = 7 or more = over 6.5
    cond, push = prob_over_no_push("NHL", mean, np.full(3, 6.0), 1.2)
    np.testing.assert_allclose(cond, over6 / (over6 + under6))
    np.testing.assert_allclose(push, push6)
    assert (np.diff(over55) > 0).all(), "P(over) rises with the mean"


def test_nba_discretised_normal() -> None:
    over, under, push = line_probabilities("NBA", np.array([220.0]), np.array([220.0]), 15.0)
    assert over[0] == pytest.approx(under[0])  # symmetric around a whole-number mean
    assert push[0] == pytest.approx(0.0266, abs=5e-4)  # ~ pdf(0) / sd
    half, _, _ = line_probabilities("NBA", np.array([220.0]), np.array([220.5]), 15.0)
    assert half[0] == pytest.approx(over[0])  # over 220 and over 220.5 both need 221+
    with pytest.raises(ValueError, match="unknown league"):
        line_probabilities("MLB", np.array([8.0]), np.array([8.5]), 1.0)


def test_implied_mean_inverts_the_distribution() -> None:
    for league, line, spread in (("NBA", 221.5, 17.0), ("NHL", 6.0, 1.2), ("NHL", 5.5, 1.0)):
        lines = np.full(3, line)
        q = np.array([0.4, 0.5, 0.62])
        mean = implied_mean(league, lines, q, spread)
        np.testing.assert_allclose(prob_over_no_push(league, mean, lines, spread)[0], q, atol=1e-6)


def test_prices_and_devig() -> None:
    np.testing.assert_allclose(american_to_decimal(np.array([-150, 130, -110])),
                               [1 + 100 / 150, 2.3, 1 + 100 / 110])  # fmt: skip
    assert devig_prob_over(np.array([-110]), np.array([-110]))[0] == pytest.approx(0.5)
    assert np.isnan(devig_prob_over(np.array([np.nan]), np.array([-110]))[0])


def test_fit_spread() -> None:
    rng = np.random.default_rng(1)
    pred = rng.uniform(200, 240, 4000)
    assert fit_spread("NBA", pred, pred + rng.normal(0, 16, pred.size)) == pytest.approx(
        16, rel=0.05
    )
    mu = rng.uniform(5, 7, 4000)
    assert fit_spread("NHL", mu, rng.poisson(mu)) < 1.08  # Poisson data: dispersion ~ 1


def test_market_offset_stays_with_an_efficient_market_and_learns_a_bias() -> None:
    rng = np.random.default_rng(3)
    market = rng.uniform(0.45, 0.55, 600)
    noise_model = np.clip(market + rng.normal(0, 0.04, 600), 0.01, 0.99)
    y = (rng.random(600) < market).astype(float)
    flat = fit_market_offset(noise_model, market, y)
    assert abs(flat.weight) < 0.3 and abs(flat.intercept) < 0.05
    truth = np.clip(market + 0.12, 0, 1)
    y_biased = (rng.random(600) < truth).astype(float)
    learnt = fit_market_offset(truth, market, y_biased)
    p = learnt.apply(truth, market)
    assert p.mean() > market.mean() + 0.05
    no_market = MarketOffset(0.1, 0.2, 1).apply(np.array([0.7]), np.array([np.nan]))
    assert no_market[0] == pytest.approx(0.7)  # rows without a market keep the model's p


def test_the_totals_prior_learns_the_books_lean_to_the_over() -> None:
    """Books shade totals toward the over (the world's `over_shade`): on ~700 held-out games
    of a market 0.04 too high on the over, the totals' prior recovers most of the lean (0.031
    of P(over)), the tight default prior (the prop-history models') under two thirds of that
    (0.019)."""
    rng = np.random.default_rng(11)
    market = rng.uniform(0.4, 0.6, 700)
    truth = market - 0.04
    y = (rng.random(700) < truth).astype(float)
    model = np.clip(truth + rng.normal(0, 0.03, 700), 0.01, 0.99)
    lean = float(np.mean(market - truth))
    totals = fit_market_offset(model, market, y, TotalsConfig().stacker_prior_sd)
    tight = fit_market_offset(model, market, y, PRIOR_SD)
    learnt = float(np.mean(market - totals.apply(model, market)))
    assert learnt > 0.6 * lean
    assert float(np.mean(market - tight.apply(model, market))) < 0.7 * learnt


@pytest.mark.parametrize("league", ["NBA", "NHL"])
def test_fit_and_predict(league, nba, nhl) -> None:
    frame = nba if league == "NBA" else nhl
    days = np.sort(frame["game_date"].unique())
    train, test = frame[frame["game_date"] < days[80]], frame[frame["game_date"] >= days[80]]
    model = fit_totals_model(train)
    out = model.predict(test)
    assert list(out.columns) == ["predicted_total", "prob_over", "prob_push",
                                 "prob_over_distribution"]  # fmt: skip
    assert out["prob_over"].between(0.001, 0.999).all()
    half = test["line"] != np.floor(test["line"])
    assert (out.loc[half, "prob_push"] == 0).all()
    assert model.league == league and model.train_end < days[80]
    assert 0.0 <= model.shrink <= 1.0 and model.stacker is not None
    mae = (out["predicted_total"] - test["actual_total"]).abs().mean()
    line_mae = (test["line"] - test["actual_total"]).abs().mean()
    assert mae < line_mae * 1.02, "an efficient line is hard to beat, but not to match"
    again = fit_totals_model(train).predict(test)
    pd.testing.assert_frame_equal(out, again)  # deterministic
    # ... to the bit (its model_version), whatever order the warehouse returns the rows in.
    shuffled = fit_totals_model(train.sample(frac=1.0, random_state=3))
    end = model.train_end
    assert totals_registry_row(shuffled, end) == totals_registry_row(model, end)


def test_total_target_and_errors(nba) -> None:
    model = fit_totals_model(nba, TotalsConfig(target="total"))
    assert model.shrink == 1.0
    assert model.predict(nba.head(5))["predicted_total"].between(150, 300).all()
    with pytest.raises(TotalsTrainError, match="need at least 80"):
        fit_totals_model(nba.head(50))
    mixed = pd.concat([nba.head(100), nba.head(100).assign(league="NHL")])
    with pytest.raises(TotalsTrainError, match="one league"):
        fit_totals_model(mixed)
    with pytest.raises(ValueError, match="missing column"):
        fit_totals_model(nba.drop(columns=[FEATURE_COLUMNS[0]]))


def test_baseline_is_the_markets_mean() -> None:
    rows = pd.DataFrame({"line": [5.5, 5.5, 6.0], "market_prob_over": [0.5, 0.62, np.nan]})
    mean = baseline("NHL", rows, TotalsConfig())
    assert 5.0 < mean[0] < mean[1] and mean[1] > 5.9  # 5.5 at 62 % over: about 6.1 goals
    assert mean[2] == 6.0  # no price: the line
    nba = pd.DataFrame({"line": [221.5], "market_prob_over": [0.5]})
    assert baseline("NBA", nba, TotalsConfig())[0] == pytest.approx(221.5, abs=0.01)
    assert (baseline("NHL", rows, TotalsConfig(baseline="line")) == rows["line"]).all()
