"""Recovery runbooks: complete a failed or half-built slate from its first incomplete phase."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import (
    DateOption,
    JsonFlag,
    WaitOption,
    open_home,
    parse_date,
    verdict_of,
)
from propcast.cli.output import ExitCode, console, finish

from propcast.phases import PHASES
from propcast.timeutil import default_cutoff

FromPhaseOption = Annotated[
    str | None,
    typer.Option(
        "--from-phase",
        help=f"Rerun from this phase on ({', '.join(PHASES)}). Default: the first "
        "incomplete phase of the slate (see `propcast status --date D`).",
    ),
]


@app.command()
def recover(
    run_date: DateOption = None,
    from_phase: FromPhaseOption = None,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Complete a slate after a failure: rerun from its first incomplete (or the named) phase
    onward, in dependency order, for that date only, with the cutoff of its last run.

    Every step is idempotent (hash-deduplicated ingest, incremental models keyed by game_date,
    predictions keyed by line), so rerunning repairs a half-processed day without duplicating.
    Exit 0 ok (also when every phase is already complete and no --from-phase is given), 3
    degraded (a vendor down, rows quarantined or data tests warned), 1 failed (no run recorded
    for the date, a phase failed again, or another run holds the warehouse; with the command
    that recovers), 2 usage error (e.g. an unknown --from-phase).
    """
    from propcast.phase_ledger import slate_ledger

    if from_phase is not None and from_phase not in PHASES:
        raise typer.BadParameter(
            f"{from_phase!r} is not a phase; phases in order: {', '.join(PHASES)}",
            param_hint="--from-phase",
        )
    home = open_home()
    day = parse_date(run_date)
    ledger = slate_ledger(home, day)
    last = ledger.latest
    if last is None:
        finish(
            ExitCode.FAILED,
            f"no run recorded for slate {day}: nothing to recover",
            recover=f"propcast run-day --date {day}",
            as_json=as_json,
        )
    start = from_phase or ledger.first_incomplete
    if start is None:
        finish(
            ExitCode.OK,
            f"slate {day}: every phase complete, nothing to recover",
            payload={"run_date": str(day), "from_phase": None},
            as_json=as_json,
        )
    _rerun(home, day, start, last, asked=from_phase is not None, wait=wait, as_json=as_json)


def _rerun(home, day, start: str, last, asked: bool, wait: float, as_json: bool) -> None:
    """Run the slate's phases from `start` on with the cutoff of its last run, and finish."""
    from propcast.daily import DayPlan
    from propcast.daily import run_day as run
    from propcast.locking import WarehouseBusy, writer_lock

    cutoff = datetime.fromisoformat(last.cutoff_utc) if last.cutoff_utc else default_cutoff(day)
    console.print(
        f"slate [bold]{day}[/]: rerunning from phase {start} "
        f"({'as asked' if asked else 'its first incomplete phase'}) with the cutoff of run "
        f"{last.run_id}: {cutoff:%Y-%m-%d %H:%M} UTC"
    )
    try:
        with writer_lock(home, f"recover {day}", wait, console.out):
            outcome = run(
                home,
                day,
                cutoff,
                say=lambda line: console.print(f"  {line}"),
                command="recover",
                plan=DayPlan(from_phase=start),
            )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"propcast recover --date {day}", as_json=as_json)
    finish(
        verdict_of(outcome.status),
        f"recover {day} from {start}: {outcome.message} (run {outcome.run_id})",
        recover=outcome.recover
        or f"propcast status --date {day}, fix the cause, then propcast recover --date {day}",
        as_json=as_json,
        payload={"run_id": outcome.run_id, "run_date": str(day), "from_phase": start},
        alert=True,
    )
