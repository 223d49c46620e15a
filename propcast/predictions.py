"""The dbt prediction layer's Python side: what `python_models/` call.

The two dbt Python models stay a few lines each (read refs, call one function here, return its
table) because dbt cannot unit-test Python models; everything with logic lives here:

- `scoring_window` / `default_train_end`: the vars a Python model receives through config meta
  (rendered strings; `'None'` when unset), resolved exactly as the SQL macros in
  `macros/pricing/pricing_window.sql` resolve them;
- `train_registry_rows`: one `ml_model_registry` row per market family, skipping versions the
  registry already holds;
- `pick_model` / `score_window`: the newest registered model trained before the window (or the
  pinned one), the guarded scoring path, and the fallback guard per date.

Both return pyarrow tables with a fixed schema, so the warehouse gets DATE columns (not the
TIMESTAMP that pandas' datetime64 would become) and the same types on an empty result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from propcast.family_models import (
    PLAYER_PROP,
    has_settled_totals,
    score_totals,
    train_totals_rows,
)
from propcast.models import (
    TrainConfig,
    check_not_fallback,
    model_from_registry_row,
    score_lines,
    train_prop_model,
)
from propcast.models.config import as_date
from propcast.timeutil import today_in_slate_tz

REGISTRY_SCHEMA = pa.schema(
    [
        ("model_version", pa.string()),
        ("model_family", pa.string()),
        ("market_family", pa.string()),
        ("train_start", pa.date32()),
        ("train_end", pa.date32()),
        ("trained_rows", pa.int64()),
        ("calibration_rows", pa.int64()),
        ("validation_rows", pa.int64()),
        ("feature_columns", pa.string()),
        ("params", pa.string()),
        ("metrics", pa.string()),
        ("booster_over", pa.string()),
        ("booster_mean", pa.string()),
        ("calibrator", pa.string()),
        ("created_for_run_date", pa.date32()),
        ("registered_at", pa.timestamp("us")),
    ]
)

#: fct_predictions: the line's keys and priced snapshot, the prices a recommendation needs, and
#: the model's output. Everything else in the feature row stays in fct_prop_line_features.
PREDICTION_SCHEMA = pa.schema(
    [
        ("game_date", pa.date32()),
        ("game_id", pa.string()),
        ("player_id", pa.string()),
        ("subject_id", pa.string()),
        ("market", pa.string()),
        ("line", pa.float64()),
        ("league", pa.string()),
        ("game_start_utc", pa.timestamp("us")),
        ("pricing_cutoff_utc", pa.timestamp("us")),
        ("priced_fetched_at", pa.timestamp("us")),
        ("market_prob_over", pa.float64()),
        ("books_quoting", pa.int64()),
        ("best_over_price_decimal", pa.float64()),
        ("best_over_price_american", pa.float64()),
        ("best_over_book_id", pa.string()),
        ("best_under_price_decimal", pa.float64()),
        ("best_under_price_american", pa.float64()),
        ("best_under_book_id", pa.string()),
        ("prob_over", pa.float64()),
        ("predicted_mean", pa.float64()),
        ("prob_push", pa.float64()),
        ("model_version", pa.string()),
        ("train_end", pa.date32()),
        ("scored_for_run_date", pa.date32()),
        ("scored_at", pa.timestamp("us")),
    ]
)

_UNSET = ("", "none", "null")


class NoModelRegistered(RuntimeError):
    """No registered model may score the window (none trained before it, or the pin is unknown)."""


def meta_text(value: Any) -> str | None:
    """A config-meta value as stripped text; None for unset vars (rendered 'None' or '')."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in _UNSET else text


def meta_date(value: Any, name: str) -> date | None:
    """A date var from config meta ('YYYY-MM-DD'), None when unset; a clear error otherwise."""
    text = meta_text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"var {name} must be a date 'YYYY-MM-DD', got {text!r}") from None


def meta_list(value: Any) -> list[str]:
    """A list from config meta: a YAML list, a JSON list, or comma-separated text."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = meta_text(value)
    if text is None:
        return []
    if text.startswith("["):
        return [str(v).strip() for v in json.loads(text.replace("'", '"')) if str(v).strip()]
    return [part.strip() for part in text.split(",") if part.strip()]


def meta_mapping(value: Any, name: str) -> dict[str, Any]:
    """A mapping from config meta: a dict, or its JSON text; {} when unset."""
    if isinstance(value, Mapping):
        return dict(value)
    text = meta_text(value)
    if text is None or text == "{}":
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"var {name} must be a mapping (JSON object), got {text!r}") from exc
    if not isinstance(parsed, dict):
        raise ValueError(f"var {name} must be a mapping (JSON object), got {text!r}")
    return parsed


@dataclass(frozen=True)
class ScoringWindow:
    """The dates one invocation scores, and the model pin (None: newest eligible)."""

    run_date: date
    score_start: date
    score_end: date
    model_version: str | None = None

    def dates(self) -> str:
        if self.score_start == self.score_end:
            return str(self.score_start)
        return f"{self.score_start}..{self.score_end}"


def scoring_window(
    *,
    run_date: Any,
    score_start: Any = None,
    score_end: Any = None,
    model_version: Any = None,
    now: datetime | None = None,
) -> ScoringWindow:
    """Resolve the vars as the SQL macros do: run_date defaults to today (US/Eastern) at `now`
    (the run's clock, naive UTC), score_start and score_end to run_date."""
    day = meta_date(run_date, "run_date") or today_in_slate_tz(now)
    start = meta_date(score_start, "score_start") or day
    end = meta_date(score_end, "score_end") or day
    if start > end:
        raise ValueError(f"score_start {start} is after score_end {end}")
    return ScoringWindow(day, start, end, meta_text(model_version))


def default_train_end(run_date: Any, train_end: Any, now: datetime | None = None) -> date:
    """var train_end, else the day before run_date (itself defaulting to today at `now`)."""
    explicit = meta_date(train_end, "train_end")
    if explicit is not None:
        return explicit
    day = meta_date(run_date, "run_date") or today_in_slate_tz(now)
    return day - timedelta(days=1)


def to_pandas(relation: Any) -> pd.DataFrame:
    """A ref as pandas: DuckDB relations (`.df()`), Spark or BigFrames (`toPandas`, `to_pandas`)."""
    if isinstance(relation, pd.DataFrame):
        return relation
    for method in ("df", "to_pandas", "toPandas"):
        if hasattr(relation, method):
            return getattr(relation, method)()
    raise TypeError(f"cannot convert {type(relation).__name__} to pandas")


def run_parameters(relation: Any) -> dict[str, str]:
    """The run's vars from int_run_parameters (one row of text; unset vars read 'None')."""
    frame = to_pandas(relation)
    if len(frame) != 1:
        raise RuntimeError(f"int_run_parameters must hold one row, found {len(frame)}")
    return {str(k): str(v) for k, v in frame.iloc[0].items()}


def run_now(params: Mapping[str, str]) -> datetime:
    """The run's clock from int_run_parameters.now_utc (naive UTC, to the second): the
    pinned PROPCAST_NOW of the run, else the engine's now when the table was built."""
    text = params.get("now_utc", "")
    stamp = pd.Timestamp(text) if text not in ("", "None", "NaT") else None
    if stamp is None or pd.isna(stamp):
        raise RuntimeError(f"int_run_parameters.now_utc is not a time: {text!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.floor("s").to_pydatetime()


def rows_in_window(relation: Any, window: ScoringWindow) -> pd.DataFrame:
    """A ref's rows dated in the window, as pandas. On DuckDB the engine filters first, so a
    morning's scoring reads one slate, not five seasons of lines."""
    if isinstance(relation, duckdb.DuckDBPyRelation):
        relation = relation.filter(
            f"game_date between date '{window.score_start}' and date '{window.score_end}'"
        )
    return to_pandas(relation)


def _table(rows: pd.DataFrame | Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    columns = {}
    for field in schema:
        values = frame[field.name] if field.name in frame.columns else [None] * len(frame)
        if pa.types.is_date32(field.type):
            values = [None if _missing(v) else as_date(v) for v in values]
        elif pa.types.is_timestamp(field.type):
            values = [None if _missing(v) else pd.Timestamp(v).to_pydatetime() for v in values]
        elif pa.types.is_string(field.type):
            values = [None if _missing(v) else str(v) for v in values]
        elif pa.types.is_integer(field.type):
            values = [None if _missing(v) else int(v) for v in values]
        else:
            values = [None if _missing(v) else float(v) for v in values]
        columns[field.name] = pa.array(values, type=field.type)
    return pa.Table.from_pydict(columns, schema=schema)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def train_registry_rows(
    lines: pd.DataFrame,
    *,
    markets: Iterable[str],
    feature_columns: Sequence[str],
    train_end: date,
    created_for_run_date: date | None,
    overrides: Mapping[str, Any] | None = None,
    existing_versions: Iterable[str] = (),
    registered_at: datetime,
    totals: pd.DataFrame | None = None,
) -> pa.Table:
    """Train one model per market family on `lines` (fct_prop_line_features) through
    `train_end` and return the registry rows whose version is not registered yet; with
    `totals` (fct_game_total_features) holding settled games through `train_end`, one totals
    model per league too (propcast.family_models). A warehouse with totals and no prop line
    at all trains the totals models only.

    Training is deterministic, so retraining the same window on the same warehouse gives the
    same `model_version`, which is then skipped: the registry never holds a version twice.
    """
    markets = list(markets)
    if not markets:
        raise ValueError("no market family to train: var prop_markets is empty")
    if not feature_columns:
        raise ValueError("no feature columns: config meta feature_columns is empty")
    known = set(existing_versions)
    rows = [{**row, "created_for_run_date": created_for_run_date, "registered_at": registered_at}
            for row in train_totals_rows(totals, train_end, known)]  # fmt: skip
    if lines.empty and has_settled_totals(totals, train_end):
        markets = []
    for market in markets:
        cfg = TrainConfig(
            market_family=market,
            feature_columns=tuple(feature_columns),
            train_end=train_end,
            **dict(overrides or {}),
        )
        model = train_prop_model(lines, cfg)
        if model.model_version in known:
            continue
        known.add(model.model_version)
        rows.append(
            {
                **model.registry_row(created_for_run_date=created_for_run_date),
                "model_family": PLAYER_PROP,
                "registered_at": registered_at,
            }
        )
    return _table(rows, REGISTRY_SCHEMA)


def pick_model(registry: pd.DataFrame, market: str, window: ScoringWindow) -> Mapping[str, Any]:
    """The registry row that scores `market` on the window: the pinned `model_version` when
    given (it must belong to the family), else the newest one with train_end < score_start
    (latest train_end, then latest registration, then version). Raises NoModelRegistered."""
    if window.model_version is not None:
        pinned = registry[registry["model_version"] == window.model_version]
        if pinned.empty:
            raise NoModelRegistered(
                f"pinned model_version {window.model_version!r} is not in ml_model_registry "
                f"({len(registry)} registered)"
            )
        row = pinned.iloc[0]
        if row["market_family"] == market:
            if as_date(row["train_end"]) >= window.score_start:
                raise NoModelRegistered(
                    f"pinned model {window.model_version} was trained through "
                    f"{as_date(row['train_end'])} and must not score {window.dates()}"
                )
            return row.to_dict()
    family = registry[registry["market_family"] == market]
    if family.empty:
        raise NoModelRegistered(
            f"no model registered for {market}: train one first (propcast train --date "
            f"{window.score_start})"
        )
    ends = np.array([as_date(v) for v in family["train_end"]], dtype="datetime64[D]")
    eligible = family[ends < np.datetime64(window.score_start, "D")]
    if eligible.empty:
        latest = max(as_date(v) for v in family["train_end"])
        raise NoModelRegistered(
            f"no {market} model trained before {window.score_start}: the registered ones end "
            f"at {latest} at the latest; train one with train_end < {window.score_start} "
            f"(propcast train --date {window.score_start})"
        )
    order = eligible.assign(
        _end=[as_date(v) for v in eligible["train_end"]],
        _at=pd.to_datetime(eligible["registered_at"]) if "registered_at" in eligible else 0,
    ).sort_values(["_end", "_at", "model_version"])
    return order.iloc[-1].drop(labels=["_end", "_at"]).to_dict()


def score_window(
    lines: pd.DataFrame,
    registry: pd.DataFrame,
    window: ScoringWindow,
    *,
    scored_at: datetime,
    totals: pd.DataFrame | None = None,
) -> pa.Table:
    """Score the lines of fct_prop_line_features dated in the window, per market family with
    `pick_model`, through `score_lines` (which refuses dates <= train_end), then refuse
    fallback-looking output (`check_not_fallback`, on all rows and per game_date).

    `totals` (fct_game_total_features) rows dated in the window are scored by the newest
    totals model of their league (propcast.family_models.score_totals, its own guard).
    A window without lines (no games, no odds, no mapped player) scores nothing and returns an
    empty table: fct_slate_summary_daily says why. Lines that exist but come back unscored, a
    model that does not load, or flat predictions raise — the node fails loudly.
    """
    days = pd.to_datetime(lines["game_date"]).dt.date
    todo = lines[(days >= window.score_start) & (days <= window.score_end)]
    game_totals = score_totals(totals, registry, window, pick_model)
    if todo.empty:
        return _finish(game_totals, window, scored_at)
    parts = []
    for market, rows in todo.groupby("market", sort=True):
        row = pick_model(registry, str(market), window)
        model = model_from_registry_row(row)
        parts.append(score_lines(model, rows.reset_index(drop=True)))
    scored = pd.concat(parts, ignore_index=True)
    if len(scored) != len(todo):
        raise RuntimeError(f"scored {len(scored)} of {len(todo)} lines for {window.dates()}")
    check_not_fallback(scored, "market_prob_over")
    scored["subject_id"] = scored["player_id"]
    return _finish(pd.concat([scored, game_totals], ignore_index=True), window, scored_at)


def _finish(scored: pd.DataFrame, window: ScoringWindow, scored_at: datetime) -> pa.Table:
    if scored.empty:
        return _table(pd.DataFrame(), PREDICTION_SCHEMA)
    scored = scored.assign(scored_for_run_date=window.run_date, scored_at=scored_at)
    ordered = scored.sort_values(["game_date", "game_id", "subject_id", "market", "line"])
    return _table(ordered.reset_index(drop=True), PREDICTION_SCHEMA)


__all__ = [
    "PREDICTION_SCHEMA",
    "REGISTRY_SCHEMA",
    "NoModelRegistered",
    "ScoringWindow",
    "default_train_end",
    "meta_date",
    "meta_list",
    "meta_mapping",
    "meta_text",
    "pick_model",
    "rows_in_window",
    "run_parameters",
    "score_window",
    "scoring_window",
    "to_pandas",
    "train_registry_rows",
]
