"""The morning job for one slate date: fetch, ingest, (train when due), build, score, price, report.

Phases are recorded in a run state file as they go, so `propcast status` can tell where a run
stands even while the warehouse file is locked by it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb

from propcast import reports
from propcast.dbt_runner import Dbt, DbtResult
from propcast.fetch import fetch_from_feeds
from propcast.ingest import ingest
from propcast.model_pins import pinned_version
from propcast.runs import RunRecorder, load_run_registry
from propcast.settings import Home, SettingsError
from propcast.timeutil import default_cutoff
from propcast.warehouse import connect

ODDS_VENDORS = ("oddsapi", "csvfeed", "decimalfeed")
DEFAULT_RETRAIN_EVERY_DAYS = 7
#: Training: the models tagged `train` and the run's vars they read (int_run_parameters).
TRAIN_SELECTION = ["--select", "int_run_parameters", "tag:train"]
PHASE_TAGS = {
    "phase_staging": "staging",
    "phase_analytics": "analytics",
    "phase_features": "features",
    "phase_predictions": "predictions",
}

Say = Callable[[str], None]


@dataclass
class DayOutcome:
    run_date: date
    cutoff: datetime
    status: str  # ok | degraded | failed
    message: str
    run_id: str
    vendors: dict[str, str] = field(default_factory=dict)
    trained: str | None = None
    build: DbtResult | None = None
    reports: list[str] = field(default_factory=list)


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


def training_due(home: Home, run_date: date, every_days: int) -> str | None:
    """Why the morning job for run_date trains first (None: it scores with the newest model)."""
    newest, _ = newest_train_end(home, run_date)
    eve = run_date - timedelta(days=1)
    if newest is None:
        return f"no model registered before {run_date}"
    age = (eve - newest).days
    if every_days and age >= every_days:
        return (
            f"newest model's outcomes end {newest}, {age} days before {eve} "
            f"(retraining every {every_days} days)"
        )
    return None


def fetch_for_day(home: Home, run_date: date, cutoff: datetime, say: Say) -> dict[str, str]:
    """What the vendors had published by the cutoff: the slate's odds, results through D-1."""
    feeds = home.world / "feeds"
    vendors: dict[str, str] = {}
    if not feeds.exists():
        say("no vendor feeds configured (demo world absent): ingesting the inbox as it is")
        return vendors
    odds = fetch_from_feeds(
        home, feeds, cutoff=cutoff, game_dates={run_date}, vendors=set(ODDS_VENDORS)
    )
    results = fetch_from_feeds(home, feeds, cutoff=cutoff, vendors={"league"})
    published = {p.name for p in feeds.iterdir() if p.is_dir()}
    failed = {**odds.failed_vendors, **results.failed_vendors}
    vendors = {v: f"failed: {failed[v]}" if v in failed else "ok" for v in sorted(published)}
    say(
        f"fetched {odds.copied} odds files for {run_date} and {results.copied} league files "
        f"published by {cutoff:%Y-%m-%d %H:%M} UTC"
    )
    return vendors


def node_phases(dbt: Dbt, result: DbtResult) -> dict[str, str]:
    """Per phase: failed if any node of it failed, degraded if any warned, else ok."""
    manifest = dbt.manifest()
    outcome: dict[str, str] = {}
    rank = {"ok": 0, "degraded": 1, "failed": 2}
    for node in result.nodes:
        graph_node = manifest.nodes.get(node.unique_id)
        tags = getattr(graph_node, "tags", []) or []
        parent = _parent_model(manifest, graph_node)
        tags = tags or (getattr(parent, "tags", []) if parent else [])
        for tag in tags:
            phase = PHASE_TAGS.get(tag)
            if not phase:
                continue
            state = {"error": "failed", "fail": "failed", "warn": "degraded"}.get(node.status, "ok")
            if rank[state] >= rank.get(outcome.get(phase, "ok"), 0):
                outcome[phase] = state
    return outcome


def _parent_model(manifest, graph_node):
    """A test's tags are its model's: a failing test fails the phase that built the model."""
    depends = getattr(getattr(graph_node, "depends_on", None), "nodes", []) or []
    for uid in depends:
        if uid.startswith("model."):
            return manifest.nodes.get(uid)
    return None


def run_day(
    home: Home,
    run_date: date,
    cutoff: datetime,
    *,
    dbt: Dbt | None = None,
    say: Say = print,
    command: str = "run-day",
    retrain_every: int | None = None,
) -> DayOutcome:
    """The morning job. Trains first only when due (`training_due`); the build scores the
    slate with the newest model trained before it and rebuilds only the D-1 and D slices of
    the incremental models (macros/incremental/game_date_slices.sql)."""
    dbt = dbt or Dbt(home)
    retrain_every = retrain_every_days() if retrain_every is None else retrain_every
    recorder = RunRecorder(home, command, run_date, cutoff)
    run_id = recorder.state.run_id
    try:
        recorder.phase("ingest")
        vendors = fetch_for_day(home, run_date, cutoff, say)
        recorder.state.vendors = vendors
        report = ingest(home)
        say(f"ingest: {report.summary()}")
        recorder.state.counts["ingest"] = {
            "rows": report.total_rows,
            "quarantined": sum(report.rows_quarantined.values()),
            "payloads_quarantined": report.payloads_quarantined,
        }
        vendor_down = [v for v, s in vendors.items() if s != "ok"]
        quarantine = report.quarantine_problem()
        if quarantine:
            say(f"degraded: {quarantine}")
        recorder.phase_done("ingest", "degraded" if vendor_down or quarantine else "ok")
        with connect(home) as con:
            load_run_registry(home, con)

        pin = pinned_version(home)
        if pin:
            say(f"model pinned: {pin} scores this slate (propcast model unpin to release)")
        run_vars = dbt_vars(run_date, cutoff, **({"model_version": pin} if pin else {}))
        trained = None
        why_train = training_due(home, run_date, retrain_every)
        if why_train:
            recorder.phase("predictions")
            train_end = run_date - timedelta(days=1)
            say(f"{why_train}: training on outcomes through {train_end}")
            train = dbt.invoke(["run", *TRAIN_SELECTION], run_vars=run_vars)
            if not train.success:
                raise DayFailed(
                    "predictions", _first_error(train), f"propcast train --date {run_date}"
                )
            trained = train_end.isoformat()

        recorder.phase("staging")
        say(f"dbt build for {run_date} (cutoff {cutoff:%Y-%m-%d %H:%M} UTC)")
        # dbt unit tests check SQL logic that does not change between mornings: CI runs them
        # (`propcast build`, `make test`); the morning job runs the data tests.
        build = dbt.invoke(
            ["build", "--exclude", "tag:train", "--exclude-resource-type", "unit_test"],
            run_vars=run_vars,
        )
        for phase, state in node_phases(dbt, build).items():
            recorder.phase_done(phase, state)
        if not build.success:
            raise DayFailed(
                _failed_phase(recorder), _first_error(build), f"propcast recover --date {run_date}"
            )
        for node in build.warned:
            say(f"warning {node.unique_id}: {(node.message or '').strip()}")
        status = "degraded" if vendor_down or quarantine or build.warned else "ok"
        reasons = [f"vendors down: {', '.join(vendor_down)}"] if vendor_down else []
        if quarantine:
            reasons.append(quarantine)
        if build.warned:
            reasons.append(f"{len(build.warned)} data tests warned")
        why = "; ".join(reasons) or "all vendors ok, no warnings"
        message = f"slate {run_date} built, scored and priced ({why})"
        recorder.state.model_version = scored_by(home, run_date)
        recorder.finish(status, message)
        outcome = DayOutcome(run_date, cutoff, status, message, run_id, vendors, trained, build)
    except DayFailed as exc:
        recorder.finish("failed", str(exc))
        outcome = DayOutcome(run_date, cutoff, "failed", str(exc), run_id, recorder.state.vendors)
    except Exception as exc:
        recorder.finish("failed", f"{type(exc).__name__}: {exc}")
        reports.write_run_report(home, recorder.state)
        raise
    outcome.reports = [
        str(reports.write_run_report(home, recorder.state)),
        str(reports.write_daily_report(home, run_date)),
    ]
    return outcome


def scored_by(home: Home, run_date: date) -> str | None:
    """The model version(s) that scored the slate, as recorded on the prediction rows."""
    with connect(home) as con:
        try:
            row = con.execute(
                "select string_agg(distinct model_version, ', ') from main.fct_predictions "
                "where game_date = ?",
                [run_date],
            ).fetchone()
        except duckdb.CatalogException:
            return None
    return row[0] if row else None


class DayFailed(RuntimeError):
    def __init__(self, phase: str, reason: str, recover: str) -> None:
        super().__init__(f"phase {phase} failed: {reason}")
        self.phase, self.recover = phase, recover


def _failed_phase(recorder: RunRecorder) -> str:
    failed = [p for p, s in recorder.state.phases.items() if s == "failed"]
    return failed[0] if failed else recorder.state.phase or "?"


def _first_error(result: DbtResult) -> str:
    if result.failed:
        node = result.failed[0]
        first_line = (node.message or "").strip().splitlines()
        return f"{node.unique_id}: {first_line[0] if first_line else node.status}"
    return (result.error or "dbt failed").strip().splitlines()[0]


def train(
    home: Home,
    train_end: date,
    *,
    dbt: Dbt | None = None,
    overrides: dict[str, object] | None = None,
) -> DbtResult:
    """Train and register the predictors on outcomes through `train_end` (tag `train`).
    `overrides` go to the var `train_overrides` (e.g. shorter validation and calibration
    windows for a season too short for the defaults)."""
    dbt = dbt or Dbt(home)
    run_date = train_end + timedelta(days=1)
    cutoff = default_cutoff(run_date)
    extra: dict[str, object] = {"train_end": train_end.isoformat()}
    if overrides:
        extra["train_overrides"] = overrides
    return dbt.invoke(["run", *TRAIN_SELECTION], run_vars=dbt_vars(run_date, cutoff, **extra))
