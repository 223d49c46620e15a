"""`propcast`: the morning job and its runbooks as commands; the logic lives in the package."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter
from typing import Annotated

import typer
from propcast.cli.output import ExitCode, console, finish, progress_bar

from propcast.settings import Home, SettingsError
from propcast.timeutil import (
    NOW_ENV,
    default_cutoff,
    parse_now,
    pinned_now,
    slate_time_to_utc,
    today_in_slate_tz,
    utc_now,
)

app = typer.Typer(
    name="propcast",
    help=(
        "propcast: a dbt warehouse for sports-betting predictions.\n\n"
        "Everything a command writes goes under PROPCAST_HOME (default: .home in the project). "
        "Exit codes: 0 ok, 1 failed, 3 degraded (completed with a vendor down, stale sources "
        "or rows quarantined); 2 is a usage error.\n\n"
        "Now is the wall clock unless PROPCAST_NOW (or --now) pins it: every default date, "
        "cutoff, freshness verdict and timestamp then follows that instant, to replay a "
        "morning exactly."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Slate date (YYYY-MM-DD, US/Eastern); default today."),
]


@app.callback()
def _global_options(
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Run as if it were this instant (ISO-8601, e.g. 2026-12-06T08:00-05:00; "
            "without an offset: US/Eastern). Sets PROPCAST_NOW for this command and the dbt "
            "runs it starts. Default: PROPCAST_NOW, else the wall clock.",
        ),
    ] = None,
) -> None:
    if now is None:
        return
    try:
        moment = parse_now(now, given_as="--now")
    except SettingsError as exc:
        raise typer.BadParameter(str(exc), param_hint="--now") from None
    os.environ[NOW_ENV] = f"{moment:%Y-%m-%dT%H:%M:%S}+00:00"


def _home() -> Home:
    from propcast.daily import retrain_every_days
    from propcast.ingest import quarantine_share_limit

    try:
        pinned = pinned_now()  # settings are checked before any work starts
        if pinned is not None:
            console.print(f"clock pinned by {NOW_ENV}: now is {pinned:%Y-%m-%d %H:%M:%S} UTC")
        quarantine_share_limit()
        retrain_every_days()
        return Home.from_env().ensure()
    except SettingsError as exc:
        console.print(f"[red]Setting error:[/] {exc}")
        raise typer.Exit(int(ExitCode.FAILED)) from None


def _parse_date(value: str | None) -> date:
    if value is None:
        return today_in_slate_tz()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


@app.command()
def ingest(
    vendor: Annotated[
        list[str] | None,
        typer.Option("--vendor", help="Only these vendors' inbox folders (repeatable)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load new files from PROPCAST_HOME/inbox/<vendor>/<feed>/ into the raw tables.

    A file whose content hash is already loaded is skipped, so running this twice adds nothing.
    An unparseable file is quarantined whole (raw_quarantine, with its reason); a bad row is
    quarantined alone while the good rows of its file load.
    """
    from propcast.ingest import ingest as run_ingest
    from propcast.locking import WarehouseBusy, writer_lock

    home = _home()
    try:
        with writer_lock(home, "ingest"), progress_bar("ingesting inbox") as advance:
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
    as_json: JsonFlag = False,
) -> None:
    """Run `dbt build` (seeds, models, data tests) for a slate date; training is excluded.

    Big models are incremental by game_date: a build for D rebuilds the D-1 and later slices
    (or those from --from on); --full-refresh rebuilds them all and gives the same tables.
    """
    from propcast.locking import WarehouseBusy, writer_lock
    from propcast.pipeline import build as run_build

    home, day = _home(), _parse_date(run_date)
    first = _parse_date(slice_start) if slice_start else None
    if first and first > day:
        raise typer.BadParameter(f"--from {first} is after --date {day}")
    scope = "every slice" if full_refresh else f"slices from {first or day - timedelta(days=1)}"
    console.print(
        f"propcast build for slate date [bold]{day}[/] ({scope}; warehouse {home.warehouse})"
    )
    started = perf_counter()
    try:
        with writer_lock(home, f"build {day}"):
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
            recover=f"fix the failing node above, then `propcast build --date {day}`",
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
    as_json: JsonFlag = False,
) -> None:
    """Train and register the predictors for a slate date, on outcomes through the day before.

    Appends to ml_model_registry (history: never rewritten). Daily builds do not retrain; they
    score with the newest model trained before the slate (or the pinned one).
    """
    from propcast.daily import train as run_train
    from propcast.locking import WarehouseBusy, writer_lock

    home, day = _home(), _parse_date(run_date)
    train_end = day - timedelta(days=1)
    console.print(f"training for slate {day} on outcomes through {train_end}")
    started = perf_counter()
    try:
        with writer_lock(home, f"train {day}"):
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


@app.command()
def freshness(as_json: JsonFlag = False) -> None:
    """Per source: the freshness verdict on the latest game_date that has data due.

    Backfilled old rows cannot make stale data look fresh, a day without games is not
    staleness, and scheduled future games are not loaded data. Exit 0 when every source passes,
    3 when one warns, 1 when one errors.
    """
    from propcast import freshness as fresh

    home = _home()
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
def demo(
    days: Annotated[
        int,
        typer.Option(
            min=3, help="Length of the demo season in days (it ends on the latest priced slate)."
        ),
    ] = 165,
    seed: Annotated[int, typer.Option(help="Seed of the demo world (same seed, same world).")] = 7,
    books: Annotated[int, typer.Option(min=1, max=8, help="Sportsbooks quoting props.")] = 5,
    as_json: JsonFlag = False,
) -> None:
    """A season of the demo world, run as a team would: history, training, walk-forward
    scoring in one batch, then the morning job (run-day) for the last slate.

    The season ends on the latest slate already priced (today after 14:00 US/Eastern, else
    yesterday). Its ground truth goes to PROPCAST_HOME/world/truth, which nothing downstream
    reads. Prints the slate report at the end.
    """
    from propcast.demo import DemoFailed, run_demo
    from propcast.locking import WarehouseBusy, writer_lock

    home = _home()
    started = perf_counter()
    try:
        with writer_lock(home, "demo"), progress_bar("days generated") as advance:
            outcome = run_demo(
                home, days=days, seed=seed, books=books, say=console.print, progress=advance
            )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover="propcast demo", as_json=as_json)
    except DemoFailed as exc:
        finish(ExitCode.FAILED, str(exc), recover="propcast demo", as_json=as_json)
    day = outcome.day
    if day.reports:
        console.print("")
        console.print(Path(day.reports[-1]).read_text())
    for report in day.reports:
        console.print(f"report: {report}")
    console.print(f"warehouse: {home.warehouse}  (dbt docs: `propcast docs`)")
    console.print(f"ground truth (models never read it): {home.world / 'truth'}")
    verdict = {"ok": ExitCode.OK, "degraded": ExitCode.DEGRADED}.get(day.status, ExitCode.FAILED)
    finish(
        verdict,
        f"demo: {outcome.world.games:,} games, trained through {outcome.train_end}, "
        f"walk-forward {outcome.scored[0]} → {outcome.scored[1]}, run-day {day.run_date}: "
        f"{day.message} in {perf_counter() - started:.0f}s",
        recover=f"propcast recover --date {day.run_date}",
        payload={"run_id": day.run_id, "reports": day.reports},
        as_json=as_json,
    )


@app.command()
def docs(as_json: JsonFlag = False) -> None:
    """Generate dbt's documentation site as one static HTML file under PROPCAST_HOME/target."""
    from propcast.dbt_runner import Dbt

    home = _home()
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


def _parse_cutoff(value: str | None, day: date) -> datetime:
    if value is None:
        return default_cutoff(day)
    try:
        if len(value) <= 5:  # HH:MM on the slate date, US/Eastern
            return slate_time_to_utc(day, time.fromisoformat(value))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a cutoff; use HH:MM (US/Eastern) or an ISO time with offset"
        ) from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} has no time zone; add Z or an offset like -05:00")
    return moment.astimezone(UTC).replace(tzinfo=None)


@app.command("run-day")
def run_day(
    run_date: DateOption = None,
    cutoff: Annotated[
        str | None,
        typer.Option(
            help="Latest vendor snapshot time to use: HH:MM (US/Eastern, on the slate date) or "
            "an ISO time with offset. Default: now for today's slate, 14:00 ET for past ones."
        ),
    ] = None,
    retrain_every: Annotated[
        int | None,
        typer.Option(
            "--retrain-every",
            min=0,
            help="Retrain first when the newest model's outcomes end this many days or more "
            "before the slate's eve; 0: only when no model exists. Default: "
            "PROPCAST_RETRAIN_EVERY_DAYS or 7. Scoring itself never trains.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The morning job for one slate: fetch and ingest the slate's odds up to the cutoff and the
    previous day's results, build the warehouse, score and price the slate, write the reports.

    Without --date the slate is today in US/Eastern. Exit 0 ok, 3 degraded (a vendor down,
    quarantined rows or warnings), 1 failed (with the command that recovers).
    """
    from propcast.daily import run_day as run
    from propcast.locking import WarehouseBusy, writer_lock

    home = _home()
    today = today_in_slate_tz()
    day = _parse_date(run_date)
    moment = _parse_cutoff(cutoff, day)
    if moment > utc_now() + timedelta(minutes=1):
        raise typer.BadParameter(f"cutoff {moment:%Y-%m-%d %H:%M} UTC is in the future")
    note = "today in US/Eastern" if day == today else f"NOT today: today is {today} in US/Eastern"
    console.print(f"run-day for slate [bold]{day}[/] ({note}); cutoff {moment:%Y-%m-%d %H:%M} UTC")
    if day != today:
        console.print(f"  [yellow]warning[/] processing a slate other than today's ({today})")
    try:
        with writer_lock(home, f"run-day {day}"):
            outcome = run(
                home,
                day,
                moment,
                say=lambda line: console.print(f"  {line}"),
                retrain_every=retrain_every,
            )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"propcast run-day --date {day}", as_json=as_json)
    for report in outcome.reports:
        console.print(f"  report: {report}")
    verdict = {"ok": ExitCode.OK, "degraded": ExitCode.DEGRADED}.get(
        outcome.status, ExitCode.FAILED
    )
    finish(
        verdict,
        f"run-day {day}: {outcome.message} (run {outcome.run_id})",
        recover=f"propcast recover --date {day}"
        if verdict == ExitCode.FAILED
        else f"propcast run-day --date {day} once the vendor is back",
        payload={
            "run_id": outcome.run_id,
            "run_date": str(day),
            "cutoff_utc": str(moment),
            "vendors": outcome.vendors,
            "reports": outcome.reports,
        },
        as_json=as_json,
    )


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

    home = _home()
    day = _parse_date(run_date)
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
    verdict = {"ok": ExitCode.OK, "degraded": ExitCode.DEGRADED}.get(
        outcome.status, ExitCode.FAILED
    )
    finish(
        verdict,
        f"recover {day}: {outcome.message} (run {outcome.run_id})",
        recover=f"propcast recover --date {day}",
        as_json=as_json,
        payload={"run_id": outcome.run_id, "run_date": str(day)},
    )


@app.command()
def status(as_json: JsonFlag = False) -> None:
    """The latest runs from their state files (works while a run holds the warehouse)."""
    from propcast.runs import read_runs

    home = _home()
    runs = read_runs(home)[-10:]
    if not runs:
        finish(ExitCode.OK, "no runs recorded yet", as_json=as_json, payload={"runs": []})
    for r in runs:
        where = f"phase {r.phase}" if r.status == "running" else r.message or ""
        console.print(f"{r.run_id:<28} {r.command:<10} slate {r.run_date}  {r.status:<9} {where}")
    last = runs[-1]
    verdict = {"ok": ExitCode.OK, "running": ExitCode.OK, "degraded": ExitCode.DEGRADED}.get(
        last.status, ExitCode.FAILED
    )
    finish(
        verdict,
        f"latest run {last.run_id} for slate {last.run_date}: {last.status}",
        recover=f"propcast recover --date {last.run_date}",
        payload={"runs": [vars(r) for r in runs]},
        as_json=as_json,
    )


def _print_tables(tables: dict[str, int]) -> None:
    console.print("rows per table:")
    for name, rows in tables.items():
        console.print(f"  {name:<45} {rows:>12,}")


def main() -> None:  # pragma: no cover - console-script entry for `python -m`
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
