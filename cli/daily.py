"""The daily run: ingest, build, train, run-day, backfill and the demo season."""

from __future__ import annotations

from datetime import timedelta
from time import perf_counter
from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import (
    DateOption,
    JsonFlag,
    WaitOption,
    open_home,
    parse_cutoff,
    parse_date,
    verdict_of,
)
from propcast.cli.output import ExitCode, console, finish, progress_bar

from propcast.dbt_runner import data_test_hint, full_refresh_hint
from propcast.timeutil import today_in_slate_tz, utc_now


@app.command()
def ingest(
    vendor: Annotated[
        list[str] | None,
        typer.Option("--vendor", help="Only these vendors' inbox folders (repeatable)."),
    ] = None,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Load new files from PROPCAST_HOME/inbox/<vendor>/<feed>/ into the raw tables.

    A file whose content hash is already loaded is skipped, so running this twice adds nothing.
    An unparseable file is quarantined whole (raw_quarantine, with its reason); a bad row is
    quarantined alone while the good rows of its file load.

    Exit 0 ok, 3 degraded (rows or files quarantined), 1 failed (another run holds the
    warehouse, or the load failed; with the command that recovers), 2 usage error.
    """
    from propcast.ingest import FEEDS
    from propcast.ingest import ingest as run_ingest
    from propcast.locking import WarehouseBusy, writer_lock

    known = sorted({feed.vendor for feed in FEEDS.values()})
    unknown = sorted(set(vendor or ()) - set(known))
    if unknown:  # a vendor id, not a path: nothing outside the inbox is ever read
        raise typer.BadParameter(
            f"unknown vendor {', '.join(unknown)}; choose from {', '.join(known)}",
            param_hint="--vendor",
        )
    home = open_home()
    try:
        with (
            writer_lock(home, "ingest", wait, console.out),
            progress_bar("ingesting inbox") as advance,
        ):
            report = run_ingest(home, vendors=set(vendor) if vendor else None, progress=advance)
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover="propcast ingest", as_json=as_json)
    for problem in report.problems:
        console.print(f"  [yellow]quarantined[/] {problem}")
    for name in report.ignored_files[:5]:
        console.print(f"  [yellow]ignored[/] {name} (not under inbox/<vendor>/<feed>/)")
    payload = {
        "files_seen": report.files_seen,
        "payloads_loaded": report.payloads_loaded,
        "files_skipped": report.files_skipped,
        "rows_loaded": dict(report.rows_loaded),
        "rows_quarantined": dict(report.rows_quarantined),
        "payloads_quarantined": report.payloads_quarantined,
    }
    problem = report.quarantine_problem()
    if problem:
        console.print(f"  [yellow]degraded[/] {problem}")
    verdict = ExitCode.DEGRADED if problem else ExitCode.OK
    finish(
        verdict,
        f"ingest into {home.warehouse}: {report.summary()}",
        recover="inspect raw_quarantine, fix or drop the files, then `propcast ingest`",
        payload=payload,
        as_json=as_json,
    )


@app.command()
def build(
    run_date: DateOption = None,
    select: Annotated[
        list[str] | None, typer.Option("--select", "-s", help="dbt selection (repeatable).")
    ] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Rebuild every game_date slice of the incremental models from scratch "
            "(history tables ml_model_registry and fct_predictions are kept).",
        ),
    ] = False,
    slice_start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Rebuild the incremental models' slices from this game_date on (YYYY-MM-DD), "
            "e.g. after a backfill of old files. Default: the day before --date.",
        ),
    ] = None,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Run `dbt build` (seeds, models, data tests) for a slate date; training is excluded.

    Big models are incremental by game_date: a build for D rebuilds the D-1 and later slices
    (or those from --from on); --full-refresh rebuilds them all and gives the same tables.

    Exit 0 ok, 3 degraded (data tests warned), 1 failed (a model or test failed, or another
    run holds the warehouse; with the command that recovers), 2 usage error.
    """
    from propcast.locking import WarehouseBusy, writer_lock
    from propcast.pipeline import build as run_build

    home, day = open_home(), parse_date(run_date)
    first = parse_date(slice_start) if slice_start else None
    if first and first > day:
        raise typer.BadParameter(f"--from {first} is after --date {day}")
    scope = "every slice" if full_refresh else f"slices from {first or day - timedelta(days=1)}"
    console.print(
        f"propcast build for slate date [bold]{day}[/] ({scope}; warehouse {home.warehouse})"
    )
    started = perf_counter()
    try:
        with writer_lock(home, f"build {day}", wait, console.out):
            summary = run_build(
                home, day, select=select, full_refresh=full_refresh, slice_start=first
            )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"propcast build --date {day}", as_json=as_json)
    _finish_build(summary, perf_counter() - started, as_json)


def _finish_build(summary, seconds: float, as_json: bool) -> None:
    for line in summary.problems():
        console.print(f"  {line}")
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
    day = summary.run_date
    payload = {"run_date": str(day), "nodes": summary.counts, "tables": summary.tables}
    if not summary.result.success:
        finish(
            ExitCode.FAILED,
            f"dbt build for {day} failed ({counts}) in {seconds:.0f}s",
            recover=full_refresh_hint(summary.result, day)
            or data_test_hint(summary.result, f"`propcast build --date {day}`")
            or f"fix the failing node above, then `propcast build --date {day}`",
            payload=payload,
            as_json=as_json,
        )
    verdict = ExitCode.DEGRADED if summary.result.warned else ExitCode.OK
    finish(
        verdict,
        f"dbt build for {day}: {counts} in {seconds:.0f}s",
        recover=f"read the warnings above, then `propcast build --date {day}`",
        payload=payload,
        as_json=as_json,
    )


@app.command()
def train(
    run_date: DateOption = None,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Train and register the predictors for a slate date, on outcomes through the day before.

    Appends to ml_model_registry (history: never rewritten). Daily builds do not retrain; they
    score with the newest model trained before the slate (or the pinned one).

    Exit 0 registered, 1 failed (no outcomes to train on, training failed, or another run holds
    the warehouse; with the command that recovers), 2 usage error.
    """
    from propcast.daily import train as run_train
    from propcast.locking import WarehouseBusy, writer_lock

    home, day = open_home(), parse_date(run_date)
    train_end = day - timedelta(days=1)
    console.print(f"training for slate {day} on outcomes through {train_end}")
    started = perf_counter()
    try:
        with writer_lock(home, f"train {day}", wait, console.out):
            result = run_train(home, train_end)
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"propcast train --date {day}", as_json=as_json)
    if not result.success:
        problems = [f"{n.unique_id}: {(n.message or '').strip()}" for n in result.failed]
        for line in problems or [result.error or "dbt failed"]:
            console.print(f"  {line}")
        finish(
            ExitCode.FAILED,
            f"training through {train_end} failed",
            recover=f"propcast build --date {day} && propcast train --date {day}",
            as_json=as_json,
        )
    finish(
        ExitCode.OK,
        f"trained on outcomes through {train_end} in {perf_counter() - started:.0f}s",
        payload={"train_end": str(train_end)},
        as_json=as_json,
    )


CutoffOption = Annotated[
    str | None,
    typer.Option(
        help="Latest vendor snapshot time to use: HH:MM (US/Eastern, on the slate date) or "
        "an ISO time with offset. Default: now for today's slate, 14:00 ET for past ones."
    ),
]

RetrainEveryOption = Annotated[
    int | None,
    typer.Option(
        "--retrain-every",
        min=0,
        help="Retrain first when the newest model's outcomes end this many days or more "
        "before the slate's eve; 0: only when no model exists. Default: "
        "PROPCAST_RETRAIN_EVERY_DAYS or 7. Scoring itself never trains.",
    ),
]

OddsIngestionFlag = Annotated[
    bool,
    typer.Option(
        help="Fetch and ingest the slate's odds from the vendors. Off: price with the odds "
        "already loaded (results are still fetched)."
    ),
]

EvFlag = Annotated[
    bool,
    typer.Option(
        help="Price the slate (EV, Kelly stakes, recommendations: fct_bet_recommendations "
        "and what reads it). Off: score only."
    ),
]

DiagnosticsFlag = Annotated[
    bool,
    typer.Option(
        help="Build the monitoring marts (models/marts/monitoring) and write the slate "
        "report. Off: the run report only."
    ),
]


@app.command("run-day")
def run_day(
    run_date: DateOption = None,
    cutoff: CutoffOption = None,
    retrain_every: RetrainEveryOption = None,
    run_odds_ingestion: OddsIngestionFlag = True,
    run_ev: EvFlag = True,
    run_diagnostics: DiagnosticsFlag = True,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """The morning job for one slate: fetch and ingest the slate's odds up to the cutoff and the
    previous day's results, build the warehouse, score and price the slate, write the reports.

    Without --date the slate is today in US/Eastern; another date is processed with a warning,
    and so is a slate whose odds are missing while another date's are there. Exit 0 ok, 3
    degraded (a vendor down, quarantined rows, the wrong slate's odds or warnings), 1 failed
    (with the command that recovers), 2 usage error (e.g. a cutoff in the future).
    """
    from propcast.daily import DayPlan
    from propcast.daily import run_day as run
    from propcast.locking import WarehouseBusy, writer_lock

    home = open_home()
    today = today_in_slate_tz()
    day = parse_date(run_date)
    moment = parse_cutoff(cutoff, day)
    if moment > utc_now() + timedelta(minutes=1):
        raise typer.BadParameter(f"cutoff {moment:%Y-%m-%d %H:%M} UTC is in the future")
    note = "today in US/Eastern" if day == today else f"NOT today: today is {today} in US/Eastern"
    console.print(f"run-day for slate [bold]{day}[/] ({note}); cutoff {moment:%Y-%m-%d %H:%M} UTC")
    if day != today:
        console.print(f"  [yellow]warning[/] processing a slate other than today's ({today})")
    try:
        with writer_lock(home, f"run-day {day}", wait, console.out):
            outcome = run(
                home,
                day,
                moment,
                say=lambda line: console.print(f"  {line}"),
                retrain_every=retrain_every,
                plan=DayPlan(run_odds_ingestion, run_ev, run_diagnostics),
            )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"propcast run-day --date {day}", as_json=as_json)
    _finish_run_day(outcome, day, moment, as_json)


def _finish_run_day(outcome, day, moment, as_json: bool) -> None:
    for report in outcome.reports:
        console.print(f"  report: {report}")
    verdict = verdict_of(outcome.status)
    finish(
        verdict,
        f"run-day {day}: {outcome.message} (run {outcome.run_id})",
        recover=(outcome.recover or f"propcast recover --date {day}")
        if verdict == ExitCode.FAILED
        else f"propcast run-day --date {day} once the vendor is back",
        payload={
            "run_id": outcome.run_id,
            "run_date": str(day),
            "cutoff_utc": str(moment),
            "vendors": outcome.vendors,
            "reports": outcome.reports,
            "edge_gate": getattr(outcome, "edge_gate", []),
        },
        as_json=as_json,
        alert=True,
    )
