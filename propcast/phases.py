"""The morning job's phases (DESIGN §1) as dbt selections, and what a build completed of each.

Every dbt model carries one phase tag; ingest is Python. A build's run results list every
selected node (a node downstream of a failure is `skipped`), so per phase they give `n/m`
models built and the names of the missing ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from propcast.dbt_runner import Dbt, DbtResult

PHASES = ("ingest", "staging", "analytics", "features", "predictions")
PHASE_TAGS = {f"phase_{phase}": phase for phase in PHASES[1:]}
#: The morning build: everything but training; dbt unit tests check SQL logic that does not
#: change between mornings, so CI runs them (`propcast build`, `make test`), not the morning.
BUILD_BASE = ["build", "--exclude-resource-type", "unit_test"]
#: Never in the morning build: training (tag `train`: the predictors) and the marts refreshed
#: with it (tag `refresh_with_training`: fct_outcome_correlations, rebuilt whole from every
#: settled line, which nothing in the morning reads; propcast.training.TRAIN_SELECTION).
MORNING_EXCLUDED = ["tag:train", "tag:refresh_with_training"]
#: Pricing (the edge gate's evidence, EV, Kelly, recommendations) and what reads it: skipped by
#: `run-day --no-run-ev` (fct_bet_recommendations reads fct_edge_evidence_daily).
EV_SELECTION = "fct_edge_evidence_daily+"
#: The monitoring marts: skipped by `run-day --no-run-diagnostics`.
DIAGNOSTICS_SELECTION = "path:models/marts/monitoring"


class UnknownPhase(ValueError):
    pass


def check_phase(name: str) -> str:
    if name not in PHASES:
        raise UnknownPhase(f"unknown phase {name!r}; phases in order: {', '.join(PHASES)}")
    return name


def phases_from(first: str) -> tuple[str, ...]:
    """The named phase and every later one, in dependency order."""
    return PHASES[PHASES.index(check_phase(first)) :]


def build_command(*, from_phase: str = "ingest", ev: bool = True, diagnostics: bool = True):
    """`dbt build` arguments for the phases from `from_phase` on (training and the marts
    refreshed with it never included: MORNING_EXCLUDED)."""
    command = list(BUILD_BASE)
    dbt_phases = [p for p in phases_from(from_phase) if p != "ingest"]
    if len(dbt_phases) < len(PHASES) - 1:
        command += ["--select", *(f"tag:phase_{p}" for p in dbt_phases)]
    excluded = list(MORNING_EXCLUDED)
    if not ev:
        excluded.append(EV_SELECTION)
    if not diagnostics:
        excluded.append(DIAGNOSTICS_SELECTION)
    return [*command, "--exclude", *excluded]


@dataclass
class PhaseCompletion:
    """One phase of one build: models built of those selected, and its worst outcome."""

    outcome: str = "ok"  # ok | degraded | failed
    built: int = 0
    selected: int = 0
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "built": self.built,
            "selected": self.selected,
            "missing": self.missing,
        }


RANK = {"ok": 0, "degraded": 1, "failed": 2}


def phase_completion(dbt: Dbt, result: DbtResult) -> dict[str, PhaseCompletion]:
    """Per phase: n/m models built and its outcome (failed if any node of it failed or was
    skipped, degraded if a test of it warned). A test counts for its model's phase."""
    manifest = dbt.manifest()
    phases: dict[str, PhaseCompletion] = {}
    for node in result.nodes:
        graph_node = manifest.nodes.get(node.unique_id)
        phase = _phase_of(manifest, graph_node)
        if phase is None:
            continue
        done = phases.setdefault(phase, PhaseCompletion())
        state = {"error": "failed", "fail": "failed", "skipped": "failed", "warn": "degraded"}
        outcome = state.get(node.status, "ok")
        if RANK[outcome] > RANK[done.outcome]:
            done.outcome = outcome
        if node.unique_id.startswith("model."):
            done.selected += 1
            if node.status == "success":
                done.built += 1
            else:
                done.missing.append(f"{graph_node.name} ({node.status})")
    return phases


def _phase_of(manifest, graph_node) -> str | None:
    """A model's phase tag; a test's phase is its latest parent's (a test of a join between
    an analytics model and the predictions fails, or is skipped, with the predictions phase)."""
    tags = list(getattr(graph_node, "tags", []) or [])
    own = next((PHASE_TAGS[t] for t in tags if t in PHASE_TAGS), None)
    if own is not None or not str(getattr(graph_node, "unique_id", "")).startswith("test."):
        return own
    depends = getattr(getattr(graph_node, "depends_on", None), "nodes", []) or []
    parents = [
        _phase_of(manifest, manifest.nodes.get(u)) for u in depends if u.startswith("model.")
    ]
    known = [p for p in parents if p is not None]
    return max(known, key=PHASES.index) if known else None
