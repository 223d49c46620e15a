"""Probability calibration fitted on held-out later dates, stored as plain JSON.

Two kinds, both fitted on the calibration slice (dates after the boosters' window):

- `Stacker` (method "stack", the default): a logistic regression on the logits of the model's
  own probabilities (the stat's negative-binomial distribution around the predicted mean, and
  optionally the Over classifier) and of the market's consensus probability. The market's
  information is combined, not discarded, and the weights say how much each source is worth
  on later dates. It also carries the distribution's dispersion, fitted on the same slice.
- `Calibrator` (methods "isotonic" and "platt"): a monotone map of the Over classifier's raw
  probability — the original predictor; models registered with it still load and score.

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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from propcast.models.config import CalibrationMethod
from propcast.models.market_bias import offset_logistic

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


#: The stacker's possible inputs: the logits of the sources' probabilities of Over, and the
#: context (the value of TrainConfig.stack_context, e.g. the minutes of teammates out tonight),
#: by which the market lags (`market_lag`).
STACK_DISTRIBUTION = "logit_p_distribution"
STACK_CLASSIFIER = "logit_p_classifier"
STACK_MARKET = "logit_p_market_consensus"
STACK_CONTEXT = "context"
STACK_INPUTS: tuple[str, ...] = (STACK_DISTRIBUTION, STACK_CLASSIFIER, STACK_MARKET, STACK_CONTEXT)
#: Inverse L2 strength of the stacker's logistic regression: practically unpenalised (a few
#: coefficients on thousands of rows) but finite, so collinear inputs cannot diverge.
STACK_C = 1e4


def to_logit(p: np.ndarray) -> np.ndarray:
    """logit(p) with p clipped to [LOGIT_EPS, 1 - LOGIT_EPS]; NaN stays NaN."""
    return logit(np.clip(np.asarray(p, dtype=np.float64), LOGIT_EPS, 1.0 - LOGIT_EPS))


@dataclass(frozen=True)
class Stacker:
    """Logistic stacking of probability logits, plus the distribution's dispersion.

    `apply` computes `expit(intercept + sum(coef[i] * logits[inputs[i]]))` on rows that have a
    market probability and the `no_market_*` regression (the model's own inputs only) on rows
    that do not. Inputs that are empty tuples give the constant `expit(intercept)`.
    """

    dispersion: float
    inputs: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    no_market_inputs: tuple[str, ...]
    no_market_coef: tuple[float, ...]
    no_market_intercept: float
    fitted_rows: int = 0
    method: str = "stack"

    @property
    def needed_inputs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.inputs, *self.no_market_inputs]))

    def apply(self, logits: Mapping[str, np.ndarray], has_market: np.ndarray) -> np.ndarray:
        """Stacked probabilities; `logits` maps input names to arrays of one length."""
        has = np.asarray(has_market, dtype=bool)
        with_market = _linear(self.inputs, self.coef, self.intercept, logits, has.size)
        without = _linear(
            self.no_market_inputs, self.no_market_coef, self.no_market_intercept, logits, has.size
        )
        return expit(np.where(has, with_market, without))

    def to_json(self) -> str:
        body = {
            "method": "stack",
            "dispersion": self.dispersion,
            "inputs": list(self.inputs),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "no_market_inputs": list(self.no_market_inputs),
            "no_market_coef": list(self.no_market_coef),
            "no_market_intercept": self.no_market_intercept,
            "fitted_rows": self.fitted_rows,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Stacker:
        body = json.loads(text)
        if body.get("method") != "stack":
            raise ValueError(f"not a stacker: method {body.get('method')!r}")
        out = cls(
            dispersion=float(body["dispersion"]),
            inputs=tuple(str(v) for v in body["inputs"]),
            coef=tuple(float(v) for v in body["coef"]),
            intercept=float(body["intercept"]),
            no_market_inputs=tuple(str(v) for v in body["no_market_inputs"]),
            no_market_coef=tuple(float(v) for v in body["no_market_coef"]),
            no_market_intercept=float(body["no_market_intercept"]),
            fitted_rows=int(body.get("fitted_rows", 0)),
        )
        out.validate()
        return out

    def validate(self) -> None:
        problems = []
        if not (math.isfinite(self.dispersion) and self.dispersion > 1.0):
            problems.append(f"dispersion must be finite and > 1, got {self.dispersion}")
        for name, inputs, coef in (
            ("inputs", self.inputs, self.coef),
            ("no_market_inputs", self.no_market_inputs, self.no_market_coef),
        ):
            if len(inputs) != len(coef):
                problems.append(f"{name} and their coefficients differ in length")
            unknown = sorted(set(inputs) - set(STACK_INPUTS))
            if unknown:
                problems.append(f"unknown {name} {unknown}")
        if {STACK_MARKET, STACK_CONTEXT} & set(self.no_market_inputs):
            problems.append("no_market_inputs may not use the market or the context")
        values = [*self.coef, *self.no_market_coef, self.intercept, self.no_market_intercept]
        if not all(math.isfinite(v) for v in values):
            problems.append("coefficients must be finite")
        if problems:
            raise ValueError("invalid stacker: " + "; ".join(problems))


def _linear(
    inputs: Sequence[str],
    coef: Sequence[float],
    intercept: float,
    logits: Mapping[str, np.ndarray],
    n: int,
) -> np.ndarray:
    z = np.full(n, float(intercept))
    for name, c in zip(inputs, coef, strict=True):
        z = z + float(c) * np.nan_to_num(np.asarray(logits[name], dtype=np.float64))
    return z


def _fit_logistic(columns: Sequence[np.ndarray], y: np.ndarray) -> tuple[tuple[float, ...], float]:
    if not columns:
        rate = float(np.clip(y.mean(), LOGIT_EPS, 1.0 - LOGIT_EPS))
        return (), float(logit(rate))
    x = np.column_stack(columns)
    lr = LogisticRegression(C=STACK_C, max_iter=1000)
    lr.fit(x, y.astype(int))
    return tuple(float(v) for v in lr.coef_[0]), float(lr.intercept_[0])


def _fit_convex(
    columns: Sequence[np.ndarray], market: np.ndarray, y: np.ndarray, steps: int = 100
) -> tuple[tuple[float, ...], float]:
    """Logistic regression of `y` on `intercept + market + sum(w_i * (columns_i - market))`:
    the market and the model's inputs weighted by coefficients that sum to 1 (the market's is
    1 - sum(w)), fitted by Newton's method with the stacker's light ridge (1 / STACK_C) on the
    weights. Returns (*w, 1 - sum(w)) and the intercept."""
    x = np.column_stack([np.ones(len(y)), *(c - market for c in columns)])
    ridge = np.full(x.shape[1], 1.0 / STACK_C)
    ridge[0] = 0.0
    beta = offset_logistic(x, market, y, ridge, steps)
    weights = tuple(float(v) for v in beta[1:])
    return (*weights, 1.0 - float(sum(weights))), float(beta[0])


def fit_stacker(
    logits: Mapping[str, np.ndarray],
    has_market: np.ndarray,
    went_over: np.ndarray,
    *,
    dispersion: float,
    model_inputs: Sequence[str],
    convex: bool = False,
    market_lag: float = 0.0,
) -> Stacker:
    """Fit the stacker on the calibration slice.

    `model_inputs` are the model's own inputs to use (names in STACK_INPUTS other than the
    market). With at least one, the market's consensus logit joins them on rows that have it
    (the `no_market_*` regression uses the model's inputs on all rows). With none — the
    boosters learnt nothing — the stacker is the base rate alone: a model without signal of
    its own must not republish the market as its prediction (the fallback guard then refuses
    the flat output).

    `convex`: the with-market coefficients sum to 1 (a weighted mean of the logits plus an
    intercept). Free coefficients also fit the scale of the combination, and on a 14-date
    slice that scale is noisy: bench/quality.py's assists stacker summed to 1.16 on one seed
    (over-confident, ECE 0.015 after the level correction) and to 0.68 on another
    (under-confident, ECE 0.029); constrained, 0.0086 and 0.0082 with the same log loss or
    better in every family.

    `market_lag`: the market's logit per unit of `logits[STACK_CONTEXT]` by which it sits low
    (`market_lag`, measured over the whole window). The market is stacked with its lag taken
    out, so the context joins the inputs with the market's coefficient times the lag.
    """
    y = np.asarray(went_over, dtype=np.float64).ravel()
    has = np.asarray(has_market, dtype=bool).ravel()
    if y.size == 0 or np.unique(y).size < 2:
        raise ValueError("stacking needs both outcomes in the calibration slice")
    own = [name for name in model_inputs if name != STACK_MARKET]
    unknown = sorted(set(own) - set(STACK_INPUTS))
    if unknown:
        raise ValueError(f"unknown stacker inputs {unknown}")
    cols = {name: np.asarray(logits[name], dtype=np.float64).ravel() for name in own}
    no_market_coef, no_market_intercept = _fit_logistic([cols[n] for n in own], y)
    inputs = [*own, STACK_MARKET] if own else []
    lagged = bool(market_lag) and bool(own)
    if own and has.sum() >= 2 and np.unique(y[has]).size == 2:
        market = np.asarray(logits[STACK_MARKET], dtype=np.float64).ravel()
        if lagged:
            context = np.nan_to_num(np.asarray(logits[STACK_CONTEXT], dtype=np.float64).ravel())
            market = market + market_lag * context
        if convex:
            coef, intercept = _fit_convex([cols[n][has] for n in own], market[has], y[has])
        else:
            coef, intercept = _fit_logistic([*(cols[n][has] for n in own), market[has]], y[has])
        if lagged:
            inputs = [*own, STACK_CONTEXT, STACK_MARKET]
            coef = (*coef[:-1], coef[-1] * market_lag, coef[-1])
    else:
        inputs, coef, intercept = list(own), no_market_coef, no_market_intercept
    out = Stacker(
        dispersion=float(dispersion),
        inputs=tuple(inputs),
        coef=coef,
        intercept=intercept,
        no_market_inputs=tuple(own),
        no_market_coef=no_market_coef,
        no_market_intercept=no_market_intercept,
        fitted_rows=int(y.size),
    )
    out.validate()
    return out


def calibrator_from_json(text: str) -> Calibrator | Stacker:
    """A registry `calibrator` value back as the object that wrote it."""
    body = json.loads(text)
    if isinstance(body, dict) and body.get("method") == "stack":
        return Stacker.from_json(text)
    return Calibrator.from_json(text)
