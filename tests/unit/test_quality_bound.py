"""bench/quality_bound.py's form filter, the core of the public-information reference: on an
AR(1) form seen only through Poisson counts, it tracks the form far better than knowing
nothing, and the variance it reports is the error it makes (a filter that over- or under-
trusted the counts would be off on one or the other)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from quality_bound import observe_form, predict_form

PHI, SD, BASE, PLAYERS, DAYS = 0.97, 0.10, 15.0, 4000, 120


def test_the_form_filter_learns_the_hidden_form_and_knows_its_error() -> None:
    rng = np.random.default_rng(3)
    form = rng.normal(0.0, SD, PLAYERS)
    estimate, var = np.zeros(PLAYERS), np.full(PLAYERS, SD**2)
    errors, reported = [], []
    for day in range(DAYS):
        form = PHI * form + np.sqrt(1 - PHI**2) * SD * rng.normal(size=PLAYERS)
        if day % 2:  # a game every other day: the filter steps two days at once
            continue
        estimate, var = predict_form(estimate, var, np.full(PLAYERS, 2 if day else 1), PHI, SD)
        if day > DAYS // 2:
            errors.append(estimate - form)
            reported.append(var)
        counts = rng.poisson(BASE * np.exp(form))
        estimate, var = observe_form(estimate, var, np.full(PLAYERS, BASE), counts, 1.0)
    error_var = float(np.var(np.concatenate(errors)))
    assert np.sqrt(error_var) < 0.8 * SD
    assert abs(float(np.mean(np.concatenate(reported))) / error_var - 1.0) < 0.15


def test_a_long_gap_forgets_back_to_the_stationary_form() -> None:
    mean, var = predict_form(np.array([0.2]), np.array([0.001]), np.array([1000]), PHI, SD)
    assert abs(mean[0]) < 1e-6 and abs(var[0] - SD**2) < 1e-9
