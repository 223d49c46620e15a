"""A trained prop predictor: how it scores a slate, and its fingerprint.

`TrainedModel` holds the boosters (as LightGBM model strings and loaded), the calibrator or
stacker and the validation metrics; `propcast.models.train` builds one and
`propcast.models.registry` rebuilds one from its `ml_model_registry` row. Both go through
`stack_logits`, so training calibrates on exactly the inputs scoring will later feed the
stacker, and both fingerprint the content with `model_content_hash`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from propcast.models.calibration import (
    STACK_CLASSIFIER,
    STACK_CONTEXT,
    STACK_DISTRIBUTION,
    STACK_MARKET,
    Calibrator,
    Stacker,
    to_logit,
)
from propcast.models.config import KEY_COLUMNS, MARKET_PROB_COLUMN, TrainConfig, as_date
from propcast.models.distribution import consensus_prob_over, prob_over
from propcast.models.frames import feature_matrix

#: Calibrated probabilities are clipped to this range: a prop is never certain, and EV/Kelly
#: downstream must not divide by (1 - p) = 0.
PROB_CLIP = (0.001, 0.999)


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A trained, calibrated predictor plus everything needed to register and reload it."""

    config: TrainConfig
    booster_over_string: str
    booster_mean_string: str
    calibrator: Calibrator | Stacker
    train_start: date
    trained_rows: int
    calibration_rows: int
    validation_rows: int
    metrics: dict[str, Any]
    model_version: str
    booster_over: lgb.Booster = field(repr=False)
    booster_mean: lgb.Booster = field(repr=False)

    @property
    def market_family(self) -> str:
        return self.config.market_family

    @property
    def train_end(self) -> date:
        return self.config.train_end

    @property
    def feature_columns(self) -> tuple[str, ...]:
        return tuple(self.config.feature_columns)

    @property
    def input_columns(self) -> tuple[str, ...]:
        """Columns scoring reads: keys, the market probability, the features and (stacked
        models) the consensus weight."""
        cols = [*KEY_COLUMNS, MARKET_PROB_COLUMN, *self.config.feature_columns]
        if isinstance(self.calibrator, Stacker) and self.config.consensus_weight_column:
            cols.append(self.config.consensus_weight_column)
        return tuple(dict.fromkeys(cols))

    def predict(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated prob_over, predicted_mean) for `rows`; no date or market checks (use
        `score_lines` for the guarded production path). With a stacker, each line's market
        consensus uses the other lines of its player-game in `rows`: pass a slate whole."""
        return self._predict(rows)

    def _predict(
        self, rows: pd.DataFrame, sources: dict[str, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """`predict`; with a stacker, `sources` (when given) receives the P(Over) of the
        distribution and of the market consensus on the way (validation reports them)."""
        mean = self.predict_mean(rows)
        if isinstance(self.calibrator, Stacker):
            logits, has_market = _stack_inputs(
                self, rows, self.calibrator.dispersion, mean, sources
            )
            prob = self.calibrator.apply(logits, has_market)
        else:
            prob = self.calibrator.apply(self.predict_raw_over(rows))
        return np.clip(prob, *PROB_CLIP), mean

    def predict_mean(self, rows: pd.DataFrame) -> np.ndarray:
        """The mean regressor's prediction of the stat."""
        x_mean = feature_matrix(rows, self.config.mean_features, "mean features")
        return np.asarray(self.booster_mean.predict(x_mean, num_threads=1), dtype=np.float64)

    def predict_raw_over(self, rows: pd.DataFrame) -> np.ndarray:
        """Uncalibrated Over probability from the booster."""
        x_over = feature_matrix(rows, self.config.over_features, "over features")
        return np.asarray(self.booster_over.predict(x_over, num_threads=1), dtype=np.float64)

    def components(self, rows: pd.DataFrame) -> dict[str, np.ndarray]:
        """Each source of P(Over) before stacking (diagnostics): the distribution around the
        predicted mean, the market's consensus and the classifier; needs a stacker model."""
        if not isinstance(self.calibrator, Stacker):
            raise ValueError(f"{self.model_version} has no stacker ({self.calibrator.method})")
        mean = self.predict_mean(rows)
        disp = self.calibrator.dispersion
        return {
            "predicted_mean": mean,
            "p_distribution": prob_over(mean, _line(rows), disp),
            "p_market_consensus": _consensus(rows, self.config, disp),
            "p_classifier": self.predict_raw_over(rows),
        }

    def stack_inputs(
        self, rows: pd.DataFrame, mean: np.ndarray | None = None
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The stacker's logit inputs for `rows` and which rows have a market probability."""
        if not isinstance(self.calibrator, Stacker):
            raise ValueError(f"{self.model_version} has no stacker ({self.calibrator.method})")
        return _stack_inputs(self, rows, self.calibrator.dispersion, mean)

    def registry_row(self, created_for_run_date: date | None = None) -> dict[str, Any]:
        """One `ml_model_registry` row: strings, dates and ints only (JSON in string columns),
        so dbt-duckdb (or BigQuery) writes it without a pickle or a nested type.

        `created_for_run_date` is always present (None when not given) so the table's schema does
        not depend on the caller; a dbt model should cast it to DATE.
        """
        return {
            "model_version": self.model_version,
            "market_family": self.market_family,
            "train_start": self.train_start,
            "train_end": self.train_end,
            "trained_rows": int(self.trained_rows),
            "calibration_rows": int(self.calibration_rows),
            "validation_rows": int(self.validation_rows),
            "feature_columns": json.dumps(list(self.feature_columns)),
            "params": canonical_json(self.config.to_params()),
            "metrics": canonical_json(self.metrics),
            "booster_over": self.booster_over_string,
            "booster_mean": self.booster_mean_string,
            "calibrator": self.calibrator.to_json(),
            "created_for_run_date": (
                None if created_for_run_date is None else as_date(created_for_run_date)
            ),
        }


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: the same object always gives the same text, which
    the content hash reads."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def model_content_hash(
    params_json: str, booster_over: str, booster_mean: str, calibrator: str
) -> str:
    """The model's fingerprint: sha256 over its params, both boosters and its calibrator, 12 hex
    digits (the last part of `model_version`)."""
    h = hashlib.sha256()
    for part in (params_json, booster_over, booster_mean, calibrator):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:12]


def learnt_something(booster: lgb.Booster) -> bool:
    """Whether a booster split on any feature (a model of single-leaf trees learnt nothing)."""
    return int(np.sum(booster.feature_importance("split"))) > 0


def make_model_version(market_family: str, train_end: date, content_hash: str) -> str:
    """`<family>-<YYYYMMDD>-<hash>`: readable in `status`, unique per trained content."""
    return f"{market_family}-{train_end:%Y%m%d}-{content_hash}"


def _line(rows: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(rows["line"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _consensus(rows: pd.DataFrame, cfg: TrainConfig, dispersion: float) -> np.ndarray:
    return consensus_prob_over(
        rows, MARKET_PROB_COLUMN, dispersion, weight_column=cfg.consensus_weight_column
    )


def _stack_inputs(
    model: TrainedModel,
    rows: pd.DataFrame,
    dispersion: float,
    mean: np.ndarray | None = None,
    sources: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    needed = model.calibrator.needed_inputs if isinstance(model.calibrator, Stacker) else ()
    return stack_logits(
        model.config,
        model.booster_mean,
        model.booster_over,
        rows,
        dispersion,
        classifier=STACK_CLASSIFIER in needed or model.config.stack_classifier,
        context=model.config.stack_context if STACK_CONTEXT in needed else None,
        mean=mean,
        sources=sources,
    )


def stack_logits(
    cfg: TrainConfig,
    booster_mean: lgb.Booster,
    booster_over: lgb.Booster,
    rows: pd.DataFrame,
    dispersion: float,
    *,
    classifier: bool,
    context: str | None = None,
    mean: np.ndarray | None = None,
    sources: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Logit inputs of the stacker for `rows` (all lines of their player-games), with column
    `context`'s values when given, and which rows have a market consensus; `sources`, when
    given, receives the probabilities behind the distribution's and the market's logits."""
    if mean is None:
        x_mean = feature_matrix(rows, cfg.mean_features, "mean features")
        mean = np.asarray(booster_mean.predict(x_mean, num_threads=1), dtype=np.float64)
    consensus = _consensus(rows, cfg, dispersion)
    p_distribution = prob_over(mean, _line(rows), dispersion)
    if sources is not None:
        sources.update({"distribution": p_distribution, "market_consensus": consensus})
    logits = {
        STACK_DISTRIBUTION: to_logit(p_distribution),
        STACK_MARKET: to_logit(consensus),
    }
    if classifier:
        x_over = feature_matrix(rows, cfg.over_features, "over features")
        logits[STACK_CLASSIFIER] = to_logit(booster_over.predict(x_over, num_threads=1))
    if context is not None:
        values = feature_matrix(rows, (context,), "stacker context")[:, 0]
        logits[STACK_CONTEXT] = np.nan_to_num(values)
    return logits, np.isfinite(consensus)
