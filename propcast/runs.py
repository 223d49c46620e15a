"""Run state as small JSON files under PROPCAST_HOME/runs/ — readable while DuckDB is locked.

Each run writes `runs/<run_id>.json` atomically at every phase change; `propcast status` reads
them, and the run registry table (`raw_run_registry` → `fct_run_registry`) is loaded from them.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from propcast.faults import fault_point
from propcast.phases import PHASES
from propcast.raw_schema import RAW_SCHEMA
from propcast.settings import Home
from propcast.timeutil import utc_now

#: Nested fields, stored in the run registry as JSON text (phase_models stays in the files).
JSON_FIELDS = ("phases", "vendors", "counts", "phase_models")


@dataclass
class RunState:
    run_id: str
    command: str
    run_date: str
    cutoff_utc: str | None
    started_at: str
    status: str = "running"  # running | ok | degraded | failed
    phase: str | None = None
    phases: dict[str, str] = field(default_factory=dict)  # phase -> ok | degraded | failed
    # phase -> {outcome, built, selected, missing}: n/m models of the phase from dbt's results
    phase_models: dict[str, dict[str, Any]] = field(default_factory=dict)
    vendors: dict[str, str] = field(default_factory=dict)  # vendor -> ok | failed: reason
    model_version: str | None = None
    finished_at: str | None = None
    message: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    pid: int = field(default_factory=os.getpid)
    # Order among runs started at the same instant (a pinned clock): files already there + 1.
    sequence: int = 0


class RunRecorder:
    """Writes one run's state file at every change."""

    def __init__(self, home: Home, command: str, run_date: date, cutoff: datetime | None) -> None:
        home.ensure()
        stamp = utc_now()
        run_id = f"{run_date:%Y%m%d}-{stamp:%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.path = home.runs / f"{run_id}.json"
        self.state = RunState(
            run_id=run_id,
            command=command,
            run_date=run_date.isoformat(),
            cutoff_utc=str(cutoff) if cutoff else None,
            started_at=str(stamp),
            sequence=len(list(home.runs.glob("*.json"))) + 1,
        )
        self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        fault_point("runs:before-tmp-write")
        tmp.write_text(json.dumps(asdict(self.state), indent=2, default=str))
        fault_point("runs:tmp-written")
        tmp.replace(self.path)
        fault_point("runs:replaced")

    def phase(self, name: str) -> None:
        self.state.phase = name
        self.save()

    def phase_done(self, name: str, outcome: str) -> None:
        self.state.phases[name] = outcome
        self.save()

    def finish(self, status: str, message: str) -> None:
        self.state.status = status
        self.state.message = message
        self.state.phase = None
        self.state.finished_at = str(utc_now())
        self.save()


def read_runs(home: Home) -> list[RunState]:
    states = []
    for path in sorted(home.runs.glob("*.json")):
        try:
            states.append(RunState(**json.loads(path.read_text())))
        except (ValueError, TypeError):
            continue  # a half-written file from a killed process: the next write replaces it
    return sorted(states, key=lambda s: (s.started_at, s.sequence))


def load_run_registry(home: Home, con: duckdb.DuckDBPyConnection) -> int:
    """Replace `raw.raw_run_registry` with the run state files (they are the source of truth).
    Every column is cast: a column all null in the files (no model recorded yet) would
    otherwise be typed NULL, not text."""
    states = read_runs(home)
    frame = pd.DataFrame(
        [
            {
                **{
                    k: v
                    for k, v in asdict(s).items()
                    if k not in ("phases", "vendors", "counts", "phase_models")
                },
                "phases": json.dumps(s.phases),
                "vendors": json.dumps(s.vendors),
                "counts": json.dumps(s.counts, default=str),
            }
            for s in states
        ],
        columns=[*RunState.__dataclass_fields__],
    )
    con.register("_runs", frame)
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(
        f"create or replace table {RAW_SCHEMA}.raw_run_registry as "
        "select cast(run_id as varchar) as run_id, cast(command as varchar) as command, "
        "cast(run_date as date) as run_date, cast(cutoff_utc as timestamp) as cutoff_utc, "
        "cast(started_at as timestamp) as started_at, "
        "cast(finished_at as timestamp) as finished_at, cast(status as varchar) as status, "
        "cast(phase as varchar) as phase, cast(phases as varchar) as phases, "
        "cast(vendors as varchar) as vendors, cast(model_version as varchar) as model_version, "
        "cast(message as varchar) as message, cast(counts as varchar) as counts, "
        "cast(pid as integer) as pid from _runs"
    )
    con.unregister("_runs")
    return len(states)


def latest_run(home: Home, run_date: date | None = None) -> RunState | None:
    runs = [r for r in read_runs(home) if run_date is None or r.run_date == run_date.isoformat()]
    return runs[-1] if runs else None


__all__ = ["PHASES", "RunRecorder", "RunState", "latest_run", "load_run_registry", "read_runs"]
