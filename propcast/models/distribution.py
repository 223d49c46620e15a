"""The stat's predictive distribution: negative binomial around a predicted mean.

A count stat (points, rebounds, assists) is modelled as NB1, a negative binomial whose variance
is `dispersion * mean` (dispersion > 1; the limit 1 is Poisson), parametrised for scipy as
`n = mean / (dispersion - 1)`, `p = 1 / dispersion`. One fitted distribution per player-game
prices every line of it, so a model's probabilities for 18.5 and 19.5 are consistent, and the
training signal is the whole stat rather than one Over/Under bit per line.

The same distribution inverted gives the market's implied mean of each line (the mean at which
P(Over) equals the consensus de-vigged probability); averaging those over all lines offered for a
player-game gives the market's consensus mean, which uses every book's line, not just the books
quoting the line being priced.

Integer lines can push; their probabilities are conditional on no push, like the labels
(training drops pushes) and the de-vigged prices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.stats import nbinom

#: Dispersion is searched in [DISPERSION_MIN, DISPERSION_MAX] (variance = dispersion * mean).
DISPERSION_MIN = 1.001
DISPERSION_MAX = 20.0
#: Means are kept in [MEAN_MIN, ...): a zero or negative mean has no distribution.
MEAN_MIN = 1e-3
#: Bisection steps inverting P(Over) for the mean; the bracket spans ~9 in log space, so 34
#: halvings reach ~5e-10 — far below anything a probability can resolve.
INVERT_STEPS = 34


def _nb_params(mean: np.ndarray, dispersion: float) -> tuple[np.ndarray, float]:
    mu = np.maximum(np.asarray(mean, dtype=np.float64), MEAN_MIN)
    return mu / (dispersion - 1.0), 1.0 / dispersion


def prob_over(mean: np.ndarray, line: np.ndarray, dispersion: float) -> np.ndarray:
    """P(stat > line | no push) under NB1(mean, dispersion), elementwise."""
    n, p = _nb_params(mean, dispersion)
    line = np.asarray(line, dtype=np.float64)
    k = np.floor(line)
    over = nbinom.sf(k, n, p)
    is_int = k == line
    if not is_int.any():
        return over
    under = np.where(is_int, nbinom.cdf(k - 1.0, n, p), 1.0 - over)
    total = over + under
    return np.where(total > 0, over / np.where(total > 0, total, 1.0), 0.5)


def log_likelihood(mean: np.ndarray, stat: np.ndarray, dispersion: float) -> float:
    """Mean log-likelihood of observed counts under NB1(mean, dispersion)."""
    n, p = _nb_params(mean, dispersion)
    return float(np.mean(nbinom.logpmf(np.asarray(stat, dtype=np.float64), n, p)))


def fit_dispersion(mean: np.ndarray, stat: np.ndarray) -> float:
    """Maximum-likelihood dispersion of counts `stat` around predicted means `mean`.

    Fitted on predictions for dates the mean regressor did not train on, the dispersion also
    absorbs the regressor's own error: the distribution is the predictive one, not the
    sampling noise alone (in-sample residuals would make it over-confident).
    """
    y = np.asarray(stat, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64)
    if y.size == 0:
        raise ValueError("fit_dispersion needs at least one observation")
    if (y < 0).any() or (y != np.floor(y)).any():
        raise ValueError("fit_dispersion: the stat must be a non-negative count")
    lo, hi = np.log(DISPERSION_MIN - 1.0), np.log(DISPERSION_MAX - 1.0)
    res = minimize_scalar(
        lambda t: -log_likelihood(mu, y, 1.0 + float(np.exp(t))),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(1.0 + np.exp(res.x))


def implied_mean(line: np.ndarray, prob: np.ndarray, dispersion: float) -> np.ndarray:
    """The mean at which NB1 gives P(Over `line`) = `prob` (bisection in log-mean; NaN where
    `prob` is missing). P(Over) increases with the mean, so the root is unique."""
    line = np.asarray(line, dtype=np.float64)
    q = np.asarray(prob, dtype=np.float64)
    out = np.full(line.shape, np.nan)
    ok = np.isfinite(q) & np.isfinite(line)
    if not ok.any():
        return out
    ln, qq = line[ok], np.clip(q[ok], 1e-6, 1.0 - 1e-6)
    lo = np.full(ln.shape, np.log(MEAN_MIN))
    hi = np.log(4.0 * np.maximum(ln, 1.0) + 25.0)
    for _ in range(INVERT_STEPS):
        mid = 0.5 * (lo + hi)
        below = prob_over(np.exp(mid), ln, dispersion) < qq
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    out[ok] = np.exp(0.5 * (lo + hi))
    return out


def consensus_prob_over(
    frame: pd.DataFrame,
    prob_column: str,
    dispersion: float,
    *,
    group_columns: Sequence[str] = ("game_id", "player_id", "market"),
    weight_column: str | None = None,
) -> np.ndarray:
    """P(Over) of each row's line under the market's consensus mean for its player-game.

    Every line offered for a player-game (`group_columns`) carries the books' consensus
    probability for that line; each is inverted to an implied mean, the implied means are
    averaged in log space (weighted by `weight_column`, e.g. books quoting, when given) and the
    row's line is priced under that one consensus mean. With a single line this returns the
    line's own probability. Rows whose whole group lacks a market probability get NaN.

    The result depends on the other lines of the player-game in `frame`: pass all lines of a
    slate together (scoring and training do).
    """
    if len(frame) == 0:
        return np.empty(0, dtype=np.float64)
    line = pd.to_numeric(frame["line"], errors="coerce").to_numpy(dtype=np.float64)
    q = pd.to_numeric(frame[prob_column], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    log_mean = np.log(implied_mean(line, q, dispersion))
    if weight_column is None:
        w = np.ones(len(frame))
    else:
        w = pd.to_numeric(frame[weight_column], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        w = np.where(np.isfinite(w) & (w > 0), w, 1.0)
    has = np.isfinite(log_mean)
    # Group ids from sorted keys and sums accumulated in a canonical order: the result does not
    # depend on the frame's row order to the last bit (model versions hash what it feeds).
    group = frame.groupby(list(group_columns), sort=True, dropna=False).ngroup().to_numpy()
    contrib = np.where(has, w * np.nan_to_num(log_mean), 0.0)
    weight = np.where(has, w, 0.0)
    order = np.lexsort((contrib, weight, group))
    size = int(group.max()) + 1
    num = np.bincount(group[order], weights=contrib[order], minlength=size)
    den = np.bincount(group[order], weights=weight[order], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.exp(num / den)[group]
    out = np.full(len(frame), np.nan)
    ok = np.isfinite(mean) & np.isfinite(line)
    out[ok] = prob_over(mean[ok], line[ok], dispersion)
    return out
