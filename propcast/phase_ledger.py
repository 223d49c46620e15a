"""Where a slate stands, phase by phase, from the run state files of every run for its date.

Runs for one date are folded in start order: a phase's record is the latest run's that ran it;
a phase that failed invalidates the later phases of the runs before it (they were built on what
failed). `first_incomplete` is where `propcast recover` restarts. Reads only the state files,
so it works while another run holds the warehouse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

from propcast.phases import PHASES
from propcast.runs import RunState, read_runs
from propcast.settings import Home

DONE = ("ok", "degraded")


@dataclass
class PhaseRecord:
    phase: str
    outcome: str = "not run"  # ok | degraded | failed | not run
    built: int = 0
    selected: int = 0
    missing: list[str] = field(default_factory=list)
    run_id: str | None = None

    @property
    def complete(self) -> bool:
        return self.outcome in DONE and self.built >= self.selected

    @property
    def fraction(self) -> str:
        return f"{self.built}/{self.selected}" if self.run_id else "-"


@dataclass
class SlateLedger:
    run_date: date
    runs: list[RunState]
    phases: dict[str, PhaseRecord]

    @property
    def first_incomplete(self) -> str | None:
        return next((p for p in PHASES if not self.phases[p].complete), None)

    @property
    def latest(self) -> RunState | None:
        return self.runs[-1] if self.runs else None

    @property
    def model_version(self) -> str | None:
        return next((r.model_version for r in reversed(self.runs) if r.model_version), None)


def slate_ledger(home: Home, run_date: date) -> SlateLedger:
    runs = [r for r in read_runs(home) if r.run_date == run_date.isoformat()]
    phases = {p: PhaseRecord(p) for p in PHASES}
    for run in runs:
        _fold(phases, run)
    return SlateLedger(run_date, runs, phases)


def _fold(phases: dict[str, PhaseRecord], run: RunState) -> None:
    recorded = dict(run.phases)
    if (
        run.phase
        and run.phase not in recorded
        and not run_is_alive(run)
        and run.status == "running"
    ):
        recorded[run.phase] = "failed"  # killed in this phase (kill -9, OOM, power cut)
    for index, phase in enumerate(PHASES):
        outcome = recorded.get(phase)
        if outcome is None:
            continue
        models = run.phase_models.get(phase, {})
        phases[phase] = PhaseRecord(
            phase,
            outcome,
            int(models.get("built", 1 if outcome in DONE else 0)),
            int(models.get("selected", 1)),
            list(models.get("missing", [])),
            run.run_id,
        )
        if outcome == "failed":
            for later in PHASES[index + 1 :]:
                if later not in recorded:
                    phases[later] = PhaseRecord(later, "not run", run_id=run.run_id)


def run_is_alive(run: RunState) -> bool:
    """Whether a run marked running still has its process (a killed run leaves `running`)."""
    if run.status != "running":
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
