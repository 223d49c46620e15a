"""Train a calibrated LightGBM predictor for one player-prop market family; registry round-trip.

Why it is built this way:
- Time-ordered split by distinct game dates, never random: props are autocorrelated within a
  date (same games, same injuries), so a random split leaks and flatters the model.
- Only rows dated on or before `train_end` with a known result are used; anything later is never
  touched, so a model can be reproduced exactly from the warehouse as of that date.
- Calibration is fitted on dates *after* the booster's window; validation (later still) only
  measures — it never chooses anything, so its metrics are honest.
- Deterministic LightGBM settings plus a content hash make `model_version` a fingerprint: equal
  versions mean equal boosters, calibrator and config.
- Boosters live in the registry as LightGBM model strings and the calibrator as JSON; the
  in-memory model is rebuilt from those strings right after training, so what was validated is
  exactly what a later `model_from_registry_row` scores with.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from propcast.models.calibration import Calibrator, fit_calibrator
from propcast.models.config import MARKET_PROB_COLUMN, STAT_COLUMN, TrainConfig, as_date
from propcast.models.frames import (
    day,
    feature_matrix,
    game_days,
    require_columns,
    to_date,
)
from propcast.models.metrics import auc, brier, finite_or_none, log_loss

#: Calibrated probabilities are clipped to this range: a prop is never certain, and EV/Kelly
#: downstream must not divide by (1 - p) = 0.
PROB_CLIP = (0.001, 0.999)

REGISTRY_COLUMNS: tuple[str, ...] = (
    "model_version",
    "market_family",
    "train_start",
    "train_end",
    "trained_rows",
    "calibration_rows",
    "validation_rows",
    "feature_columns",
    "params",
    "metrics",
    "booster_over",
    "booster_mean",
    "calibrator",
    "created_for_run_date",
)


class ModelLoadError(ValueError):
    """A registry row does not reproduce a usable model (corrupt, tampered or incompatible)."""


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A trained, calibrated predictor plus everything needed to register and reload it."""

    config: TrainConfig
    booster_over_string: str
    booster_mean_string: str
    calibrator: Calibrator
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

    def predict(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(calibrated prob_over, predicted_mean) for `rows`; no date or market checks (use
        `score_lines` for the guarded production path)."""
        raw = self.predict_raw_over(rows)
        prob = np.clip(self.calibrator.apply(raw), *PROB_CLIP)
        x_mean = feature_matrix(rows, self.config.mean_features, "mean features")
        mean = np.asarray(self.booster_mean.predict(x_mean, num_threads=1), dtype=np.float64)
        return prob, mean

    def predict_raw_over(self, rows: pd.DataFrame) -> np.ndarray:
        """Uncalibrated Over probability from the booster."""
        x_over = feature_matrix(rows, self.config.over_features, "over features")
        return np.asarray(self.booster_over.predict(x_over, num_threads=1), dtype=np.float64)

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
            "params": _canonical_json(self.config.to_params()),
            "metrics": _canonical_json(self.metrics),
            "booster_over": self.booster_over_string,
            "booster_mean": self.booster_mean_string,
            "calibrator": self.calibrator.to_json(),
            "created_for_run_date": (
                None if created_for_run_date is None else as_date(created_for_run_date)
            ),
        }


@dataclass(frozen=True)
class _Split:
    train: pd.DataFrame
    calibration: pd.DataFrame
    validation: pd.DataFrame
    train_days: np.ndarray
    calibration_days: np.ndarray
    validation_days: np.ndarray


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _version_hash(params_json: str, booster_over: str, booster_mean: str, calibrator: str) -> str:
    h = hashlib.sha256()
    for part in (params_json, booster_over, booster_mean, calibrator):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:12]


def make_model_version(market_family: str, train_end: date, content_hash: str) -> str:
    """`<family>-<YYYYMMDD>-<hash>`: readable in `status`, unique per trained content."""
    return f"{market_family}-{train_end:%Y%m%d}-{content_hash}"


def labelled_rows(rows: pd.DataFrame, cfg: TrainConfig) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows training may use, with `went_over` added, plus counts of what was dropped.

    Kept: the family's markets, `game_date <= train_end`, known `stat_value` and `line`, and not
    a push (`stat_value == line`, possible only on integer lines).
    """
    needed = ["game_date", "market", "line", MARKET_PROB_COLUMN, STAT_COLUMN]
    require_columns(rows, [*needed, *cfg.feature_columns], "train_prop_model")
    days = game_days(rows["game_date"])
    in_family = rows["market"].isin(cfg.family_markets).to_numpy()
    in_window = days <= day(cfg.train_end)
    stat = pd.to_numeric(rows[STAT_COLUMN], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    line = pd.to_numeric(rows["line"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(stat) & ~np.isnan(line)
    push = known & (stat == line)
    keep = in_family & in_window & known & ~push
    counts = {
        "input_rows": len(rows),
        "after_train_end_rows": int((~in_window).sum()),
        "other_market_rows": int((in_window & ~in_family).sum()),
        "unlabelled_rows": int((in_family & in_window & ~known).sum()),
        "push_rows": int((in_family & in_window & push).sum()),
        "labelled_rows": int(keep.sum()),
    }
    out = rows.loc[keep].copy()
    out["_day"] = days[keep]
    out["went_over"] = (stat[keep] > line[keep]).astype(np.int8)
    if cfg.mean_objective == "poisson" and (stat[keep] < 0).any():
        raise ValueError(
            f"{cfg.market_family}: negative stat_value with mean_objective='poisson'; "
            "use mean_objective='regression'"
        )
    # A SQL table has no row order: sort on the business key (then the values, for exact
    # duplicates) so the same rows always train the same boosters, whatever order the warehouse
    # returned them in.
    ids = [c for c in ("game_id", "player_id", "market") if c in out.columns]
    values = list(dict.fromkeys(["line", MARKET_PROB_COLUMN, STAT_COLUMN, *cfg.feature_columns]))
    tie = out[["_day", *ids]].reset_index(drop=True).astype({c: "string" for c in ids})
    tie[values] = feature_matrix(out, values, "train_prop_model")
    order = tie.sort_values(["_day", *ids, *values], kind="stable").index.to_numpy()
    return out.iloc[order], counts


def _span(days: np.ndarray) -> str:
    return f"{to_date(days[0])}..{to_date(days[-1])} ({len(days)} dates)"


def time_split(labelled: pd.DataFrame, cfg: TrainConfig, counts: Mapping[str, int]) -> _Split:
    """Split by distinct dates: [train | calibration_days | validation_days] up to train_end."""
    days = np.unique(labelled["_day"].to_numpy())
    need_days = cfg.validation_days + cfg.calibration_days + 1
    context = (
        f"{cfg.market_family} up to train_end {cfg.train_end}: {len(labelled)} labelled rows on "
        f"{len(days)} distinct game dates (input {counts['input_rows']} rows; dropped "
        f"{counts['after_train_end_rows']} after train_end, {counts['other_market_rows']} of "
        f"markets other than {list(cfg.family_markets)}, {counts['unlabelled_rows']} without "
        f"stat_value/line, {counts['push_rows']} pushes)"
    )
    if len(days) < need_days:
        raise ValueError(
            f"too few game dates to train {context}; need at least {need_days} "
            f"(validation_days={cfg.validation_days} + calibration_days={cfg.calibration_days} "
            "+ 1 training date)"
        )
    val_days = days[-cfg.validation_days :]
    cal_days = days[-(cfg.validation_days + cfg.calibration_days) : -cfg.validation_days]
    train_days = days[: -(cfg.validation_days + cfg.calibration_days)]
    d = labelled["_day"].to_numpy()
    split = _Split(
        train=labelled[d <= train_days[-1]],
        calibration=labelled[(d >= cal_days[0]) & (d <= cal_days[-1])],
        validation=labelled[d >= val_days[0]],
        train_days=train_days,
        calibration_days=cal_days,
        validation_days=val_days,
    )
    problems = []
    for name, part, minimum in (
        ("training", split.train, cfg.min_train_rows),
        ("calibration", split.calibration, cfg.min_calibration_rows),
        ("validation", split.validation, cfg.min_validation_rows),
    ):
        if len(part) < minimum:
            problems.append(f"{name} slice has {len(part)} rows (< {minimum})")
        elif name != "validation" and part["went_over"].nunique() < 2:
            problems.append(f"{name} slice has only one outcome (all Over or all Under)")
    if problems:
        raise ValueError(
            f"not enough data to train {context}: "
            + "; ".join(problems)
            + f" (training {_span(train_days)}, calibration {_span(cal_days)}, "
            f"validation {_span(val_days)})"
        )
    return split


def _train_booster(
    cfg: TrainConfig, which: str, x: np.ndarray, y: np.ndarray, names: tuple[str, ...]
) -> str:
    params = cfg.lgb_params("over" if which == "over" else "mean")
    data = lgb.Dataset(x, label=y, feature_name=list(names), params=params, free_raw_data=True)
    booster = lgb.train(params, data, num_boost_round=int(cfg.num_boost_round))
    return booster.model_to_string()


def _validation_metrics(
    model_prob: np.ndarray,
    raw_prob: np.ndarray,
    predicted_mean: np.ndarray,
    validation: pd.DataFrame,
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
    return out


def train_prop_model(rows: pd.DataFrame, cfg: TrainConfig) -> TrainedModel:
    """Train boosters for Over and for the stat's mean, calibrate, validate, fingerprint.

    Raises ValueError (with row and date counts) when the window holds too little data.
    """
    labelled, counts = labelled_rows(rows, cfg)
    split = time_split(labelled, cfg, counts)

    y_train = split.train["went_over"].to_numpy(dtype=np.float64)
    x_over = feature_matrix(split.train, cfg.over_features, "train_prop_model")
    x_mean = feature_matrix(split.train, cfg.mean_features, "train_prop_model")
    stat_train = pd.to_numeric(split.train[STAT_COLUMN]).to_numpy(dtype=np.float64)
    over_string = _train_booster(cfg, "over", x_over, y_train, cfg.over_features)
    mean_string = _train_booster(cfg, "mean", x_mean, stat_train, cfg.mean_features)
    booster_over = lgb.Booster(model_str=over_string)
    booster_mean = lgb.Booster(model_str=mean_string)

    # Calibrate on the later slice with the reloaded booster (the one that will serve).
    x_cal = feature_matrix(split.calibration, cfg.over_features, "train_prop_model")
    raw_cal = np.asarray(booster_over.predict(x_cal, num_threads=1), dtype=np.float64)
    calibrator = fit_calibrator(
        cfg.calibration,
        raw_cal,
        split.calibration["went_over"].to_numpy(),
        bin_rows=cfg.isotonic_bin_rows,
    )

    params_json = _canonical_json(cfg.to_params())
    content = _version_hash(params_json, over_string, mean_string, calibrator.to_json())
    unscored = TrainedModel(
        config=cfg,
        booster_over_string=over_string,
        booster_mean_string=mean_string,
        calibrator=calibrator,
        train_start=to_date(split.train_days[0]),
        trained_rows=len(split.train),
        calibration_rows=len(split.calibration),
        validation_rows=len(split.validation),
        metrics={},
        model_version=make_model_version(cfg.market_family, cfg.train_end, content),
        booster_over=booster_over,
        booster_mean=booster_mean,
    )
    # Validation goes through the same predict path as scoring.
    prob, mean = unscored.predict(split.validation)
    metrics = _validation_metrics(
        prob, unscored.predict_raw_over(split.validation), mean, split.validation
    )
    metrics.update(
        {
            "calibration_method": cfg.calibration,
            "calibration_start": to_date(split.calibration_days[0]).isoformat(),
            "calibration_end": to_date(split.calibration_days[-1]).isoformat(),
            "train_dates": len(split.train_days),
            "train_over_rate": float(y_train.mean()),
            # Counts inside the window only: metrics must not depend on later rows.
            **{f"rows_{k}": counts[k] for k in ("other_market_rows", "unlabelled_rows")},
            "rows_push_rows": counts["push_rows"],
            "rows_labelled": counts["labelled_rows"],
        }
    )
    return dataclasses.replace(unscored, metrics=metrics)


def _parse_json(row: Mapping[str, Any], key: str) -> Any:
    value = row[key]
    if isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"registry row: column {key!r} is not valid JSON ({exc})") from exc


def _as_int(value: Any, key: str) -> int:
    try:
        f = float(value)
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"registry row: {key}={value!r} is not an integer") from exc
    if math.isnan(f) or f != int(f):
        raise ModelLoadError(f"registry row: {key}={value!r} is not an integer")
    return int(f)


def model_from_registry_row(row: Mapping[str, Any]) -> TrainedModel:
    """Rebuild a `TrainedModel` from an `ml_model_registry` row (a dict, or a pandas row read back
    from DuckDB with Timestamps and numpy ints). Raises `ModelLoadError` when anything does not
    add up: missing columns, bad JSON, a booster LightGBM cannot load, feature names that differ,
    or content whose hash no longer matches `model_version` — a model that cannot be trusted
    must fail the build, not score."""
    required = [c for c in REGISTRY_COLUMNS if c != "created_for_run_date"]
    missing = [c for c in required if c not in row]
    if missing:
        raise ModelLoadError(f"registry row lacks column(s) {missing}")
    version = str(row["model_version"])
    params = _parse_json(row, "params")
    try:
        cfg = TrainConfig.from_params(params)
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"{version}: params do not form a valid TrainConfig: {exc}") from exc
    features = _parse_json(row, "feature_columns")
    if list(features) != list(cfg.feature_columns):
        raise ModelLoadError(
            f"{version}: feature_columns {features} differ from params {list(cfg.feature_columns)}"
        )
    try:
        row_train_end = as_date(row["train_end"])
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"{version}: bad train_end {row['train_end']!r}") from exc
    if row_train_end != cfg.train_end:
        raise ModelLoadError(
            f"{version}: train_end {row_train_end} differs from params {cfg.train_end}"
        )
    if str(row["market_family"]) != cfg.market_family:
        raise ModelLoadError(
            f"{version}: market_family {row['market_family']!r} differs from params "
            f"{cfg.market_family!r}"
        )
    over_string = str(row["booster_over"])
    mean_string = str(row["booster_mean"])
    calibrator_json = row["calibrator"]
    if not isinstance(calibrator_json, str):
        calibrator_json = json.dumps(calibrator_json)
    expected = make_model_version(
        cfg.market_family,
        cfg.train_end,
        _version_hash(_canonical_json(params), over_string, mean_string, calibrator_json),
    )
    if expected != version:
        raise ModelLoadError(
            f"registry row {version}: content hash gives {expected}; the boosters, calibrator or "
            "params were changed after registration — refusing to score with it"
        )
    try:
        calibrator = Calibrator.from_json(calibrator_json)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{version}: calibrator does not load: {exc}") from exc
    boosters = []
    for name, text, names in (
        ("booster_over", over_string, cfg.over_features),
        ("booster_mean", mean_string, cfg.mean_features),
    ):
        try:
            booster = lgb.Booster(model_str=text)
        except lgb.basic.LightGBMError as exc:
            raise ModelLoadError(f"{version}: {name} does not load in LightGBM: {exc}") from exc
        if tuple(booster.feature_name()) != tuple(names):
            raise ModelLoadError(
                f"{version}: {name} expects features {booster.feature_name()}, "
                f"params say {list(names)}"
            )
        boosters.append(booster)
    metrics = _parse_json(row, "metrics")
    return TrainedModel(
        config=cfg,
        booster_over_string=over_string,
        booster_mean_string=mean_string,
        calibrator=calibrator,
        train_start=as_date(row["train_start"]),
        trained_rows=_as_int(row["trained_rows"], "trained_rows"),
        calibration_rows=_as_int(row["calibration_rows"], "calibration_rows"),
        validation_rows=_as_int(row["validation_rows"], "validation_rows"),
        metrics=dict(metrics),
        model_version=version,
        booster_over=boosters[0],
        booster_mean=boosters[1],
    )
