"""Train a calibrated LightGBM predictor for one player-prop market family; registry round-trip.

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
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from propcast.models.calibration import (
    STACK_CLASSIFIER,
    STACK_DISTRIBUTION,
    STACK_MARKET,
    Calibrator,
    Stacker,
    calibrator_from_json,
    fit_calibrator,
    fit_stacker,
    level_shift,
    to_logit,
)
from propcast.models.config import (
    KEY_COLUMNS,
    MARKET_PROB_COLUMN,
    STAT_COLUMN,
    TrainConfig,
    as_date,
)
from propcast.models.distribution import consensus_prob_over, fit_dispersion, prob_over
from propcast.models.frames import (
    day,
    feature_matrix,
    game_days,
    numeric_column,
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
class _Labelled:
    """The rows training may use, in canonical order, as arrays: where each row sits in the
    input frame, its game day and label, and the numeric columns training reads (line, market
    probability, stat and features, float64)."""

    positions: np.ndarray
    days: np.ndarray
    went_over: np.ndarray
    columns: Mapping[str, np.ndarray]
    counts: Mapping[str, int]
    all_days: np.ndarray

    def frame(self, rows: pd.DataFrame, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Rows [start, stop) of the canonical order as a frame: the input's columns plus
        `_day`, `_pos` (position in the input) and `went_over`."""
        pos = self.positions[start:stop]
        out = rows.iloc[pos].copy()
        out["_day"] = self.days[start:stop]
        out["_pos"] = pos
        out["went_over"] = self.went_over[start:stop]
        return out

    def matrix(self, names: tuple[str, ...], stop: int) -> np.ndarray:
        """Columns `names` of rows [0, stop), laid out column by column (F order)."""
        out = np.empty((stop, len(names)), dtype=np.float64, order="F")
        for j, name in enumerate(names):
            out[:, j] = self.columns[name][:stop]
        return out


@dataclass(frozen=True)
class _Split:
    """Training is the first `train_rows` labelled rows (sorted by date); calibration and
    validation (small) are frames."""

    train_rows: int
    calibration: pd.DataFrame
    validation: pd.DataFrame
    train_days: np.ndarray
    calibration_days: np.ndarray
    validation_days: np.ndarray


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


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _version_hash(params_json: str, booster_over: str, booster_mean: str, calibrator: str) -> str:
    h = hashlib.sha256()
    for part in (params_json, booster_over, booster_mean, calibrator):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:12]


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
    return _logits(
        model.config,
        model.booster_mean,
        model.booster_over,
        rows,
        dispersion,
        classifier=STACK_CLASSIFIER in needed or model.config.stack_classifier,
        mean=mean,
        sources=sources,
    )


def _logits(
    cfg: TrainConfig,
    booster_mean: lgb.Booster,
    booster_over: lgb.Booster,
    rows: pd.DataFrame,
    dispersion: float,
    *,
    classifier: bool,
    mean: np.ndarray | None = None,
    sources: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Logit inputs of the stacker for `rows` (all lines of their player-games) and which rows
    have a market consensus; `sources`, when given, receives the probabilities behind the
    distribution's and the market's logits."""
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
    return logits, np.isfinite(consensus)


def learnt_something(booster: lgb.Booster) -> bool:
    """Whether a booster split on any feature (a model of single-leaf trees learnt nothing)."""
    return int(np.sum(booster.feature_importance("split"))) > 0


def make_model_version(market_family: str, train_end: date, content_hash: str) -> str:
    """`<family>-<YYYYMMDD>-<hash>`: readable in `status`, unique per trained content."""
    return f"{market_family}-{train_end:%Y%m%d}-{content_hash}"


def labelled_rows(rows: pd.DataFrame, cfg: TrainConfig) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows training may use, with `went_over` added, plus counts of what was dropped.

    Kept: the family's markets, `game_date <= train_end`, known `stat_value` and `line`, and not
    a push (`stat_value == line`, possible only on integer lines).
    """
    labelled = _label(rows, cfg)
    return labelled.frame(rows), dict(labelled.counts)


def _codes(values: np.ndarray | pd.Series) -> tuple[np.ndarray, int]:
    """Dense codes ordering `values` (strings as strings sort, numbers as numbers; missing
    values last) and how many codes there can be."""
    if isinstance(values, pd.Series):
        codes, uniques = pd.factorize(values.astype("string"), sort=True)
        return np.where(codes < 0, len(uniques), codes).astype(np.int64), len(uniques) + 1
    uniques, codes = np.unique(values, return_inverse=True)  # NaN sorts last
    return codes.astype(np.int64), len(uniques)


def _combined_key(parts: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int64 key ordering rows as the codes in `parts` do, first part first (dense
    re-coding when the product of the sizes would overflow)."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    size = 1
    for codes, n in parts:
        if size * n >= 2**62:
            uniques, inverse = np.unique(key, return_inverse=True)
            key, size = inverse.astype(np.int64), len(uniques)
        key = key * n + codes
        size *= n
    return key


def _canonical_order(
    keys: list[tuple[np.ndarray, int]], tie_breaks: Callable[[np.ndarray], list[np.ndarray]]
) -> np.ndarray:
    """The stable order by the coded `keys`, then, where rows tie on every key, by the values
    `tie_breaks(rows)` gives for those rows (NaN last). The warehouse's grain (game, player,
    market, line) makes the keys unique; rows that tie on them anyway are ordered among
    themselves only."""
    key = _combined_key(keys)
    order = np.argsort(key, kind="stable")
    if len(order) < 2:
        return order
    ranked = key[order]
    tied = ranked[1:] == ranked[:-1]
    if not tied.any():
        return order
    # Runs of equal keys (contiguous in `order`): sort the rows of runs longer than one by
    # (run, tie breaks) and put them back in their runs' places.
    run = np.concatenate(([0], np.cumsum(~tied)))
    in_tie = np.zeros(len(order), dtype=bool)
    in_tie[1:] |= tied
    in_tie[:-1] |= tied
    where = np.flatnonzero(in_tie)
    rows = order[where]
    inner = np.lexsort([run[where], *tie_breaks(rows)][::-1])
    order[where] = rows[inner]
    return order


def _label(rows: pd.DataFrame, cfg: TrainConfig) -> _Labelled:
    """`labelled_rows` as arrays (no copy of the frame): see there."""
    needed = ["game_date", "market", "line", MARKET_PROB_COLUMN, STAT_COLUMN]
    if cfg.calibration == "stack":
        # The market consensus groups the lines of a player-game (and may weight them).
        needed += ["game_id", "player_id"]
        if cfg.consensus_weight_column is not None:
            needed.append(cfg.consensus_weight_column)
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
    if cfg.mean_objective == "poisson" and (stat[keep] < 0).any():
        raise ValueError(
            f"{cfg.market_family}: negative stat_value with mean_objective='poisson'; "
            "use mean_objective='regression'"
        )
    kept = np.flatnonzero(keep)
    values = list(dict.fromkeys(["line", MARKET_PROB_COLUMN, STAT_COLUMN, *cfg.feature_columns]))
    # Every column aligned with `rows` (float64 columns without a copy).
    full: dict[str, np.ndarray] = {"line": line, STAT_COLUMN: stat}
    bad: list[str] = []
    for name in values:
        if name in full:
            continue
        col = rows[name]
        if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
            full[name] = numeric_column(col)[0]
            continue
        # Others convert on the kept rows only: a bad value training does not use is no error.
        converted, first_bad = numeric_column(col.iloc[kept])
        if first_bad is not None:
            bad.append(f"{name} (e.g. {first_bad!r})")
            continue
        full[name] = np.full(len(rows), np.nan)
        full[name][kept] = converted
    if bad:
        raise ValueError(f"train_prop_model: non-numeric feature column(s): {', '.join(bad)}")
    # A SQL table has no row order: sort on the business key (then the values, for exact
    # duplicates) so the same rows always train the same boosters, whatever order the warehouse
    # returned them in.
    ids = [c for c in ("game_id", "player_id", "market") if c in rows.columns]
    day_kept = days[kept].astype(np.int64)
    first = int(day_kept.min()) if len(kept) else 0
    keys = [
        (day_kept - first, int(day_kept.max()) - first + 1 if len(kept) else 1),
        *(_codes(rows[c].iloc[kept]) for c in ids),
        _codes(line[kept]),
    ]
    order = _canonical_order(keys, lambda at: [full[v][kept[at]] for v in values[1:]])
    positions = kept[order]
    return _Labelled(
        positions=positions,
        days=days[positions],
        went_over=(stat[positions] > line[positions]).astype(np.int8),
        columns={name: column[positions] for name, column in full.items()},
        counts=counts,
        all_days=days,
    )


def _span(days: np.ndarray) -> str:
    return f"{to_date(days[0])}..{to_date(days[-1])} ({len(days)} dates)"


def calibration_date_count(n_dates: int, cfg: TrainConfig) -> int:
    """The calibration slice's dates out of `n_dates` labelled ones: the last
    `calibration_share` of the dates before validation, at least `calibration_days`."""
    before = n_dates - cfg.validation_days
    return max(cfg.calibration_days, round(cfg.calibration_share * before))


def time_split(labelled: _Labelled, rows: pd.DataFrame, cfg: TrainConfig) -> _Split:
    """Split by distinct dates up to train_end: [train | calibration | validation_days], the
    calibration slice `calibration_date_count` dates long."""
    counts = labelled.counts
    days = np.unique(labelled.days)
    need_days = cfg.validation_days + cfg.calibration_days + 1
    context = (
        f"{cfg.market_family} up to train_end {cfg.train_end}: {len(labelled.days)} labelled "
        f"rows on {len(days)} distinct game dates (input {counts['input_rows']} rows; dropped "
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
    n_cal = calibration_date_count(len(days), cfg)
    val_days = days[-cfg.validation_days :]
    cal_days = days[-(cfg.validation_days + n_cal) : -cfg.validation_days]
    train_days = days[: -(cfg.validation_days + n_cal)]
    # The labelled rows are sorted by date: each slice is a contiguous run of them.
    cal_start = int(np.searchsorted(labelled.days, cal_days[0], side="left"))
    val_start = int(np.searchsorted(labelled.days, val_days[0], side="left"))
    split = _Split(
        train_rows=cal_start,
        calibration=labelled.frame(rows, cal_start, val_start),
        validation=labelled.frame(rows, val_start),
        train_days=train_days,
        calibration_days=cal_days,
        validation_days=val_days,
    )
    problems = []
    for name, size, outcomes, minimum in (
        ("training", cal_start, labelled.went_over[:cal_start], cfg.min_train_rows),
        (
            "calibration",
            len(split.calibration),
            split.calibration["went_over"].to_numpy(),
            cfg.min_calibration_rows,
        ),
        ("validation", len(split.validation), None, cfg.min_validation_rows),
    ):
        if size < minimum:
            problems.append(f"{name} slice has {size} rows (< {minimum})")
        elif outcomes is not None and len(np.unique(outcomes)) < 2:
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


def _fit_stack(
    cfg: TrainConfig,
    rows: pd.DataFrame,
    calibration: pd.DataFrame,
    booster_mean: lgb.Booster,
    booster_over: lgb.Booster,
    days: np.ndarray | None = None,
    level: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Stacker:
    """Dispersion and stacker on the calibration slice, from predictions for dates the boosters
    never saw. `level`: the market probability, outcome and whether in the slice of every
    labelled row up to the slice's end; with it (and `stack_level_correction`) the intercepts
    are shifted by `level_shift`, the slice's wander from the window's level."""
    x_mean = feature_matrix(calibration, cfg.mean_features, "train_prop_model")
    mean = np.asarray(booster_mean.predict(x_mean, num_threads=1), dtype=np.float64)
    stat = pd.to_numeric(calibration[STAT_COLUMN]).to_numpy(dtype=np.float64)
    dispersion = fit_dispersion(mean, stat)
    slate, pick = _slate_rows(rows, cfg, calibration, days)
    logits, has = _logits(
        cfg, booster_mean, booster_over, slate, dispersion, classifier=cfg.stack_classifier
    )
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
    )
    if level is None or not cfg.stack_level_correction:
        return stacker
    market, went, in_slice = level
    shift = level_shift(to_logit(market), went, in_slice)
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
        labelled = _label(rows, cfg)
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
            level = (labelled.columns[MARKET_PROB_COLUMN][:end], labelled.went_over[:end], in_slice)
            calibrator = _fit_stack(
                cfg, rows, split.calibration, booster_mean, booster_over, labelled.all_days, level
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
    labelled: _Labelled,
    split: _Split,
    boosters: tuple[str, str, lgb.Booster, lgb.Booster],
    calibrator: Calibrator | Stacker,
) -> TrainedModel:
    """The fingerprinted model with its validation metrics (`boosters`: the Over and mean
    boosters' strings, then the boosters reloaded from them)."""
    over_string, mean_string, booster_over, booster_mean = boosters
    counts = labelled.counts
    y_train = labelled.went_over[: split.train_rows].astype(np.float64)
    params_json = _canonical_json(cfg.to_params())
    content = _version_hash(params_json, over_string, mean_string, calibrator.to_json())
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
            **stack,
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
        calibrator = calibrator_from_json(calibrator_json)
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
