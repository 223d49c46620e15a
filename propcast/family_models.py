"""The game-totals family in the registry and the scoring path (issue 9, docs/imports.md).

`ml_model_registry` holds every model family in one table, told apart by `model_family`:
`player_prop` (propcast.models, one row per market family) and `game_total` (propcast.totals,
one row per league: market_family `game_total_nba`, `game_total_nhl`). A totals row keeps the
LightGBM model string in `booster_mean` and everything else fitted (shrink, spread, stacker,
config) as JSON in `calibrator`; `model_version` is `<market_family>-<train_end>-<hash>` over
that content, as for props, so retraining the same window adds nothing.

`score_totals` prices the rows of fct_game_total_features in a scoring window with the newest
totals model of the league trained before the window (the props' rule), into fct_predictions'
columns: the game is the subject (`subject_id` = game_id, `player_id` null), `predicted_mean`
is the forecast total, `prob_over` is conditional on no push and `prob_push` unconditional.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from propcast.models.config import as_date
from propcast.models.guard import check_not_fallback
from propcast.models.registry import ModelLoadError
from propcast.totals import (
    FEATURE_COLUMNS,
    LEAGUES,
    TotalsModel,
    TotalsTrainError,
    fit_totals_model,
    settled,
)

PLAYER_PROP = "player_prop"
GAME_TOTAL = "game_total"


def totals_family(league: str) -> str:
    """The registry's market_family of a league's totals model (`game_total_nba`)."""
    return f"{GAME_TOTAL}_{league.lower()}"


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _content_hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:12]


def _version(family: str, train_end: date, params: str, booster: str, calibrator: str) -> str:
    return f"{family}-{train_end:%Y%m%d}-{_content_hash(params, booster, calibrator)}"


def totals_registry_row(model: TotalsModel, train_end: date) -> dict[str, Any]:
    """One ml_model_registry row of a fitted totals model trained through `train_end`."""
    record = model.to_record()
    booster = record.pop("booster")
    family = totals_family(model.league)
    config = record.pop("config")
    params = _canonical({"league": model.league, "train_end": train_end.isoformat(), **config})
    calibrator = _canonical(record)
    return {
        "model_version": _version(family, train_end, params, booster, calibrator),
        "model_family": GAME_TOTAL,
        "market_family": family,
        "train_start": model.train_start,
        "train_end": train_end,
        "trained_rows": model.trained_rows,
        "calibration_rows": model.calibration_rows,
        "validation_rows": 0,
        "feature_columns": json.dumps(list(FEATURE_COLUMNS)),
        "params": params,
        "metrics": _canonical(
            {"shrink": model.shrink, "spread": model.spread, "notes": list(model.notes)}
        ),
        "booster_over": None,
        "booster_mean": booster,
        "calibrator": calibrator,
    }


def totals_model_from_row(row: Mapping[str, Any]) -> TotalsModel:
    """The TotalsModel of a registry row; ModelLoadError when its content does not hash to its
    version or does not load (a model that cannot be trusted fails the build)."""
    version = str(row["model_version"])
    params, booster = str(row["params"]), str(row["booster_mean"])
    calibrator = str(row["calibrator"])
    train_end = as_date(row["train_end"])
    if _version(str(row["market_family"]), train_end, params, booster, calibrator) != version:
        raise ModelLoadError(f"registry row {version}: content hash does not match the version")
    try:
        config = json.loads(params)
        league = config.pop("league")
        config.pop("train_end")
        return TotalsModel.from_record(
            {**json.loads(calibrator), "config": config, "booster": booster, "league": league}
        )
    except Exception as exc:  # any load failure is a ModelLoadError
        raise ModelLoadError(f"{version}: totals model does not load: {exc}") from exc


def has_settled_totals(totals: pd.DataFrame | None, train_end: date) -> bool:
    """Whether fct_game_total_features holds a settled game dated <= train_end."""
    if totals is None or totals.empty:
        return False
    return not settled(totals[pd.to_datetime(totals["game_date"]).dt.date <= train_end]).empty


def train_totals_rows(
    totals: pd.DataFrame | None, train_end: date, known: set[str]
) -> list[dict[str, Any]]:
    """Registry rows of one totals model per league with settled games dated <= train_end,
    skipping versions in `known` (added to it). A league with too few settled games for
    fit_totals_model trains nothing; no totals rows, no rows."""
    if totals is None or totals.empty:
        return []
    days = pd.to_datetime(totals["game_date"]).dt.date
    window = settled(totals[days <= train_end])
    rows = []
    for league in LEAGUES:
        part = window[window["league"].astype(str).str.upper() == league]
        if part.empty:
            continue
        try:
            model = fit_totals_model(part.reset_index(drop=True))
        except TotalsTrainError:
            continue  # too few settled games: no totals model for this league yet
        row = totals_registry_row(model, train_end)
        if row["model_version"] not in known:
            known.add(row["model_version"])
            rows.append(row)
    return rows


PickModel = Callable[[pd.DataFrame, str, Any], Mapping[str, Any]]


def score_totals(
    totals: pd.DataFrame | None, registry: pd.DataFrame, window: Any, pick: PickModel
) -> pd.DataFrame:
    """fct_predictions rows of the totals rows dated in the window, per league with the model
    `pick` chooses, refused when they look like a fallback (the guard, on this family alone).
    A league with no totals model registered at all is left unscored (the vendors' totals
    arrive before enough games settle to train one); NoModelRegistered when the league has
    models but none may score the window."""
    if totals is None or totals.empty:
        return pd.DataFrame()
    days = pd.to_datetime(totals["game_date"]).dt.date
    todo = totals[(days >= window.score_start) & (days <= window.score_end)]
    todo = todo[pd.to_numeric(todo["line"], errors="coerce").notna()]
    if todo.empty:
        return pd.DataFrame()
    from propcast.predictions import NoModelRegistered

    parts = []
    for league, rows in todo.groupby(todo["league"].astype(str).str.upper(), sort=True):
        try:
            row = pick(registry, totals_family(str(league)), window)
        except NoModelRegistered:
            # The vendors quote totals from a world's first day; a league trains its totals
            # model once it has enough settled games (fit_totals_model). Until then its lines
            # are not scored (the props still are).
            if _any_family(registry, str(league)):
                raise
            continue
        train_end = as_date(row["train_end"])
        rows = rows.reset_index(drop=True)
        if (pd.to_datetime(rows["game_date"]).dt.date <= train_end).any():
            raise ValueError(f"model {row['model_version']} must not score dates <= {train_end}")
        parts.append(_prediction_rows(totals_model_from_row(row), rows, row, train_end))
    if not parts:
        return pd.DataFrame()
    scored = pd.concat(parts, ignore_index=True)
    check_not_fallback(scored, "market_prob_over")
    return scored


def _any_family(registry: pd.DataFrame, league: str) -> bool:
    """Whether the registry holds any totals model of the league (then a missing one for a
    window is an error: trained after it, say)."""
    if registry is None or registry.empty or "market_family" not in registry.columns:
        return False
    return bool((registry["market_family"] == totals_family(league)).any())


#: fct_game_total_features' priced snapshot, carried to fct_predictions for pricing (null for
#: a game known from imported closes alone).
PRICING_COLUMNS = (
    "pricing_cutoff_utc",
    "priced_fetched_at",
    *(
        f"best_{side}_{what}"
        for side in ("over", "under")
        for what in ("price_decimal", "price_american", "book_id")
    ),
)


def _prediction_rows(
    model: TotalsModel, rows: pd.DataFrame, row: Mapping[str, Any], train_end: date
) -> pd.DataFrame:
    out = model.predict(rows)
    return pd.DataFrame(
        {
            "game_date": pd.to_datetime(rows["game_date"]).dt.date,
            "game_id": rows["game_id"].astype(str),
            "player_id": None,
            "subject_id": rows["game_id"].astype(str),
            "market": GAME_TOTAL,
            "line": pd.to_numeric(rows["line"]).astype(np.float64),
            "league": rows["league"].astype(str).str.upper(),
            "market_prob_over": pd.to_numeric(rows["market_prob_over"], errors="coerce"),
            "books_quoting": rows.get("book_count"),
            **{column: rows.get(column) for column in PRICING_COLUMNS},
            "prob_over": out["prob_over"].to_numpy(),
            "prob_push": out["prob_push"].to_numpy(),
            "predicted_mean": out["predicted_total"].to_numpy(),
            "model_version": str(row["model_version"]),
            "train_end": train_end,
        }
    )


__all__ = [
    "GAME_TOTAL",
    "PLAYER_PROP",
    "has_settled_totals",
    "score_totals",
    "totals_family",
    "totals_model_from_row",
    "totals_registry_row",
    "train_totals_rows",
]
