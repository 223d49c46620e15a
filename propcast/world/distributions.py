"""The stats' distributions, shared by the draw, the books' pricing and the ground truth; and
the draw's helpers (teammates' correlated shocks, whole minutes).

Drawing, pricing and the truth all go through these functions, so `true_p_over` is exactly the
probability of the distribution the outcome was drawn from.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from propcast.world.leagues import StatSpec

_MIN_MEAN = 1e-6


def _args(stat: StatSpec, mean: np.ndarray) -> tuple[np.ndarray, ...]:
    mean = np.maximum(np.asarray(mean, dtype=float), _MIN_MEAN)
    if stat.family == "poisson":
        return (mean,)
    # NB1: Var = ratio * mean <=> size = mean / (ratio - 1), success probability = 1 / ratio.
    ratio = stat.variance_ratio
    return mean / (ratio - 1.0), np.full_like(mean, 1.0 / ratio)


def _family(stat: StatSpec):
    # The generic distribution, not a frozen one: freezing rebuilds scipy's docstrings per call.
    return sps.poisson if stat.family == "poisson" else sps.nbinom


def p_over(stat: StatSpec, mean: np.ndarray, line: np.ndarray) -> np.ndarray:
    """P(X > line) for half-point lines (X is a count, so the line's floor decides)."""
    return _family(stat).sf(np.floor(line), *_args(stat, mean))


def quantile(stat: StatSpec, mean: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Inverse CDF: the count whose CDF first reaches `q` (used to draw through a copula)."""
    q = np.clip(q, 1e-12, 1.0 - 1e-12)
    return _family(stat).ppf(q, *_args(stat, mean)).astype(np.int64)


def median_line(stat: StatSpec, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The half-point line nearest a coin flip, and P(over) at it, for each mean."""
    mean = np.asarray(mean, dtype=float)
    median = quantile(stat, mean, np.full_like(mean, 0.5)).astype(float)
    low = np.maximum(median - 0.5, 0.5)
    high = median + 0.5
    p_low, p_high = p_over(stat, mean, low), p_over(stat, mean, high)
    take_low = np.abs(p_low - 0.5) <= np.abs(p_high - 0.5)
    return np.where(take_low, low, high), np.where(take_low, p_low, p_high)


def teammate_shocks(
    shocks: np.ndarray, group: np.ndarray, active: np.ndarray, corr: float
) -> np.ndarray:
    """Standard normals → standard normals with correlation `corr` (< 0) between teammates.

    v = (e - λ·mean_team(e)) / s: removing a share λ of the team's mean shock makes teammates
    compete; s restores unit variance, so every marginal is still exactly N(0, 1).
    """
    out = shocks.copy()
    if corr >= 0:
        return out
    x = -corr / (1.0 - corr)  # (2λ - λ²)/n solves corr = -x / (1 - x)
    _, inverse, counts = np.unique(group[active], return_inverse=True, return_counts=True)
    n = counts[inverse].astype(float)[:, None]
    lam = 1.0 - np.sqrt(np.clip(1.0 - n * x, 0.0, None))
    sums = np.zeros((len(counts), shocks.shape[1]))
    np.add.at(sums, inverse, shocks[active])
    mean = sums[inverse] / n
    spread = np.sqrt(1.0 - (2.0 * lam - lam**2) / n)
    out[active] = (shocks[active] - lam * mean) / spread
    return out


def whole_minutes(minutes: np.ndarray, total: int) -> np.ndarray:
    """Whole minutes summing to `total` (largest remainder), at least 1 for whoever played."""
    floor = np.floor(minutes).astype(np.int64)
    short = total - int(floor.sum())
    if short > 0:
        order = np.argsort(-(minutes - floor), kind="stable")
        floor[order[:short]] += 1
    zero = floor == 0
    if zero.any():
        floor[zero] = 1
        floor[np.argmax(floor)] -= int(zero.sum())
    return floor
