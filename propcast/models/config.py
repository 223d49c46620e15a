"""Training configuration for one market family, and the LightGBM parameters derived from it.

The config is the single source of truth for how a model was trained: it is serialised whole into
the registry row's `params` column and is part of the model version hash, so two models with the
same version were trained the same way on the same data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Literal

import lightgbm as lgb

CalibrationMethod = Literal["stack", "isotonic", "platt"]
MeanObjective = Literal["poisson", "regression"]

#: Columns every input frame carries; the two marked "model input" feed the Over booster.
KEY_COLUMNS: tuple[str, ...] = ("game_date", "game_id", "player_id", "market", "line")
MARKET_PROB_COLUMN = "market_prob_over"
STAT_COLUMN = "stat_value"
#: Features the Over booster always sees besides the caller's feature columns.
OVER_EXTRA_FEATURES: tuple[str, ...] = ("line", MARKET_PROB_COLUMN)
#: Names a caller may not use as features: identifiers, the label and our own outputs.
RESERVED_COLUMNS: frozenset[str] = frozenset(
    {
        "game_date",
        "game_id",
        "player_id",
        "market",
        STAT_COLUMN,
        "went_over",
        "prob_over",
        "predicted_mean",
        "model_version",
        "train_end",
    }
)
_FEATURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def as_date(value: Any) -> date:
    """Coerce a date-like value (date, datetime, pandas/numpy timestamp, ISO string) to a date.

    Registry rows come back from DuckDB with dates as `Timestamp`/`datetime64`, from JSON as
    strings; everything downstream compares plain dates.
    """
    if value is None:
        raise ValueError("expected a date, got None")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    # numpy.datetime64 and anything pandas understands
    import pandas as pd

    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"expected a date, got {value!r}")
    return ts.date()


@dataclass(frozen=True)
class TrainConfig:
    """How to train one market family's predictor.

    `markets` lists the `market` values that belong to the family; empty means just
    `market_family` itself (e.g. "player_points"). The split is by distinct game dates up to
    `train_end`: the last `validation_days` dates are validation (metrics only), the dates
    before them that fit the calibrator are the last `calibration_share` of them but at least
    `calibration_days`, the rest train the boosters. Two seasons' warehouse calibrates on 63
    dates instead of 14: the stacker's few coefficients are fitted on rows that move together
    within a date, and 14 dates (~2,000 rows) left rebounds' ECE at 0.012-0.017 on
    bench/quality's fair test (README "Calibration (ECE)"). A warehouse of under 87 dates
    keeps `calibration_days`, so the dates training needs are unchanged.

    `calibration`: "stack" (default) prices each line from the stat's negative-binomial
    distribution around the mean regressor's prediction and stacks it with the market's
    consensus probability (and the Over classifier when `stack_classifier`) by a logistic
    regression fitted on the calibration slice; "isotonic"/"platt" calibrate the Over
    classifier alone (the original predictor). `consensus_weight_column` weights each line's
    implied mean in the market's consensus (None: equal weights). `stack_level_correction`
    shifts the stacker's intercepts by how far the calibration slice's over rate relative to
    the market sits from the whole window's (a 14-date slice's rate wanders with its dates'
    shared shocks; `propcast.models.market_bias.level_shift`); `stack_convex` makes the
    stacker's with-market coefficients sum to 1 (a 14-date slice fits their scale noisily);
    `stack_context` names the feature by which the market lags (`stack_context_column`).
    """

    market_family: str
    feature_columns: Sequence[str]
    train_end: date
    calibration_days: int = 14
    validation_days: int = 14
    calibration_share: float = 0.2
    calibration: CalibrationMethod = "stack"
    seed: int = 7
    # 100 rounds at 0.1 (was 300 at 0.03): a third of the boosting time, the same held-out log
    # loss on bench/quality's world (bench/train_speed.py measures both, side by side).
    num_boost_round: int = 100
    learning_rate: float = 0.1
    num_leaves: int = 7
    min_data_in_leaf: int = 100
    mean_objective: MeanObjective = "poisson"
    markets: Sequence[str] = ()
    min_train_rows: int = 200
    min_calibration_rows: int = 50
    min_validation_rows: int = 20
    isotonic_bin_rows: int = 25
    stack_classifier: bool = False
    consensus_weight_column: str | None = "books_quoting"
    # Take the stacker's level (intercepts) from every labelled date before validation, not
    # from the calibration slice alone (market_bias.level_shift).
    stack_level_correction: bool = True
    # The stacker's with-market coefficients sum to 1 (calibration.fit_stacker's `convex`).
    stack_convex: bool = True
    # A feature by which the market lags (the books learn late who sits out tonight): its lag
    # per unit is read over the window (market_bias.market_lag) and taken out of the market
    # before stacking. Used when it is one of the features; None: never.
    stack_context: str | None = "teammates_out_minutes"

    def __post_init__(self) -> None:
        # Normalise to immutable, JSON-stable forms (lists from callers, datetimes from dbt).
        object.__setattr__(self, "feature_columns", tuple(self.feature_columns))
        object.__setattr__(self, "markets", tuple(self.markets))
        object.__setattr__(self, "train_end", as_date(self.train_end))
        self._validate()

    def _validate(self) -> None:
        problems: list[str] = []
        if not self.market_family:
            problems.append("market_family is empty")
        if not self.feature_columns:
            problems.append("feature_columns is empty")
        if len(set(self.feature_columns)) != len(self.feature_columns):
            problems.append(f"feature_columns has duplicates: {list(self.feature_columns)}")
        bad_names = [c for c in self.feature_columns if not _FEATURE_NAME.match(str(c))]
        if bad_names:
            problems.append(
                f"feature names must be identifiers ([A-Za-z_][A-Za-z0-9_]*): {bad_names}"
            )
        reserved = sorted(set(self.feature_columns) & RESERVED_COLUMNS)
        if reserved:
            problems.append(f"feature_columns may not include ids, label or outputs: {reserved}")
        if self.calibration not in ("stack", "isotonic", "platt"):
            problems.append(
                f"calibration must be 'stack', 'isotonic' or 'platt', got {self.calibration!r}"
            )
        if self.mean_objective not in ("poisson", "regression"):
            problems.append(
                f"mean_objective must be 'poisson' or 'regression', got {self.mean_objective!r}"
            )
        elif self.calibration == "stack" and self.mean_objective != "poisson":
            problems.append(
                "calibration 'stack' prices counts (negative binomial): it needs "
                "mean_objective='poisson'; use 'isotonic' or 'platt' for other stats"
            )
        for name in ("consensus_weight_column", "stack_context"):
            column = getattr(self, name)
            if column is not None and (
                not _FEATURE_NAME.match(str(column)) or column in RESERVED_COLUMNS
            ):
                problems.append(f"{name} must be a plain column name, got {column!r}")
        for name in ("calibration_days", "validation_days", "num_boost_round"):
            if int(getattr(self, name)) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= float(self.calibration_share) <= 0.5:
            problems.append(f"calibration_share must be in [0, 0.5], got {self.calibration_share}")
        if self.num_leaves < 2:
            problems.append(f"num_leaves must be >= 2, got {self.num_leaves}")
        if not 0 < self.learning_rate <= 1:
            problems.append(f"learning_rate must be in (0, 1], got {self.learning_rate}")
        if self.isotonic_bin_rows < 1:
            problems.append(f"isotonic_bin_rows must be >= 1, got {self.isotonic_bin_rows}")
        if self.min_data_in_leaf < 1:
            problems.append(f"min_data_in_leaf must be >= 1, got {self.min_data_in_leaf}")
        if problems:
            raise ValueError("invalid TrainConfig: " + "; ".join(problems))

    @property
    def family_markets(self) -> tuple[str, ...]:
        """The `market` values this family trains on and may score."""
        return tuple(self.markets) or (self.market_family,)

    @property
    def stack_context_column(self) -> str | None:
        """The column the stacker reads as context: `stack_context` when the family stacks and
        has it among its features (a family whose rows lack it stacks without)."""
        if self.calibration == "stack" and self.stack_context in self.feature_columns:
            return self.stack_context
        return None

    @property
    def over_features(self) -> tuple[str, ...]:
        """Feature order of the Over booster: caller's features, then line and market prob."""
        extra = tuple(c for c in OVER_EXTRA_FEATURES if c not in self.feature_columns)
        return tuple(self.feature_columns) + extra

    @property
    def mean_features(self) -> tuple[str, ...]:
        """Feature order of the mean regressor: the caller's features only."""
        return tuple(self.feature_columns)

    def lgb_params(self, booster: Literal["over", "mean"]) -> dict[str, Any]:
        """LightGBM parameters, fixed for reproducibility: one thread, row-wise, all seeds set,
        no bagging or feature subsampling. The same dict builds the Dataset and the booster."""
        objective = "binary" if booster == "over" else self.mean_objective
        return {
            "objective": objective,
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_data_in_leaf": int(self.min_data_in_leaf),
            "lambda_l2": 1.0,
            "feature_fraction": 1.0,
            "bagging_fraction": 1.0,
            "bagging_freq": 0,
            "max_bin": 255,
            "seed": int(self.seed),
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": 1,
            "verbosity": -1,
        }

    def to_params(self) -> dict[str, Any]:
        """JSON-ready dict of the whole config plus the derived LightGBM settings."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[f.name] = value
        out["over_features"] = list(self.over_features)
        out["mean_features"] = list(self.mean_features)
        out["lightgbm_over"] = self.lgb_params("over")
        out["lightgbm_mean"] = self.lgb_params("mean")
        out["lightgbm_version"] = lgb.__version__
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TrainConfig:
        """Rebuild a config from `to_params()` output (derived keys are ignored)."""
        names = {f.name for f in fields(cls)}
        missing = sorted({"market_family", "feature_columns", "train_end"} - set(params))
        if missing:
            raise ValueError(f"params lack required keys {missing}")
        return cls(**{k: v for k, v in params.items() if k in names})
