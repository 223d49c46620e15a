"""When the morning job trains, and the training invocation itself (dbt models tagged `train`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import duckdb

from propcast.dbt_runner import Dbt, DbtResult
from propcast.settings import Home, SettingsError
from propcast.timeutil import default_cutoff
from propcast.warehouse import connect

DEFAULT_RETRAIN_EVERY_DAYS = 7
#: Training: the models tagged `train` (the predictors), the run's vars they read
#: (int_run_parameters) and the marts refreshed with the predictors rather than every morning
#: (tag `refresh_with_training`: fct_outcome_correlations). `propcast train` and run-day on a
#: retrain day run it; `propcast build` builds the latter too (it excludes tag `train` only).
TRAIN_SELECTION = ["--select", "int_run_parameters", "tag:train", "tag:refresh_with_training"]


def dbt_vars(run_date: date, cutoff: datetime, **extra: object) -> dict[str, object]:
    return {"run_date": run_date.isoformat(), "cutoff_utc": f"{cutoff:%Y-%m-%d %H:%M:%S}", **extra}


def registered_models(home: Home, before: date) -> int:
    """Registered models whose training window ends before the date (0 if none or no table)."""
    return newest_train_end(home, before)[1]


def newest_train_end(home: Home, before: date) -> tuple[date | None, int]:
    """The newest training window end before the date, and how many models end before it."""
    if not home.warehouse.exists():
        return None, 0
    with connect(home) as con:
        try:
            newest, count = con.execute(
                "select max(train_end), count(*) from main.ml_model_registry where train_end < ?",
                [before],
            ).fetchone()
        except duckdb.CatalogException:
            return None, 0
    return newest, count


def retrain_every_days() -> int:
    """PROPCAST_RETRAIN_EVERY_DAYS (default 7): the morning job retrains when the newest model's
    outcomes end this many days or more before the slate's eve; 0 trains only when no model
    exists. Scoring itself never trains."""
    raw = os.environ.get("PROPCAST_RETRAIN_EVERY_DAYS", "").strip()
    if not raw:
        return DEFAULT_RETRAIN_EVERY_DAYS
    if not raw.isdigit():
        raise SettingsError(
            f"PROPCAST_RETRAIN_EVERY_DAYS={raw!r} must be a whole number of days "
            "(0: train only when no model exists)"
        )
    return int(raw)


def families_without_model(home: Home, before: date, markets: Sequence[str]) -> list[str]:
    """The prop families of `markets` with no model whose training ends before the date (a
    family added to prop_markets, e.g. after an upgrade); none without a registry table."""
    if not markets or not home.warehouse.exists():
        return []
    with connect(home) as con:
        try:
            rows = con.execute(
                "select distinct market_family from main.ml_model_registry where train_end < ?",
                [before],
            ).fetchall()
        except duckdb.CatalogException:
            return []
    trained = {family for (family,) in rows}
    return [m for m in markets if m not in trained]


def families_without_lines(home: Home, before: date, markets: Sequence[str]) -> list[str]:
    """The families of `markets` with no settled line in fct_prop_line_features before the
    date: the mart holds the lines of the families priced when each slice was built, so one
    added to prop_markets has none until a full refresh builds its history."""
    if not markets or not home.warehouse.exists():
        return list(markets)
    with connect(home) as con:
        try:
            rows = con.execute(
                "select distinct market from main.fct_prop_line_features "
                "where game_date < ? and stat_value is not null",
                [before],
            ).fetchall()
        except duckdb.CatalogException:
            return list(markets)
    have = {market for (market,) in rows}
    return [m for m in markets if m not in have]


def training_due(
    home: Home, run_date: date, every_days: int, missing: Sequence[str] = ()
) -> str | None:
    """Why the morning job for run_date trains first (None: it scores with the newest model):
    no model at all, priced families without one (`missing`: `families_without_model`), or
    the newest model older than `every_days`."""
    newest, _ = newest_train_end(home, run_date)
    eve = run_date - timedelta(days=1)
    if newest is None:
        return f"no model registered before {run_date}"
    if missing:
        return f"no {', '.join(missing)} model registered before {run_date}"
    age = (eve - newest).days
    if every_days and age >= every_days:
        return (
            f"newest model's outcomes end {newest}, {age} days before {eve} "
            f"(retraining every {every_days} days)"
        )
    return None


def train(
    home: Home,
    train_end: date,
    *,
    dbt: Dbt | None = None,
    overrides: dict[str, object] | None = None,
) -> DbtResult:
    """Train and register the predictors on outcomes through `train_end` (tag `train`), and
    refresh the marts refreshed with them (tag `refresh_with_training`).
    `overrides` go to the var `train_overrides` (e.g. shorter validation and calibration
    windows for a season too short for the defaults)."""
    dbt = dbt or Dbt(home)
    run_date = train_end + timedelta(days=1)
    cutoff = default_cutoff(run_date)
    extra: dict[str, object] = {"train_end": train_end.isoformat()}
    if overrides:
        extra["train_overrides"] = overrides
    return dbt.invoke(["run", *TRAIN_SELECTION], run_vars=dbt_vars(run_date, cutoff, **extra))
