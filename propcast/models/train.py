"""Train a calibrated LightGBM predictor for one player-prop market family.

What is trained (calibration "stack", the default): a Poisson LightGBM regressor of the stat's
mean from the as-of features, an Over classifier (LightGBM, binary; a stacker input only with
`stack_classifier`), and on the calibration slice the dispersion of a negative binomial around
the predicted mean plus a logistic stacker of logit P(Over) under that distribution and logit
P(Over) under the market's consensus mean (see `propcast.models.distribution`). The
distribution uses the whole stat, and every line of a player-game is priced from one
distribution; the stacker weighs the model against the market on later dates instead of
trusting either. Calibration "isotonic"/"platt" is the original predictor: the classifier
alone, calibrated.

Why it is built this way:
- Time-ordered split by distinct game dates, never random: props are autocorrelated within a
  date (same games, same injuries), so a random split leaks and flatters the model.
- Only rows dated on or before `train_end` with a known result are used; anything later is never
  touched, so a model can be reproduced exactly from the warehouse as of that date.
- Calibration is fitted on dates *after* the booster's window; validation (later still) only
  measures — it never chooses anything, so its metrics are honest.
- Deterministic LightGBM settings plus a content hash make `model_version` a fingerprint: equal
  versions mean equal boosters, calibrator and config.
- Boosters live in the registry as LightGBM model strings and the calibrator (stacker or
  isotonic/Platt map) as JSON; the in-memory model is rebuilt from those strings right after
  training, so what was validated is exactly what a later `model_from_registry_row` scores
  with.
- No final refit of the boosters on the calibration and validation dates: measured on the demo
  worlds it changed held-out log loss by less than the noise (±0.0005), and it would serve a
  booster that validation never saw and the stacker was not fitted on.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import lightgbm as lgb
import numpy as np
import pandas as pd

from propcast.models.calibration import (
    STACK_CLASSIFIER,
    STACK_DISTRIBUTION,
    Calibrator,
    Stacker,
    fit_calibrator,
    fit_stacker,
    to_logit,
)
from propcast.models.config import MARKET_PROB_COLUMN, STAT_COLUMN, TrainConfig
from propcast.models.distribution import fit_dispersion
from propcast.models.frames import feature_matrix, game_days, to_date
from propcast.models.labelled import DateSplit, LabelledRows, label_rows, time_split
from propcast.models.market_bias import level_shift, market_lag
from propcast.models.metrics import auc, brier, finite_or_none, log_loss
from propcast.models.trained import (
    TrainedModel,
    canonical_json,
    learnt_something,
    make_model_version,
    model_content_hash,
    stack_logits,
)

#: The phases train_prop_model times (its `timings`), in the order they run; bench/train_speed.py
#: prints them.
TRAINING_PHASES = (
    "label",
    "split",
    "matrices",
    "dataset_over",
    "boost_over",
    "dataset_mean",
    "boost_mean",
    "calibrate",
    "validate",
)


@contextmanager
def _phase(timings: MutableMapping[str, float] | None, name: str) -> Iterator[None]:
    """Add the wall seconds of the block to `timings[name]` (when timings are collected)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


def _train_booster(
    cfg: TrainConfig,
    which: str,
    x: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...],
    timings: MutableMapping[str, float] | None = None,
) -> str:
    params = cfg.lgb_params("over" if which == "over" else "mean")
    data = lgb.Dataset(x, label=y, feature_name=list(names), params=params, free_raw_data=True)
    with _phase(timings, f"dataset_{which}"):
        data.construct()
    with _phase(timings, f"boost_{which}"):
        booster = lgb.train(params, data, num_boost_round=int(cfg.num_boost_round))
        return booster.model_to_string()


def _validation_metrics(
    model_prob: np.ndarray,
    raw_prob: np.ndarray,
    predicted_mean: np.ndarray,
    validation: pd.DataFrame,
    components: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    y = validation["went_over"].to_numpy(dtype=np.float64)
    market = pd.to_numeric(validation[MARKET_PROB_COLUMN], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    has_market = ~np.isnan(market)
    stat = pd.to_numeric(validation[STAT_COLUMN]).to_numpy(dtype=np.float64)
    half = np.full_like(y, 0.5)
    m = has_market
    out: dict[str, Any] = {
        "validation_rows": len(validation),
        "validation_start": to_date(validation["_day"].min()).isoformat(),
        "validation_end": to_date(validation["_day"].max()).isoformat(),
        "over_rate": finite_or_none(float(y.mean())),
        # All three forecasts are scored on the rows where the market has a probability.
        "compared_rows": int(m.sum()),
        "log_loss_model": finite_or_none(log_loss(y[m], model_prob[m])),
        "log_loss_market": finite_or_none(log_loss(y[m], market[m])),
        "log_loss_constant_0_5": finite_or_none(log_loss(y[m], half[m])),
        "brier_model": finite_or_none(brier(y[m], model_prob[m])),
        "brier_market": finite_or_none(brier(y[m], market[m])),
        "brier_constant_0_5": finite_or_none(brier(y[m], half[m])),
        "auc_model": finite_or_none(auc(y, model_prob)),
        "auc_market": finite_or_none(auc(y[m], market[m])),
        "log_loss_model_all_rows": finite_or_none(log_loss(y, model_prob)),
        "log_loss_model_uncalibrated": finite_or_none(log_loss(y, raw_prob)),
        "prob_over_std": finite_or_none(float(np.std(model_prob))),
        "mae_predicted_mean": finite_or_none(float(np.mean(np.abs(predicted_mean - stat)))),
        "mean_stat_value": finite_or_none(float(np.mean(stat))),
        "mean_predicted_mean": finite_or_none(float(np.mean(predicted_mean))),
    }
    # Each source of the stacked probability on its own, on the same compared rows.
    for name, p in (components or {}).items():
        scored = np.isfinite(p[m]).all()
        out[f"log_loss_{name}"] = finite_or_none(log_loss(y[m], p[m])) if scored else None
    return out


def _slate_rows(
    rows: pd.DataFrame, cfg: TrainConfig, part: pd.DataFrame, days: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every row of the family's markets on `part`'s dates (pushes and lines without a result
    too: scoring sees them all), and where `part`'s rows sit in it. `days`: the game days of
    `rows`, when already known."""
    if days is None:
        days = game_days(rows["game_date"])
    keep = (
        np.isin(days, np.unique(part["_day"].to_numpy()))
        & rows["market"].isin(cfg.family_markets).to_numpy()
    )
    positions = np.flatnonzero(keep)
    return rows.iloc[positions], np.searchsorted(positions, part["_pos"].to_numpy())


class Window(NamedTuple):
    """Every labelled row up to the calibration slice's end: the market's probability, the
    outcome, whether in the slice, and the stacker's context (None without one)."""

    market: np.ndarray
    went_over: np.ndarray
    in_slice: np.ndarray
    context: np.ndarray | None


def _fit_stack(
    cfg: TrainConfig,
    rows: pd.DataFrame,
    calibration: pd.DataFrame,
    booster_mean: lgb.Booster,
    booster_over: lgb.Booster,
    days: np.ndarray,
    window: Window,
) -> Stacker:
    """Dispersion and stacker on the calibration slice, from predictions for dates the boosters
    never saw. The market's lag on the context (`market_lag`) is read on every row of `window`,
    and (with `stack_level_correction`) the intercepts are shifted by `level_shift`, the
    slice's wander from the window's level."""
    x_mean = feature_matrix(calibration, cfg.mean_features, "train_prop_model")
    mean = np.asarray(booster_mean.predict(x_mean, num_threads=1), dtype=np.float64)
    stat = pd.to_numeric(calibration[STAT_COLUMN]).to_numpy(dtype=np.float64)
    dispersion = fit_dispersion(mean, stat)
    slate, pick = _slate_rows(rows, cfg, calibration, days)
    context = cfg.stack_context_column
    logits, has = stack_logits(
        cfg,
        booster_mean,
        booster_over,
        slate,
        dispersion,
        classifier=cfg.stack_classifier,
        context=context,
    )
    lag, market_logit = 0.0, to_logit(window.market)
    if window.context is not None:
        lag = market_lag(market_logit, window.went_over, window.context)
        market_logit = market_logit + lag * np.nan_to_num(window.context)
    own = []
    if learnt_something(booster_mean):
        own.append(STACK_DISTRIBUTION)
    if cfg.stack_classifier and learnt_something(booster_over):
        own.append(STACK_CLASSIFIER)
    stacker = fit_stacker(
        {name: values[pick] for name, values in logits.items()},
        has[pick],
        calibration["went_over"].to_numpy(),
        dispersion=dispersion,
        model_inputs=own,
        convex=cfg.stack_convex,
        market_lag=lag,
    )
    if not cfg.stack_level_correction:
        return stacker
    shift = level_shift(market_logit, window.went_over, window.in_slice)
    return dataclasses.replace(
        stacker,
        intercept=stacker.intercept - shift,
        no_market_intercept=stacker.no_market_intercept - shift,
    )


def train_prop_model(
    rows: pd.DataFrame, cfg: TrainConfig, *, timings: MutableMapping[str, float] | None = None
) -> TrainedModel:
    """Train boosters for Over and for the stat's mean, calibrate (stack), validate,
    fingerprint.

    Raises ValueError (with row and date counts) when the window holds too little data.
    `timings`, when given, receives the wall seconds of each phase (label, split, matrices,
    dataset_over/mean, boost_over/mean, calibrate, validate): bench/train_speed.py prints them.
    """
    with _phase(timings, "label"):
        labelled = label_rows(rows, cfg)
    with _phase(timings, "split"):
        split = time_split(labelled, rows, cfg)

    with _phase(timings, "matrices"):
        n_train = split.train_rows
        y_train = labelled.went_over[:n_train].astype(np.float64)
        stat_train = labelled.columns[STAT_COLUMN][:n_train]
        x_over = labelled.matrix(cfg.over_features, n_train)
    over_string = _train_booster(cfg, "over", x_over, y_train, cfg.over_features, timings)
    del x_over
    with _phase(timings, "matrices"):
        x_mean = labelled.matrix(cfg.mean_features, n_train)
    mean_string = _train_booster(cfg, "mean", x_mean, stat_train, cfg.mean_features, timings)
    del x_mean
    booster_over = lgb.Booster(model_str=over_string)
    booster_mean = lgb.Booster(model_str=mean_string)

    # Calibrate on the later slice with the reloaded boosters (the ones that will serve).
    calibrator: Calibrator | Stacker
    with _phase(timings, "calibrate"):
        if cfg.calibration == "stack":
            end = split.train_rows + len(split.calibration)
            in_slice = np.arange(end) >= split.train_rows
            context = cfg.stack_context_column
            window = Window(
                labelled.columns[MARKET_PROB_COLUMN][:end],
                labelled.went_over[:end],
                in_slice,
                None if context is None else labelled.columns[context][:end],
            )
            calibrator = _fit_stack(
                cfg, rows, split.calibration, booster_mean, booster_over, labelled.all_days, window
            )
        else:
            x_cal = feature_matrix(split.calibration, cfg.over_features, "train_prop_model")
            raw_cal = np.asarray(booster_over.predict(x_cal, num_threads=1), dtype=np.float64)
            calibrator = fit_calibrator(
                cfg.calibration,
                raw_cal,
                split.calibration["went_over"].to_numpy(),
                bin_rows=cfg.isotonic_bin_rows,
            )
    with _phase(timings, "validate"):
        boosters = (over_string, mean_string, booster_over, booster_mean)
        return _validated(cfg, rows, labelled, split, boosters, calibrator)


def _validated(
    cfg: TrainConfig,
    rows: pd.DataFrame,
    labelled: LabelledRows,
    split: DateSplit,
    boosters: tuple[str, str, lgb.Booster, lgb.Booster],
    calibrator: Calibrator | Stacker,
) -> TrainedModel:
    """The fingerprinted model with its validation metrics (`boosters`: the Over and mean
    boosters' strings, then the boosters reloaded from them)."""
    over_string, mean_string, booster_over, booster_mean = boosters
    params_json = canonical_json(cfg.to_params())
    content = model_content_hash(params_json, over_string, mean_string, calibrator.to_json())
    unscored = TrainedModel(
        config=cfg,
        booster_over_string=over_string,
        booster_mean_string=mean_string,
        calibrator=calibrator,
        train_start=to_date(split.train_days[0]),
        trained_rows=split.train_rows,
        calibration_rows=len(split.calibration),
        validation_rows=len(split.validation),
        metrics={},
        model_version=make_model_version(cfg.market_family, cfg.train_end, content),
        booster_over=booster_over,
        booster_mean=booster_mean,
    )
    # Validation goes through the same predict path as scoring: the whole slate of each date.
    # (The distribution's and the market consensus' own P(Over) come from the same pass.)
    slate, pick = _slate_rows(rows, cfg, split.validation, labelled.all_days)
    sources: dict[str, np.ndarray] = {}
    prob, mean = (values[pick] for values in unscored._predict(slate, sources))
    raw = unscored.predict_raw_over(split.validation)
    components: dict[str, np.ndarray] = {"classifier": raw}
    stack: dict[str, Any] = {}
    if isinstance(calibrator, Stacker):
        components["distribution"] = sources["distribution"][pick]
        components["market_consensus"] = sources["market_consensus"][pick]
        stack = {
            "dispersion": calibrator.dispersion,
            "stack_inputs": list(calibrator.inputs),
            "stack_coef": list(calibrator.coef),
            "stack_intercept": calibrator.intercept,
            "boosters_learnt": {
                "mean": learnt_something(booster_mean),
                "over": learnt_something(booster_over),
            },
        }
    metrics = _validation_metrics(prob, raw, mean, split.validation, components)
    metrics.update(_window_metrics(cfg, labelled, split))
    metrics.update(stack)
    return dataclasses.replace(unscored, metrics=metrics)


def _window_metrics(cfg: TrainConfig, labelled: LabelledRows, split: DateSplit) -> dict[str, Any]:
    """What the training window held: its dates, Over rate and row counts (inside the window
    only: metrics must not depend on later rows)."""
    counts = labelled.counts
    return {
        "calibration_method": cfg.calibration,
        "calibration_start": to_date(split.calibration_days[0]).isoformat(),
        "calibration_end": to_date(split.calibration_days[-1]).isoformat(),
        "train_dates": len(split.train_days),
        "train_over_rate": float(labelled.went_over[: split.train_rows].mean()),
        **{f"rows_{k}": counts[k] for k in ("other_market_rows", "unlabelled_rows")},
        "rows_push_rows": counts["push_rows"],
        "rows_labelled": counts["labelled_rows"],
    }
