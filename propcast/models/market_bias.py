"""How far the market sits from the outcomes, read on every labelled date before validation
(the market needs no booster, so there is no in-sample optimism): its level, and how much it
lags on a context such as the minutes of teammates out tonight. The stacker is fitted on the
calibration slice alone; these correct it with what the longer window knows."""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def offset_logistic(
    x: np.ndarray, offset: np.ndarray, y: np.ndarray, ridge: np.ndarray, steps: int = 100
) -> np.ndarray:
    """The coefficients of P(y) = expit(offset + x @ beta), maximum likelihood with an L2
    penalty `ridge` per coefficient, by Newton's method (each step clipped to +-1)."""
    beta = np.zeros(x.shape[1])
    for _ in range(steps):
        p = expit(offset + x @ beta)
        grad = x.T @ (p - y) + ridge * beta
        hess = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(ridge)
        step = np.linalg.solve(hess + 1e-12 * np.eye(len(beta)), grad)
        beta = beta - np.clip(step, -1.0, 1.0)
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return beta


def offset_intercept(offset: np.ndarray, went_over: np.ndarray, steps: int = 50) -> float:
    """The maximum-likelihood `a` of P(Over) = expit(offset + a): how far the outcomes' over
    rate sits from the forecast whose logits are `offset` (Newton's method on the concave
    log-likelihood; 0 when there are no rows)."""
    z = np.asarray(offset, dtype=np.float64).ravel()
    y = np.asarray(went_over, dtype=np.float64).ravel()
    if z.size == 0:
        return 0.0
    a = 0.0
    for _ in range(steps):
        p = expit(z + a)
        grad = float(np.sum(y - p))
        hess = float(np.sum(p * (1.0 - p)))
        if hess <= 0.0:
            break
        step = grad / hess
        a += float(np.clip(step, -1.0, 1.0))
        if abs(step) < 1e-12:
            break
    return a


def market_lag(market_logit: np.ndarray, went_over: np.ndarray, context: np.ndarray) -> float:
    """How far the market's logit sits below the outcomes per unit of `context` (the `b` of
    P(Over) = expit(market_logit + a + b * context), maximum likelihood by Newton's method;
    rows without a market probability are left out, a missing context counts as 0; 0 when the
    context does not vary).

    The books are slow to learn who sits out tonight (README "What closed most of the gap"),
    so on a night with teammates out the market's Over is low; the model's own inputs read
    the availability report, but stacking the two takes the market's share of its lag along.
    The market needs no booster, so its lag is read on every labelled date before validation,
    like its level (`level_shift`): the 63-date calibration slice alone over-fitted it
    (bench/quality.py, seed 11's NBA rebounds: 1.6 times the window's lag, ECE 0.0066 ->
    0.0117)."""
    z = np.asarray(market_logit, dtype=np.float64).ravel()
    y = np.asarray(went_over, dtype=np.float64).ravel()
    c = np.nan_to_num(np.asarray(context, dtype=np.float64).ravel())
    ok = np.isfinite(z)
    z, y, c = z[ok], y[ok], c[ok]
    if z.size == 0 or np.ptp(c) == 0.0:
        return 0.0
    beta = offset_logistic(np.column_stack([np.ones(z.size), c]), z, y, np.zeros(2))
    return float(beta[1])


def level_shift(market_logit: np.ndarray, went_over: np.ndarray, in_slice: np.ndarray) -> float:
    """How much further above the market the calibration slice's outcomes sit than the longer
    window's: `offset_intercept` on the slice's rows minus on every row (both with the market's
    logit as the offset; rows without a market probability are left out).

    Outcomes within a date move together (a game's players share its pace and its shocks), so
    a 14-date slice's over rate relative to the market wanders by a few points; the stacker's
    intercept absorbed that wander and carried it to every later date (bench/quality.py: the
    assists slice sat 0.16 logit under its season's level, and the scored season's ECE was
    0.039). The market needs no booster, so its level can be read on every labelled date
    before validation without in-sample optimism; subtracting this shift from the stacker's
    intercepts keeps the slice's weights and takes the level from the long window."""
    z = np.asarray(market_logit, dtype=np.float64).ravel()
    y = np.asarray(went_over, dtype=np.float64).ravel()
    part = np.asarray(in_slice, dtype=bool).ravel()
    ok = np.isfinite(z)
    if not (ok & part).any() or not (ok & ~part).any():
        return 0.0
    return offset_intercept(z[ok & part], y[ok & part]) - offset_intercept(z[ok], y[ok])
