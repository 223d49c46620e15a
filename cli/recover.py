"""Recovery runbooks: rerun a failed or half-built slate."""

from __future__ import annotations

from datetime import datetime

from propcast.cli.app import app
from propcast.cli.common import DateOption, JsonFlag, open_home, parse_date, verdict_of
from propcast.cli.output import ExitCode, console, finish

from propcast.timeutil import default_cutoff


@app.command()
def recover(
    run_date: DateOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Rerun a slate's day after a failure, with the cutoff of its last run.

    Every step is idempotent (hash-deduplicated ingest, incremental models keyed by game_date,
    predictions keyed by line), so rerunning repairs a half-processed day without duplicating.
    """
    from propcast.daily import run_day as run
    from propcast.locking import WarehouseBusy, writer_lock
    from propcast.runs import latest_run

    home = open_home()
    day = parse_date(run_date)
    last = latest_run(home, day)
    if last is None:
        finish(
            ExitCode.FAILED,
            f"no run recorded for slate {day}: nothing to recover",
            recover=f"propcast run-day --date {day}",
            as_json=as_json,
        )
    incomplete = [p for p, s in last.phases.items() if s == "failed"] or [last.phase or "?"]
    console.print(
        f"last run {last.run_id} for {day}: {last.status}; first incomplete phase: "
        f"{incomplete[0]}; rerunning the day with cutoff {last.cutoff_utc} UTC"
    )
    cutoff = datetime.fromisoformat(last.cutoff_utc) if last.cutoff_utc else default_cutoff(day)
    try:
        with writer_lock(home, f"recover {day}"):
            outcome = run(
                home, day, cutoff, say=lambda line: console.print(f"  {line}"), command="recover"
            )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"propcast recover --date {day}", as_json=as_json)
    verdict = verdict_of(outcome.status)
    finish(
        verdict,
        f"recover {day}: {outcome.message} (run {outcome.run_id})",
        recover=f"propcast recover --date {day}",
        as_json=as_json,
        payload={"run_id": outcome.run_id, "run_date": str(day)},
    )
