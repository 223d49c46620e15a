"""The stacker's level comes from the whole window, not from the 14-date calibration slice, and
its with-market weights sum to 1.

Outcomes within a date move together, so a short calibration slice's over rate relative to the
market wanders by a few points; the stacker's intercept used to absorb that wander and carry it
to every later date (bench/quality.py, realistic world: assists' slice sat 0.16 logit under its
season's level and the scored season's ECE was 0.039; with the level from the window, 0.015).
Here the synthetic world of models/synthetic.py gets a shock on its calibration dates only (a share of
the Overs there recorded as Unders): the later, untouched dates must still be priced at their
true level. The slice fits the scale of the combination noisily too (assists' weights summed to
1.16 on one seed, 0.68 on another: ECE 0.015 and 0.029), so by default they sum to 1.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from propcast.models import score_lines, train_prop_model
from propcast.models.calibration import (
    STACK_DISTRIBUTION,
    STACK_MARKET,
    fit_stacker,
)
from propcast.models.market_bias import level_shift, offset_intercept
from tests.unit.models.synthetic import TRAIN_END, config, later, make_world

#: The calibration slice of config(): the 14 dates before the last 14 up to TRAIN_END.
SLICE = (TRAIN_END - timedelta(days=27), TRAIN_END - timedelta(days=14))


def test_offset_intercept_recovers_a_shift() -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 0.8, 200_000)
    y = (rng.random(z.size) < expit(z - 0.3)).astype(float)
    assert offset_intercept(z, y) == pytest.approx(-0.3, abs=0.02)
    assert offset_intercept(z[:0], y[:0]) == 0.0


def test_level_shift_is_the_slice_against_the_window() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(0.0, 0.8, 100_000)
    in_slice = np.arange(z.size) >= 80_000
    y = (rng.random(z.size) < expit(z + np.where(in_slice, -0.25, 0.0))).astype(float)
    # The window holds the slice too: its level is a fifth of the way to the slice's.
    assert level_shift(z, y, in_slice) == pytest.approx(-0.2, abs=0.03)
    assert level_shift(z, y, np.zeros(z.size, dtype=bool)) == 0.0
    assert level_shift(np.full(z.size, np.nan), y, in_slice) == 0.0


@pytest.fixture(scope="module")
def shocked() -> pd.DataFrame:
    """make_world with 20 % of the calibration slice's Overs recorded as Unders."""
    frame = make_world()
    rng = np.random.default_rng(5)
    day = frame["game_date"].dt.date
    hit = (
        day.between(*SLICE) & (frame["stat_value"] > frame["line"]) & (rng.random(len(frame)) < 0.2)
    )
    frame.loc[hit, "stat_value"] = np.floor(frame.loc[hit, "line"]) - 1.0
    return frame


def level_error(frame: pd.DataFrame, **overrides: object) -> float:
    model = train_prop_model(frame, config(**overrides))
    scored = score_lines(model, later(frame))
    return float(scored["prob_over"].mean() - later(frame)["true_p_over"].mean())


def test_a_shocked_calibration_slice_does_not_move_later_prices(shocked: pd.DataFrame) -> None:
    corrected = level_error(shocked)
    uncorrected = level_error(shocked, stack_level_correction=False)
    # The slice's shock carries over without the correction (the old behaviour: every later
    # price ~4-5 points low); with it, a quarter of the shock is left (the window holds the
    # slice: 14 of its 56 dates) on top of the ~0.005 either way the unshocked world has.
    assert uncorrected < -0.03, (corrected, uncorrected)
    assert abs(corrected) < 0.02, (corrected, uncorrected)
    assert abs(corrected) < 0.5 * abs(uncorrected), (corrected, uncorrected)


def test_convex_stacker_recovers_weights_that_sum_to_one() -> None:
    rng = np.random.default_rng(6)
    d, m = rng.normal(0.0, 0.6, (2, 200_000))
    y = (rng.random(d.size) < expit(0.1 + 0.3 * d + 0.7 * m)).astype(float)
    logits = {STACK_DISTRIBUTION: d, STACK_MARKET: m}
    has = np.ones(d.size, dtype=bool)
    stacker = fit_stacker(logits, has, y, dispersion=2.0, model_inputs=[STACK_DISTRIBUTION],
                          convex=True)  # fmt: skip
    assert stacker.inputs == (STACK_DISTRIBUTION, STACK_MARKET)
    assert sum(stacker.coef) == pytest.approx(1.0, abs=1e-12)
    assert stacker.coef[0] == pytest.approx(0.3, abs=0.02)
    assert stacker.intercept == pytest.approx(0.1, abs=0.02)
    free = fit_stacker(logits, has, y, dispersion=2.0, model_inputs=[STACK_DISTRIBUTION])
    assert free.coef == pytest.approx(stacker.coef, abs=0.03)  # the same answer when true


def test_the_trained_stacker_is_convex_by_default(shocked: pd.DataFrame) -> None:
    model = train_prop_model(shocked, config())
    assert sum(model.calibrator.coef) == pytest.approx(1.0, abs=1e-12)
    free = train_prop_model(shocked, config(stack_convex=False))
    assert abs(sum(free.calibrator.coef) - 1.0) > 1e-6
