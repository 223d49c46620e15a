"""The `ml_model_registry` round trip: a registry row back to a `TrainedModel`, refused
(`ModelLoadError`) when anything does not add up, so a tampered or corrupt model fails the
build instead of scoring."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import lightgbm as lgb

from propcast.models.calibration import calibrator_from_json
from propcast.models.config import TrainConfig, as_date
from propcast.models.trained import (
    TrainedModel,
    canonical_json,
    make_model_version,
    model_content_hash,
)

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


def _config(row: Mapping[str, Any], version: str, params: Any) -> TrainConfig:
    """The row's `TrainConfig`, refused unless its features, train_end and family agree with the
    row's own columns."""
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
    return cfg


def _booster(version: str, column: str, text: str, features: tuple[str, ...]) -> lgb.Booster:
    """The LightGBM booster in `column`, refused unless it loads and reads `features`."""
    try:
        booster = lgb.Booster(model_str=text)
    except lgb.basic.LightGBMError as exc:
        raise ModelLoadError(f"{version}: {column} does not load in LightGBM: {exc}") from exc
    if tuple(booster.feature_name()) != tuple(features):
        raise ModelLoadError(
            f"{version}: {column} expects features {booster.feature_name()}, "
            f"params say {list(features)}"
        )
    return booster


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
    cfg = _config(row, version, params)
    over_string = str(row["booster_over"])
    mean_string = str(row["booster_mean"])
    calibrator_json = row["calibrator"]
    if not isinstance(calibrator_json, str):
        calibrator_json = json.dumps(calibrator_json)
    expected = make_model_version(
        cfg.market_family,
        cfg.train_end,
        model_content_hash(canonical_json(params), over_string, mean_string, calibrator_json),
    )
    if expected != version:
        raise ModelLoadError(
            f"registry row {version}: content hash gives {expected}; the boosters, calibrator or "
            "params were changed after registration — refusing to score with it"
        )
    try:
        calibrator = calibrator_from_json(calibrator_json)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{version}: calibrator does not load: {exc}") from exc
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
        booster_over=_booster(version, "booster_over", over_string, cfg.over_features),
        booster_mean=_booster(version, "booster_mean", mean_string, cfg.mean_features),
    )
