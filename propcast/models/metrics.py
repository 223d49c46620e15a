"""Scoring rules for probability forecasts, written out so they never warn or change defaults.

Log loss and Brier are computed the same way for the model, the market and a coin flip, so the
registry's metrics compare like with like.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import roc_auc_score

#: Probabilities are clipped this far from 0/1 in log loss (a 0/1 forecast that is wrong would
#: otherwise score infinity and hide every other difference).
LOG_LOSS_EPS = 1e-15


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean negative log-likelihood of binary outcomes `y` under probabilities `p`."""
    yy = np.asarray(y, dtype=np.float64)
    pp = np.clip(np.asarray(p, dtype=np.float64), LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    if yy.size == 0:
        return math.nan
    return float(-np.mean(yy * np.log(pp) + (1.0 - yy) * np.log1p(-pp)))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error of probabilities `p` against binary outcomes `y`."""
    yy = np.asarray(y, dtype=np.float64)
    if yy.size == 0:
        return math.nan
    return float(np.mean((np.asarray(p, dtype=np.float64) - yy) ** 2))


def auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """ROC AUC, or None when only one outcome occurs (AUC is undefined then)."""
    yy = np.asarray(y)
    if yy.size == 0 or np.unique(yy).size < 2:
        return None
    return float(roc_auc_score(yy, np.asarray(p, dtype=np.float64)))


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: undefined metrics are stored as null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
