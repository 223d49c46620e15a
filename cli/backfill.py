"""`propcast backfill`: load a range of past slate dates from the vendors, within caps."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import JsonFlag, WaitOption, open_home, parse_date, verdict_of
from propcast.cli.output import ExitCode, console, finish, progress_bar

from propcast.timeutil import today_in_slate_tz

StartDateOption = Annotated[
    str,
    typer.Option(
        "--start-date",
        help="First slate date to backfill (YYYY-MM-DD, US/Eastern), inclusive.",
        show_default=False,
    ),
]

EndDateOption = Annotated[
    str,
    typer.Option(
        "--end-date",
        help="Last slate date to backfill (YYYY-MM-DD, US/Eastern), inclusive; not after today.",
        show_default=False,
    ),
]

DryRunFlag = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print the plan (per date: files available, already loaded, to fetch) and "
        "change nothing: no fetch, no load, no build, no run recorded.",
    ),
]

MaxRequestsOption = Annotated[
    int | None,
    typer.Option(
        "--max-requests",
        min=0,
        help="Fetch at most this many files from the vendors (one file is one request); "
        "then stop cleanly, keep what was loaded and exit 3 with the command that resumes. "
        "Default: no limit.",
    ),
]

MaxElapsedOption = Annotated[
    float | None,
    typer.Option(
        "--max-elapsed-seconds",
        min=0,
        help="Start no new fetch after this many seconds of the run (a duration, measured "
        "on the monotonic clock); then stop as --max-requests does. The rebuild of what "
        "was loaded still runs. Default: no limit.",
    ),
]

VendorOption = Annotated[
    list[str] | None,
    typer.Option(
        "--vendor",
        help="Only this vendor (repeatable): oddsapi, csvfeed, decimalfeed, league. "
        "Default: all of them.",
    ),
]


@app.command()
def backfill(
    start_date: StartDateOption,
    end_date: EndDateOption,
    dry_run: DryRunFlag = False,
    max_requests: MaxRequestsOption = None,
    max_elapsed_seconds: MaxElapsedOption = None,
    vendor: VendorOption = None,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Load past slate dates from the vendors: their odds snapshots and the league's results.

    Plans per date which vendor files are available, which are already loaded (content hash
    in raw_odds_payloads) and which must be fetched; then fetches and ingests date by date
    under a progress bar, and rebuilds the warehouse once, from the first date that loaded
    something new (no need for `propcast build --from`). Reruns and overlapping ranges skip
    what is loaded, so rows are never duplicated. Holds the writer lock; recorded in the run
    registry as command "backfill" with the end date as run date.

    Exit 0 ok; 3 degraded (a cap stopped the run, a vendor was down, rows quarantined or data
    tests warned), with the command that resumes; 1 failed (the rebuild failed or another run
    holds the warehouse); 2 usage error (bad dates or vendor).
    """
    from propcast.backfill import BackfillError, Caps, check_vendors

    home = open_home()
    start, end = parse_date(start_date, "--start-date"), parse_date(end_date, "--end-date")
    if start > end:
        raise typer.BadParameter(f"--start-date {start} is after --end-date {end}")
    today = today_in_slate_tz()
    if end > today:
        raise typer.BadParameter(
            f"--end-date {end} is after today ({today}, US/Eastern): a backfill loads the past",
            param_hint="--end-date",
        )
    try:
        vendors = check_vendors(_split(vendor)) if vendor else None
    except BackfillError as exc:
        raise typer.BadParameter(str(exc), param_hint="--vendor") from None
    caps = Caps(max_requests, max_elapsed_seconds)
    again = backfill_command(start, end, vendors, caps)
    console.print(f"propcast backfill of slate dates [bold]{start}[/] → [bold]{end}[/]")
    if dry_run:
        _dry_run(home, start, end, vendors, caps, again, as_json)
    _run(home, start, end, vendors, caps, again, as_json, wait)


def _split(values: list[str]) -> list[str]:
    return [v for value in values for v in value.split(",")]


def backfill_command(start: date, end: date, vendors=None, caps=None) -> str:
    """The command line that runs (or resumes) a backfill with these options."""
    parts = ["propcast backfill", f"--start-date {start}", f"--end-date {end}"]
    parts += [f"--vendor {v}" for v in vendors or ()]
    if caps and caps.max_requests is not None:
        parts.append(f"--max-requests {caps.max_requests}")
    if caps and caps.max_elapsed_s is not None:
        parts.append(f"--max-elapsed-seconds {caps.max_elapsed_s:g}")
    return " ".join(parts)


def plan_json(plan) -> dict[str, object]:
    """The plan as --json prints it: the range, the vendors, per-date counts and totals."""
    return {
        "start_date": plan.start,
        "end_date": plan.end,
        "cutoff_utc": plan.cutoff,
        "vendors": list(plan.vendors),
        "unavailable": dict(plan.unavailable),
        "totals": plan.totals(),
        "dates": [d.as_dict() for d in plan.dates],
    }


def cap_stop(plan, max_requests: int | None) -> date | None:
    """The first date a request cap would leave incomplete (None: the cap is enough)."""
    used = 0
    for day in plan.dates if max_requests is not None else ():
        used += day.count("to_fetch")
        if used > max_requests:
            return day.day
    return None


def _dry_run(home, start: date, end: date, vendors, caps, again: str, as_json: bool) -> None:
    from propcast.backfill import BackfillError, plan_backfill

    try:
        plan = plan_backfill(home, start, end, vendors=vendors)
    except BackfillError as exc:
        finish(ExitCode.FAILED, str(exc), recover=exc.recover or again, as_json=as_json)
    console.print(f"  {'date':<10}  {'available':>9}  {'loaded':>6}  {'to fetch':>8}  in inbox")
    for day in plan.dates:
        row = day.as_dict()
        console.print(
            f"  {row['date']:<10}  {row['available']:>9}  {row['loaded']:>6}  "
            f"{row['to_fetch']:>8}  {row['in_inbox']:>8}"
        )
    line = f"backfill {plan.line()} (dry run, nothing changed)"
    stop = cap_stop(plan, caps.max_requests)
    if stop:
        line += f"; --max-requests {caps.max_requests} would stop at {stop}"
    for name, why in plan.unavailable.items():
        console.print(f"  [yellow]vendor {name} down[/] ({why}): its files are not listed")
    finish(
        ExitCode.DEGRADED if plan.unavailable else ExitCode.OK,
        line,
        recover=f"{again} --dry-run once {', '.join(plan.unavailable)} is back"
        if plan.unavailable
        else None,
        payload={"dry_run": True, "plan": plan_json(plan)},
        as_json=as_json,
    )


def _run(
    home, start: date, end: date, vendors, caps, again: str, as_json: bool, wait: float = 0.0
) -> None:
    from propcast.backfill import BackfillError, run_backfill, summary
    from propcast.locking import WarehouseBusy, writer_lock

    try:
        with (
            writer_lock(home, f"backfill {start} → {end}", wait, console.out),
            progress_bar("dates backfilled") as advance,
        ):
            outcome = run_backfill(
                home,
                start,
                end,
                vendors=vendors,
                caps=caps,
                progress=advance,
                say=lambda line: console.print(f"  {line}"),
            )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=again, as_json=as_json)
    except BackfillError as exc:
        finish(ExitCode.FAILED, str(exc), recover=exc.recover or again, as_json=as_json)
    for day in outcome.dates:
        if day.fetched or day.payloads_loaded:
            console.print(
                f"  {day.day}: {day.fetched} files fetched, {day.payloads_loaded} new payloads, "
                f"{day.rows_loaded:,} rows{'' if day.completed else ' (incomplete)'}"
            )
    if outcome.build is not None:
        for problem in outcome.build.problems():
            console.print(f"  {problem}")
    payload = {
        "dry_run": False,
        "run_id": outcome.run_id,
        "plan": plan_json(outcome.plan),
        **outcome.counts(),
        "rows_loaded": dict(outcome.ingest.rows_loaded),
        "resume_from": outcome.resume_from,
        "stop_reason": outcome.stop_reason,
        "failed_vendors": dict(outcome.plan.unavailable),
        "rebuild": None
        if outcome.build is None
        else {
            "run_date": outcome.build_date,
            "slice_start": outcome.first_loaded,
            "nodes": outcome.build.counts,
        },
    }
    recover = _recover(outcome, vendors, caps)
    finish(
        verdict_of(outcome.status), summary(outcome), recover=recover, payload=payload,
        as_json=as_json, alert=True,
    )  # fmt: skip


def _recover(outcome, vendors, caps) -> str:
    """The command that finishes the job: the rebuild when it failed, the resumed backfill
    when a cap or a vendor left dates undone, else what the problems above ask for."""
    rebuild = f"propcast build --date {outcome.build_date} --from {outcome.first_loaded}"
    if outcome.status == "failed":
        return rebuild
    if outcome.resume_from is not None:
        resume_vendors = outcome.resume_vendors(vendors)
        return backfill_command(outcome.resume_from, outcome.plan.end, resume_vendors, caps)
    if outcome.build is not None and outcome.build.result.warned:
        return f"read the warnings above, then `{rebuild}`"
    return "inspect raw_quarantine, fix or drop the files, then `propcast ingest`"
