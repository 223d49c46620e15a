"""The morning job for one slate date: fetch, ingest, (train when due), build, score, price, report.

Phases are recorded in a run state file as they go, so `propcast status` can tell where a run
stands even while the warehouse file is locked by it. A `DayPlan` says which parts run:
`recover --from-phase` starts later, `run-day --no-run-ev` skips pricing, and so on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb

from propcast import reports
from propcast.dbt_runner import Dbt, DbtResult, data_test_hint, full_refresh_hint
from propcast.edge_gate import GateState, gate_summary, read_gate
from propcast.failing_rows import failing_examples
from propcast.faults import fault_point
from propcast.fetch import fetch_from_feeds
from propcast.ingest import ingest
from propcast.markets import active_prop_markets
from propcast.model_pins import pinned_version
from propcast.phases import PHASES, build_command, phase_completion, phases_from
from propcast.runs import RunRecorder, load_run_registry
from propcast.settings import Home
from propcast.training import (  # noqa: F401  (the morning job's training API, re-exported)
    TRAIN_SELECTION,
    dbt_vars,
    families_without_lines,
    families_without_model,
    registered_models,
    retrain_every_days,
    train,
    training_due,
)
from propcast.warehouse import connect

ODDS_VENDORS = ("oddsapi", "csvfeed", "decimalfeed")

Say = Callable[[str], None]


@dataclass(frozen=True)
class DayPlan:
    """Which parts of the morning job run (all of them by default)."""

    run_odds_ingestion: bool = True
    run_ev: bool = True
    run_diagnostics: bool = True
    from_phase: str = "ingest"

    def build_args(self) -> list[str]:
        return build_command(
            from_phase=self.from_phase, ev=self.run_ev, diagnostics=self.run_diagnostics
        )

    def skipped(self) -> list[str]:
        parts = [] if self.run_odds_ingestion else ["odds ingestion"]
        parts += [] if self.run_ev else ["EV pricing"]
        parts += [] if self.run_diagnostics else ["diagnostics"]
        return parts


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
    warnings: list[str] = field(default_factory=list)
    edge_gate: list[dict] = field(default_factory=list)  # per priced family (propcast.edge_gate)
    recover: str | None = None  # a failed run's own recovery (DayFailed.recover), if any


def fetch_for_day(
    home: Home, run_date: date, cutoff: datetime, say: Say, *, odds: bool = True
) -> dict[str, str]:
    """What the vendors had published by the cutoff: the slate's odds, results through D-1."""
    feeds = home.world / "feeds"
    if not feeds.exists():
        say("no vendor feeds configured (demo world absent): ingesting the inbox as it is")
        return {}
    odds_vendors = set(ODDS_VENDORS) if odds else set()
    fetched = fetch_from_feeds(
        home, feeds, cutoff=cutoff, game_dates={run_date}, vendors=odds_vendors
    )
    results = fetch_from_feeds(home, feeds, cutoff=cutoff, vendors={"league"})
    published = {p.name for p in feeds.iterdir() if p.is_dir()}
    if not odds:
        published -= set(ODDS_VENDORS)
    failed = {**fetched.failed_vendors, **results.failed_vendors}
    say(
        f"fetched {fetched.copied} odds files for {run_date} and {results.copied} league files "
        f"published by {cutoff:%Y-%m-%d %H:%M} UTC"
        + ("" if odds else " (odds ingestion off: --no-run-odds-ingestion)")
    )
    return {v: f"failed: {failed[v]}" if v in failed else "ok" for v in sorted(published)}


def _odds_dates(cutoff: datetime) -> tuple[str, list[datetime]]:
    """The game_date of every raw odds row loaded by `cutoff`, all vendors: SQL and params."""
    union = " union all ".join(
        f"select game_date from raw.raw_{v}__prop_odds where fetched_at <= ?" for v in ODDS_VENDORS
    )
    return union, [cutoff] * len(ODDS_VENDORS)


def slate_found(home: Home, run_date: date, cutoff: datetime) -> str | None:
    """A warning when the odds loaded by the cutoff are not the target slate's (None: they are).

    The scheduler-processed-old-dates incident: a run for D finding only D-1's odds must say
    so, not publish "0 opportunities"."""
    union, loaded_by = _odds_dates(cutoff)
    with connect(home) as con:
        try:
            rows = con.execute(
                f"select game_date, count(*) from ({union}) where game_date >= ? "
                "group by game_date order by game_date desc",
                [*loaded_by, run_date - timedelta(days=7)],
            ).fetchall()
        except duckdb.CatalogException:
            return None
    found = {day: n for day, n in rows}
    if found.get(run_date):
        return None
    others = ", ".join(f"{day} ({n:,} quotes)" for day, n in rows[:3]) or "none in the last week"
    return f"no odds for slate {run_date} by the cutoff; the odds found are for: {others}"


def slate_unscheduled(home: Home, run_date: date, cutoff: datetime) -> str | None:
    """A warning when books quote the slate but the league schedule loaded by the cutoff lists
    no game on it: every line would go unmapped and the slate would read "0 bets"."""
    union, loaded_by = _odds_dates(cutoff)
    with connect(home) as con:
        try:
            quotes, listed = con.execute(
                f"select (select count(*) from ({union}) where game_date = ?), "
                "(select count(*) from raw.raw_schedule where game_date = ? and fetched_at <= ?)",
                [*loaded_by, run_date, run_date, cutoff],
            ).fetchone()
        except duckdb.CatalogException:
            return None
    if listed or not quotes:
        return None
    return (
        f"the league schedule lists no game on {run_date}, yet {quotes:,} odds quotes for it "
        "were loaded: its schedule is missing or late, so no line of the slate can be priced "
        f"(load the league feed's schedule, then propcast recover --date {run_date})"
    )


def slate_postponed(home: Home, run_date: date) -> int:
    """How many games the slate lists, when every one of them is postponed (else 0): a night
    with nothing to price, said as such rather than as "scored and priced"."""
    with connect(home) as con:
        try:
            listed, postponed = con.execute(
                "select count(*), count(*) filter (where is_postponed) from main.dim_game "
                "where game_date = ?",
                [run_date],
            ).fetchone()
        except duckdb.CatalogException:
            return 0
    return listed if listed and listed == postponed else 0


def run_day(
    home: Home,
    run_date: date,
    cutoff: datetime,
    *,
    dbt: Dbt | None = None,
    say: Say = print,
    command: str = "run-day",
    retrain_every: int | None = None,
    plan: DayPlan | None = None,
) -> DayOutcome:
    """The morning job. Trains first only when due (`training_due`); the build scores the
    slate with the newest model trained before it (or the pinned one) and rebuilds only the
    D-1 and D slices of the incremental models (macros/incremental/game_date_slices.sql)."""
    run = _DayRun(home, run_date, cutoff, dbt or Dbt(home), say, plan or DayPlan())
    recorder = RunRecorder(home, command, run_date, cutoff)
    every = retrain_every_days() if retrain_every is None else retrain_every
    try:
        outcome = run.execute(recorder, every)
    except DayFailed as exc:
        recorder.finish("failed", str(exc))
        outcome = DayOutcome(
            run_date,
            cutoff,
            "failed",
            str(exc),
            recorder.state.run_id,
            recorder.state.vendors,
            recover=exc.recover,
        )
    except Exception as exc:
        recorder.finish("failed", f"{type(exc).__name__}: {exc}")
        reports.write_run_report(home, recorder.state)
        raise
    fault_point("daily:before-reports")
    outcome.reports = [str(reports.write_run_report(home, recorder.state))]
    if run.plan.run_diagnostics:
        outcome.reports.append(str(reports.write_daily_report(home, run_date)))
    return outcome


@dataclass
class _DayRun:
    home: Home
    run_date: date
    cutoff: datetime
    dbt: Dbt
    say: Say
    plan: DayPlan
    problems: list[str] = field(default_factory=list)
    no_odds: bool = False  # no odds for the slate by the cutoff: nothing could be priced

    def execute(self, recorder: RunRecorder, retrain_every: int) -> DayOutcome:
        phases = phases_from(self.plan.from_phase)
        if self.plan.skipped():
            self.say(f"skipping {', '.join(self.plan.skipped())} (as asked)")
        if "ingest" in phases:
            self.ingest(recorder)
        else:
            self.say(f"phases {' → '.join(phases)} only (from {self.plan.from_phase})")
        with connect(self.home) as con:
            load_run_registry(self.home, con)
        pin = pinned_version(self.home)
        if pin:
            self.say(f"model pinned: {pin} scores this slate (`propcast model unpin` releases)")
        run_vars = dbt_vars(self.run_date, self.cutoff, **({"model_version": pin} if pin else {}))
        trained = self.train_if_due(recorder, retrain_every, run_vars)
        build = self.build(recorder, run_vars)
        status = "degraded" if self.problems else "ok"
        why = "; ".join(self.problems) or "all vendors ok, no warnings"
        priced = "scored and priced"
        if self.no_odds:
            priced = "NOT priced: it has no odds"
        elif postponed := slate_postponed(self.home, self.run_date):
            priced = f"NOT priced: all {postponed} of its games are postponed"
        message = f"slate {self.run_date} built, {priced} ({why})"
        gate = self.edge_gate() if self.plan.run_ev and not self.no_odds else []
        clause = gate_summary(gate)
        if clause:
            # A closed gate is a decision, not a fault: the status stays, the reason is stated.
            self.say(clause)
            message += f"; {clause}"
        recorder.state.model_version = scored_by(self.home, self.run_date)
        recorder.finish(status, message)
        state = recorder.state
        outcome = DayOutcome(
            self.run_date, self.cutoff, status, message, state.run_id, state.vendors, trained, build
        )
        outcome.edge_gate = [g.as_dict() for g in gate]
        return outcome

    def edge_gate(self) -> list[GateState]:
        """The slate's edge gate per priced family ([] when the mart is absent)."""
        with connect(self.home) as con:
            return read_gate(con, self.run_date) or []

    def ingest(self, recorder: RunRecorder) -> None:
        recorder.phase("ingest")
        vendors = fetch_for_day(
            self.home, self.run_date, self.cutoff, self.say, odds=self.plan.run_odds_ingestion
        )
        recorder.state.vendors = vendors
        fault_point("daily:fetched")
        report = ingest(self.home)
        fault_point("daily:ingested")
        self.say(f"ingest: {report.summary()}")
        recorder.state.counts["ingest"] = {
            "rows": report.total_rows,
            "quarantined": sum(report.rows_quarantined.values()),
            "payloads_quarantined": report.payloads_quarantined,
        }
        down = [v for v, s in vendors.items() if s != "ok"]
        if down:
            self.problems.append(f"vendors down: {', '.join(down)}")
        quarantine = report.quarantine_problem()
        if quarantine:
            self.say(f"degraded: {quarantine}")
            self.problems.append(quarantine)
        wrong_slate = slate_found(self.home, self.run_date, self.cutoff)
        self.no_odds = wrong_slate is not None
        unscheduled = (
            None if wrong_slate else slate_unscheduled(self.home, self.run_date, self.cutoff)
        )
        for warning in filter(None, (wrong_slate, unscheduled)):
            self.say(f"warning: {warning}")
            self.problems.append(warning)
        recorder.state.phase_models["ingest"] = {"outcome": "ok", "built": 1, "selected": 1}
        recorder.phase_done("ingest", "degraded" if self.problems else "ok")

    def train_if_due(self, recorder: RunRecorder, every: int, run_vars: dict) -> str | None:
        markets = active_prop_markets(self.dbt.project_vars, self.dbt.project_dir)
        missing = families_without_model(self.home, self.run_date, markets)
        why_train = training_due(self.home, self.run_date, every, missing)
        if not why_train:
            return None
        recorder.phase("predictions")
        unbuilt = families_without_lines(self.home, self.run_date, missing)
        if unbuilt:
            raise DayFailed(
                "predictions",
                f"no settled line of {', '.join(unbuilt)} in fct_prop_line_features before "
                f"{self.run_date}: a family added to prop_markets has its lines built from "
                "the next slices on only, too few to train",
                f"propcast build --date {self.run_date} --full-refresh (builds its lines over "
                f"the history), then propcast run-day --date {self.run_date}",
            )
        train_end = self.run_date - timedelta(days=1)
        self.say(f"{why_train}: training on outcomes through {train_end}")
        result = self.dbt.invoke(["run", *TRAIN_SELECTION], run_vars=run_vars)
        if not result.success:
            raise DayFailed(
                "predictions", _first_error(result), f"propcast train --date {self.run_date}"
            )
        return train_end.isoformat()

    def build(self, recorder: RunRecorder, run_vars: dict) -> DbtResult:
        first = next(p for p in phases_from(self.plan.from_phase) if p != "ingest")
        recorder.phase(first)
        self.say(f"dbt build for {self.run_date} (cutoff {self.cutoff:%Y-%m-%d %H:%M} UTC)")
        fault_point("daily:before-build")
        build = self.dbt.invoke(self.plan.build_args(), run_vars=run_vars)
        fault_point("daily:after-build")
        for phase, done in phase_completion(self.dbt, build).items():
            recorder.state.phase_models[phase] = done.as_dict()
            recorder.phase_done(phase, done.outcome)
        examples = failing_examples(self.home, build)
        for node in build.failed:
            for row in examples.get(node.unique_id, []):
                self.say(f"{node.unique_id.split('.')[2]} failed on, e.g.: {row}")
        if not build.success:
            failed = [p for p in PHASES if recorder.state.phases.get(p) == "failed"]
            raise DayFailed(
                failed[0] if failed else first,
                _first_error(build),
                full_refresh_hint(build, self.run_date)
                or data_test_hint(build, f"propcast recover --date {self.run_date}"),
            )
        for node in build.warned:
            self.say(f"warning {node.unique_id}: {(node.message or '').strip()}")
            for row in examples.get(node.unique_id, []):
                self.say(f"  e.g. {row}")
        if build.warned:
            self.problems.append(f"{len(build.warned)} data tests warned")
        return build


def scored_by(home: Home, run_date: date) -> str | None:
    """The model version(s) that scored the slate, as recorded on the prediction rows."""
    with connect(home) as con:
        try:
            row = con.execute(
                "select string_agg(distinct model_version, ', ' order by model_version) "
                "from main.fct_predictions where game_date = ?",
                [run_date],
            ).fetchone()
        except duckdb.CatalogException:
            return None
    return row[0] if row else None


class DayFailed(RuntimeError):
    """A phase of the morning job failed; `recover` is the command that fixes this cause, None
    when rerunning the day is the fix (each command says how: `propcast recover --date D`)."""

    def __init__(self, phase: str, reason: str, recover: str | None) -> None:
        super().__init__(f"phase {phase} failed: {reason}")
        self.phase, self.recover = phase, recover


def _first_error(result: DbtResult) -> str:
    if result.failed:
        node = result.failed[0]
        first_line = (node.message or "").strip().splitlines()
        return f"{node.unique_id}: {first_line[0] if first_line else node.status}"
    return (result.error or "dbt failed").strip().splitlines()[0]
