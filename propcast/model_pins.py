"""Which model scores: the newest eligible one, unless a version is pinned.

The pin lives in PROPCAST_HOME/model_pin.json, so it is readable while a run holds the
warehouse; run-day passes it to dbt as the var `model_version` (`predictions.pick_model`
honours it and fails loudly when the pinned version is unknown or trained on/after the slate).

Every pin, unpin and rollback is appended to PROPCAST_HOME/model_pins.jsonl (who, when, why,
the version before and after): the file is never rewritten, so it is the audit trail of which
model was made to serve when (DESIGN §7, incident 11).
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from propcast.settings import Home
from propcast.timeutil import utc_now
from propcast.warehouse import connect


class PinError(RuntimeError):
    """A pin, unpin or rollback cannot be done; the message says why and what to run."""


def pin_path(home: Home) -> Path:
    return home.root / "model_pin.json"


def history_path(home: Home) -> Path:
    return home.root / "model_pins.jsonl"


def pinned_version(home: Home) -> str | None:
    """The pinned model_version, or None when the newest eligible model scores."""
    path = pin_path(home)
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("model_version") or None


@dataclass(frozen=True)
class PinEvent:
    """One line of the pin history."""

    at: str
    action: str  # pin | unpin | rollback
    model_version: str | None  # pinned after the action (None: unpinned)
    previous: str | None  # pinned before the action (None: none was)
    who: str
    why: str | None


def _who() -> str:
    for key in ("PROPCAST_USER", "USER", "LOGNAME"):
        if os.environ.get(key):
            return os.environ[key]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def read_history(home: Home) -> list[PinEvent]:
    """The pin history, oldest first (lines that do not parse are skipped, never rewritten)."""
    path = history_path(home)
    if not path.exists():
        return []
    events = []
    for line in path.read_text().splitlines():
        try:
            events.append(PinEvent(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return events


def _record(home: Home, action: str, version: str | None, why: str | None) -> PinEvent:
    """Write (or remove) the pin file atomically, then append the event to the history."""
    event = PinEvent(
        at=f"{utc_now():%Y-%m-%dT%H:%M:%S}Z",
        action=action,
        model_version=version,
        previous=pinned_version(home),
        who=_who(),
        why=why,
    )
    home.root.mkdir(parents=True, exist_ok=True)
    path = pin_path(home)
    if version is None:
        path.unlink(missing_ok=True)
    else:
        body = {"model_version": version, "pinned_at": event.at, "by": event.who, "why": why}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=2) + "\n")
        tmp.replace(path)
    with history_path(home).open("a") as log:
        log.write(json.dumps(asdict(event)) + "\n")
    return event


def _connect(home: Home) -> duckdb.DuckDBPyConnection:
    """The warehouse, which must exist (duckdb.connect would create an empty one)."""
    if not home.warehouse.exists():
        raise PinError(
            f"no warehouse at {home.warehouse}: build and train first (propcast demo, or "
            "propcast ingest && propcast build && propcast train)"
        )
    return connect(home)


def read_registry(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """ml_model_registry whole (empty frame when the table does not exist yet)."""
    try:
        return con.execute("select * from main.ml_model_registry").df()
    except duckdb.CatalogException:
        return pd.DataFrame(
            columns=["model_version", "market_family", "train_end", "registered_at"]
        )


def scoring_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per model_version that scored: first and last game_date and rows (fct_predictions)."""
    try:
        return con.execute(
            "select model_version, min(game_date) as first_scored, max(game_date) as last_scored,"
            " count(*) as rows_scored from main.fct_predictions group by model_version"
        ).df()
    except duckdb.CatalogException:
        return pd.DataFrame(columns=["model_version", "first_scored", "last_scored", "rows_scored"])


def scorer_for(registry: pd.DataFrame, family: str, day: date, pin: str | None) -> tuple[str, str]:
    """(model_version, why) of the model that scores `family` on `day`: the production rule
    (`pick_model`). Raises NoModelRegistered as scoring would."""
    from propcast.predictions import ScoringWindow, pick_model  # LightGBM: only when asked

    row = pick_model(registry, family, ScoringWindow(day, day, day, pin))
    version = str(row["model_version"])
    if pin is not None and version == pin:
        return version, "pinned"
    return version, f"newest trained before {day}"


@dataclass(frozen=True)
class ModelInfo:
    model_version: str
    market_family: str
    train_end: str
    registered_at: str | None
    first_scored: str | None
    last_scored: str | None
    scores_now: str | None  # why it scores `day` (pinned / newest ...), None when it does not

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _day_text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(pd.Timestamp(value).date())


def list_models(home: Home, day: date) -> tuple[list[ModelInfo], dict[str, str]]:
    """Every registered model (oldest first) and, per family, why none scores `day` (problems:
    the pin unknown, nothing trained before `day`)."""
    from propcast.predictions import NoModelRegistered

    with _connect(home) as con:
        registry = read_registry(con)
        scored = scoring_history(con).set_index("model_version")
    pin = pinned_version(home)
    scorers: dict[str, tuple[str, str]] = {}
    problems: dict[str, str] = {}
    for family in sorted(set(registry["market_family"])):
        try:
            scorers[family] = scorer_for(registry, family, day, pin)
        except NoModelRegistered as exc:
            problems[family] = str(exc)
    order = registry.sort_values(["train_end", "registered_at", "model_version"])
    models = []
    for row in order.itertuples(index=False):
        version, family = str(row.model_version), str(row.market_family)
        hist = scored.loc[version] if version in scored.index else None
        current = scorers.get(family)
        models.append(
            ModelInfo(
                model_version=version,
                market_family=family,
                train_end=str(_day_text(row.train_end)),
                registered_at=None if pd.isna(row.registered_at) else str(row.registered_at),
                first_scored=None if hist is None else _day_text(hist["first_scored"]),
                last_scored=None if hist is None else _day_text(hist["last_scored"]),
                scores_now=current[1] if current and current[0] == version else None,
            )
        )
    return models, problems


def pin(home: Home, version: str, why: str | None = None) -> tuple[PinEvent, ModelInfo]:
    """Pin `version` (it must be registered); run-day and recover then score with it."""
    with _connect(home) as con:
        registry = read_registry(con)
    found = registry[registry["model_version"] == version]
    if found.empty:
        known = ", ".join(map(str, registry["model_version"])) or "none"
        raise PinError(
            f"model_version {version!r} is not in ml_model_registry (registered: {known}); "
            "see `propcast model list`"
        )
    row = found.iloc[0]
    event = _record(home, "pin", version, why)
    info = ModelInfo(
        version, str(row["market_family"]), str(pd.Timestamp(row["train_end"]).date()),
        str(row.get("registered_at")), None, None, "pinned",
    )  # fmt: skip
    return event, info


def unpin(home: Home, why: str | None = None) -> PinEvent | None:
    """Release the pin (the newest eligible model scores again); None when nothing was pinned."""
    if pinned_version(home) is None:
        return None
    return _record(home, "unpin", None, why)


def rollback_target(home: Home, day: date) -> tuple[str, str]:
    """(current, previous): the version that scores `day` now (the pin, else the newest) and
    the version of its family that scored before it (latest last-scored date in
    fct_predictions). Raises PinError when there is none."""
    from propcast.predictions import NoModelRegistered

    with _connect(home) as con:
        registry = read_registry(con)
        scored = scoring_history(con)
    if registry.empty:
        raise PinError("ml_model_registry is empty: train a model first (propcast train)")
    pin_now = pinned_version(home)
    if pin_now is not None and (registry["model_version"] == pin_now).any():
        family = str(registry.loc[registry["model_version"] == pin_now, "market_family"].iloc[0])
        current = pin_now
    else:
        newest = registry.sort_values(["registered_at", "train_end", "model_version"]).iloc[-1]
        family = str(newest["market_family"])
        try:
            current, _ = scorer_for(registry, family, day, None)
        except NoModelRegistered as exc:
            raise PinError(f"no model scores {day}: {exc}") from None
    in_family = set(registry.loc[registry["market_family"] == family, "model_version"])
    earlier = scored[scored["model_version"].isin(in_family - {current})]
    if earlier.empty:
        raise PinError(
            f"no earlier {family} version has scored a slate (only {current}): nothing to roll "
            "back to; pin one by name with `propcast model pin VERSION` (see `propcast model list`)"
        )
    previous = earlier.sort_values(["last_scored", "first_scored", "model_version"]).iloc[-1]
    return current, str(previous["model_version"])


def rollback(home: Home, day: date, why: str | None = None) -> tuple[PinEvent, str]:
    """Pin the version that scored before the one serving now; returns (event, replaced)."""
    current, previous = rollback_target(home, day)
    return _record(home, "rollback", previous, why or f"rollback from {current}"), current


__all__ = [
    "ModelInfo",
    "PinError",
    "PinEvent",
    "history_path",
    "list_models",
    "pin",
    "pin_path",
    "pinned_version",
    "read_history",
    "read_registry",
    "rollback",
    "rollback_target",
    "scorer_for",
    "scoring_history",
    "unpin",
]
