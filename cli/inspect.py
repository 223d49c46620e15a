"""Looking without changing: status, freshness, the dbt docs site and the golden-run check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import DateOption, JsonFlag, open_home, parse_date
from propcast.cli.output import ExitCode, console, finish, progress_bar

from propcast.timeutil import default_cutoff, today_in_slate_tz


@app.command()
def freshness(as_json: JsonFlag = False) -> None:
    """Per source: the freshness verdict on the latest game_date that has data due.

    Backfilled old rows cannot make stale data look fresh, a day without games is not
    staleness, and scheduled future games are not loaded data. Exit 0 when every source passes,
    3 when one warns, 1 when one errors (or no warehouse), 2 usage error.
    """
    from propcast import freshness as fresh

    home = open_home()
    try:
        checks = fresh.check(home)
    except Exception as exc:  # a missing warehouse or broken project: say so, do not trace
        finish(
            ExitCode.FAILED,
            f"freshness could not run: {exc}",
            recover="propcast ingest && propcast build",
            as_json=as_json,
        )
    console.print(
        f"{'source':<22} {'verdict':<8} {'age_h':>7}  {'latest game_date':<16} latest load (UTC)"
    )
    for c in checks:
        age = f"{c.age_hours:.1f}" if c.age_hours is not None else "-"
        console.print(
            f"{c.source:<22} {c.verdict:<8} {age:>7}  {c.latest_game_date or '-':<16} "
            f"{c.latest_loaded_at or '-'}"
        )
    worst = fresh.worst(checks)
    verdict = {"pass": ExitCode.OK, "warn": ExitCode.DEGRADED}.get(worst, ExitCode.FAILED)
    stale = [c.source for c in checks if c.verdict != "pass"]
    line = "all sources fresh" if not stale else f"stale: {', '.join(stale)} (worst: {worst})"
    finish(
        verdict,
        f"freshness on {today_in_slate_tz()} (US/Eastern): {line}",
        recover="fetch the missing data, then `propcast ingest && propcast build`",
        payload={"sources": [c.as_dict() for c in checks]},
        as_json=as_json,
    )


@app.command()
def docs(as_json: JsonFlag = False) -> None:
    """Generate dbt's documentation site as one static HTML file under PROPCAST_HOME/target.

    Exit 0 written, 1 failed (dbt docs generate failed; with the command that recovers), 2 usage
    error.
    """
    from propcast.dbt_runner import Dbt

    home = open_home()
    result = Dbt(home).invoke(["docs", "generate", "--static"])
    page = home.dbt_target / "static_index.html"
    if not result.success or not page.exists():
        finish(
            ExitCode.FAILED,
            f"dbt docs generate failed: {result.error}",
            recover="propcast build, then propcast docs",
            as_json=as_json,
        )
    finish(ExitCode.OK, f"dbt docs written to {page}", payload={"path": str(page)}, as_json=as_json)


@app.command()
def status(run_date: DateOption = None, as_json: JsonFlag = False) -> None:
    """Where a slate stands: each phase's completion as n/m dbt models built (the missing ones
    named), the runs for the date, and the model_versions that scored it (one per family,
    comma-separated: the props' and each league's game totals).

    Reads only the run state files under PROPCAST_HOME/runs, so it works while another run
    holds the warehouse. Exit 0 when every phase is complete, 3 when complete but degraded or
    still running, 1 when a phase is incomplete or no run is recorded for the date (with the
    command that completes it), 2 usage error.
    """
    from propcast.phase_ledger import run_is_alive, slate_ledger
    from propcast.runs import read_runs

    home = open_home()
    day = parse_date(run_date)
    ledger = slate_ledger(home, day)
    if not ledger.runs:
        latest = read_runs(home)[-1:] or [None]
        elsewhere = (
            f"; latest run: {latest[0].run_id} for slate {latest[0].run_date} ({latest[0].status})"
            if latest[0]
            else ""
        )
        finish(
            ExitCode.FAILED,
            f"no run recorded for slate {day}{elsewhere}",
            recover=f"propcast run-day --date {day}",
            payload={"run_date": str(day), "phases": {}, "runs": []},
            as_json=as_json,
        )
    console.print(f"slate [bold]{day}[/]: phases (latest record of each, n/m dbt models built)")
    for record in ledger.phases.values():
        missing = f"  missing: {', '.join(record.missing)}" if record.missing else ""
        console.print(
            f"  {record.phase:<12} {record.outcome:<9} {record.fraction:>7}  "
            f"run {record.run_id or '-'}{missing}"
        )
    console.print(f"scored by model_version: {ledger.model_version or '-'}")
    gate = _print_edge_gate(home, day)
    console.print(f"runs for {day}:")
    for run in ledger.runs:
        state = run.status
        if state == "running":
            state = f"running ({run.phase})" if run_is_alive(run) else "interrupted"
        console.print(f"  {run.run_id:<28} {run.command:<9} {state:<22} {run.message or ''}")
    _finish_status(day, ledger, as_json, run_is_alive(ledger.latest), gate)


def _print_edge_gate(home, day: date) -> list[dict]:
    """The slate's edge gate per priced family (README "The edge gate")."""
    from propcast.edge_gate import read_gate_for_status

    states, why = read_gate_for_status(home, day)
    if states is None:
        console.print(f"edge gate: unknown ({why})")
        return []
    if not states:
        console.print(f"edge gate: no priced family on {day}")
    for state in states:
        console.print(f"edge gate: {state.sentence()}")
    return [state.as_dict() for state in states]


def _finish_status(day, ledger, as_json: bool, running: bool, gate: list | None = None) -> None:
    first = ledger.first_incomplete
    degraded = any(r.outcome == "degraded" for r in ledger.phases.values())
    payload = {
        "run_date": str(day),
        "phases": {p: vars(r) | {"complete": r.complete} for p, r in ledger.phases.items()},
        "first_incomplete": first,
        "model_version": ledger.model_version,
        "runs": [vars(r) for r in ledger.runs],
        "edge_gate": gate or [],
    }
    if running:
        verdict, line = ExitCode.DEGRADED, f"slate {day}: a run is in progress"
    elif first:
        verdict, line = ExitCode.FAILED, f"slate {day}: incomplete from phase {first}"
    else:
        verdict = ExitCode.DEGRADED if degraded else ExitCode.OK
        line = f"slate {day}: every phase complete" + (" (degraded)" if degraded else "")
    finish(
        verdict,
        line,
        recover=f"propcast recover --date {day}"
        if first
        else f"propcast status --date {day} once it ends"
        if running
        else f"propcast run-day --date {day} once the cause is fixed",
        payload=payload,
        as_json=as_json,
    )


ExistingFlag = Annotated[
    bool,
    typer.Option(
        "--existing",
        help="Check PROPCAST_HOME as it is (e.g. after `make demo`) instead of running a "
        "fresh demo season in PROPCAST_HOME/golden.",
    ),
]


@app.command("validate-golden")
def validate_golden(
    days: Annotated[
        int, typer.Option(min=10, help="Length of the demo season to run (days).")
    ] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the demo world.")] = 7,
    existing: ExistingFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """The demo world end to end against the golden-run invariants: every mart at its declared
    grain (no duplicates), core tables filled, freshness passing, the slate's predictions
    varying, at least one recommendation, the run's reports present.

    By default runs a fresh demo season in PROPCAST_HOME/golden (the live warehouse is not
    touched). Exit 0 when every invariant holds, 1 naming the ones that do not, 2 usage error.
    """
    from propcast.golden import check_golden
    from propcast.runs import read_runs

    home = open_home()
    if existing:
        runs = [r for r in read_runs(home) if r.command == "run-day"]
        if not runs:
            finish(
                ExitCode.FAILED,
                f"no run-day recorded in {home.root}: nothing to validate",
                recover="make demo (or propcast demo), then propcast validate-golden --existing",
                as_json=as_json,
            )
        target, slate = home, date.fromisoformat(runs[-1].run_date)
        last = runs[-1].cutoff_utc
        cutoff = datetime.fromisoformat(last) if last else default_cutoff(slate)
    else:
        target, slate, cutoff = _golden_season(home, days, seed)
    checks = check_golden(target, slate, cutoff)
    for check in checks:
        mark = "[green]pass[/]" if check.passed else "[red]FAIL[/]"
        console.print(f"  {mark} {check.name:<45} {check.detail}")
    failed = [c.name for c in checks if not c.passed]
    finish(
        ExitCode.FAILED if failed else ExitCode.OK,
        f"golden run for slate {slate}: {len(checks) - len(failed)}/{len(checks)} invariants hold"
        + (f"; failing: {', '.join(failed)}" if failed else ""),
        recover=f"fix the failing invariant, then propcast validate-golden (home {target.root})",
        payload={"slate": str(slate), "checks": [vars(c) for c in checks]},
        as_json=as_json,
    )


def _golden_season(home, days: int, seed: int):
    """A fresh demo season in PROPCAST_HOME/golden: its home, slate and cutoff."""
    import shutil

    from propcast.demo import run_demo
    from propcast.settings import Home

    target = Home(home.root / "golden")
    shutil.rmtree(target.root, ignore_errors=True)
    target.ensure()
    console.print(f"golden run: a {days}-day demo season (seed {seed}) in {target.root}")
    with progress_bar("days generated") as advance:
        outcome = run_demo(
            target, days=days, seed=seed, books=5, say=console.print, progress=advance
        )
    return target, outcome.day.run_date, outcome.day.cutoff
