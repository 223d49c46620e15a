"""Probability calibration fitted on held-out later dates, stored as plain JSON.

Boosted trees trained on log loss are often over-confident after a few hundred rounds; a
calibrator fitted on dates after the booster's training window maps raw scores to frequencies.
The registry must not hold pickles (unreadable across library versions, unsafe to load), so the
fitted map is reduced to numbers: isotonic thresholds or Platt's slope and intercept, and it is
*applied* by this module's own code from those numbers, so a model loaded from the registry
scores bit-for-bit like the one that was trained.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from propcast.models.config import CalibrationMethod

#: The lowest and highest isotonic blocks hold at least this share of the calibration rows.
END_BLOCK_SHARE = 0.05
#: Raw probabilities are clipped this far from 0 and 1 before taking the logit (Platt).
LOGIT_EPS = 1e-6


@dataclass(frozen=True)
class Calibrator:
    """A fitted monotone map from raw booster probability to calibrated probability.

    isotonic: piecewise-linear through the block centres (`x`, `y`), constant beyond the ends.
    platt: `expit(coef * logit(p) + intercept)`; `coef` is never negative (see `fit_calibrator`).
    """

    method: CalibrationMethod
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    coef: float = 1.0
    intercept: float = 0.0
    fitted_rows: int = 0

    def apply(self, raw_prob: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw booster probabilities (any shape, float64 out)."""
        p = np.asarray(raw_prob, dtype=np.float64)
        if self.method == "isotonic":
            xs = np.asarray(self.x, dtype=np.float64)
            ys = np.asarray(self.y, dtype=np.float64)
            # np.interp holds the end values outside [x0, xn]: the "clip" out-of-bounds rule.
            out = np.interp(p, xs, ys)
        else:
            z = logit(np.clip(p, LOGIT_EPS, 1.0 - LOGIT_EPS))
            out = expit(self.coef * z + self.intercept)
        return np.clip(out, 0.0, 1.0)

    def to_json(self) -> str:
        """Stable JSON (sorted keys, repr floats) so equal calibrators serialise equally."""
        body: dict[str, Any] = {"method": self.method, "fitted_rows": self.fitted_rows}
        if self.method == "isotonic":
            body["X_thresholds_"] = list(self.x)
            body["y_thresholds_"] = list(self.y)
        else:
            body["coef"] = self.coef
            body["intercept"] = self.intercept
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Calibrator:
        """Inverse of `to_json`; rejects malformed maps instead of scoring with them."""
        body = json.loads(text)
        method = body.get("method")
        if method == "isotonic":
            x = tuple(float(v) for v in body["X_thresholds_"])
            y = tuple(float(v) for v in body["y_thresholds_"])
            if not x or len(x) != len(y):
                raise ValueError(f"isotonic calibrator needs equal, non-empty thresholds: {text}")
            if any(b < a for a, b in itertools.pairwise(x)):
                raise ValueError("isotonic calibrator X_thresholds_ are not sorted")
            if any(b < a for a, b in itertools.pairwise(y)):
                raise ValueError("isotonic calibrator y_thresholds_ are not monotone")
            return cls("isotonic", x=x, y=y, fitted_rows=int(body.get("fitted_rows", 0)))
        if method == "platt":
            return cls(
                "platt",
                coef=float(body["coef"]),
                intercept=float(body["intercept"]),
                fitted_rows=int(body.get("fitted_rows", 0)),
            )
        raise ValueError(f"unknown calibrator method {method!r}")


def _quantile_bins(
    p: np.ndarray, y: np.ndarray, bin_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pool rows sorted by raw probability into consecutive bins of about `bin_rows` rows:
    (mean raw p, outcome rate, rows) per bin."""
    order = np.argsort(p, kind="stable")
    n_bins = max(1, p.size // max(1, bin_rows))
    parts = np.array_split(order, n_bins)
    bx = np.array([p[i].mean() for i in parts])
    by = np.array([y[i].mean() for i in parts])
    bw = np.array([float(i.size) for i in parts])
    return bx, by, bw


def _centred_isotonic(p: np.ndarray, y: np.ndarray, bin_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic fit reduced to one point per pooled block (centred isotonic regression).

    Plain isotonic output is a staircase: flat steps tie many different raw scores (a plateau
    near 0.5 can even look like a fallback) and the end steps are biased outwards, because the
    lowest step is the minimum of many prefix means. Placing each block at its centre
    (weighted mean raw p, block rate) and interpolating keeps the map monotone but strictly
    increasing, and pooling the end blocks to at least END_BLOCK_SHARE of the rows tames the
    end bias.
    """
    bx, by, bw = _quantile_bins(p, y, bin_rows)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0, increasing=True)
    fitted = iso.fit(bx, by, sample_weight=bw).predict(bx)
    blocks = np.split(np.arange(bx.size), np.flatnonzero(np.diff(fitted) != 0) + 1)
    need = END_BLOCK_SHARE * bw.sum()
    while len(blocks) > 1 and bw[blocks[0]].sum() < need:
        blocks[:2] = [np.concatenate(blocks[:2])]
    while len(blocks) > 1 and bw[blocks[-1]].sum() < need:
        blocks[-2:] = [np.concatenate(blocks[-2:])]
    xs = np.array([np.average(bx[b], weights=bw[b]) for b in blocks])
    ys = np.array([np.average(by[b], weights=bw[b]) for b in blocks])
    return xs, np.clip(ys, 0.0, 1.0)


def fit_calibrator(
    method: CalibrationMethod,
    raw_prob: np.ndarray,
    went_over: np.ndarray,
    *,
    bin_rows: int = 25,
) -> Calibrator:
    """Fit `method` on (raw probability, outcome) pairs from the calibration slice.

    Isotonic regression (scikit-learn's PAV) is fitted on quantile bins of `bin_rows` rows
    (weighted by size), not on single rows: plain isotonic on a few thousand rows makes end
    blocks of a handful of rows that are all Over or all Under, i.e. probabilities of exactly 0
    or 1 that cost dearly out of sample. The blocks are then centred (see `_centred_isotonic`);
    the JSON keeps sklearn's attribute names `X_thresholds_`/`y_thresholds_` for the points.

    Platt's slope is constrained to be non-negative: a negative slope means the booster ranks
    later dates backwards, and then (as isotonic would) the honest calibrated answer is the base
    rate. That flat output is then caught by the fallback guard rather than silently inverted.
    """
    p = np.asarray(raw_prob, dtype=np.float64).ravel()
    y = np.asarray(went_over, dtype=np.float64).ravel()
    if p.shape != y.shape or p.size == 0:
        raise ValueError(f"calibration needs matching, non-empty arrays (got {p.size}, {y.size})")
    if method == "isotonic":
        xs, ys = _centred_isotonic(p, y, bin_rows)
        return Calibrator(
            "isotonic",
            x=tuple(float(v) for v in xs),
            y=tuple(float(v) for v in ys),
            fitted_rows=int(p.size),
        )
    if method == "platt":
        if np.unique(y).size < 2:
            raise ValueError("Platt calibration needs both outcomes in the calibration slice")
        z = logit(np.clip(p, LOGIT_EPS, 1.0 - LOGIT_EPS)).reshape(-1, 1)
        lr = LogisticRegression(C=np.inf, max_iter=1000)
        lr.fit(z, y.astype(int))
        coef = float(lr.coef_[0, 0])
        intercept = float(lr.intercept_[0])
        if coef < 0:
            rate = float(np.clip(y.mean(), LOGIT_EPS, 1.0 - LOGIT_EPS))
            coef, intercept = 0.0, float(logit(rate))
        return Calibrator("platt", coef=coef, intercept=intercept, fitted_rows=int(p.size))
    raise ValueError(f"calibration must be 'isotonic' or 'platt', got {method!r}")
