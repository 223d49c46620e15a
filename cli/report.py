"""What people read: the slate's reports (`report`) and its bets as files (`export`)."""

from __future__ import annotations

from propcast.cli.app import app
from propcast.cli.common import (
    DateOption,
    JsonFlag,
    WaitOption,
    open_home,
    parse_date,
    require_packages,
)
from propcast.cli.output import ExitCode, console, finish


@app.command()
def report(run_date: DateOption = None, wait: WaitOption = 0.0, as_json: JsonFlag = False) -> None:
    """Rewrite a slate's reports from the warehouse, under PROPCAST_HOME/outputs/monitoring/.

    daily_run_<D>.md (the latest run of D, when one is recorded), daily_report_<D>.md,
    rolling_report.md (every date up to D: forecast accuracy, ROI, CLV, odds coverage,
    mapping quality) and report_<D>.html: one self-contained page (it opens offline) with
    the calibration curve, ROI and CLV over time, odds coverage and mapping quality, then the
    ledger's placed bets up to D (the charts of `propcast bets report`: bankroll curve, ROI
    and CLV by market family, book and month, hit rate vs expected; one line when there is
    none, which is not a missing section). A chart without data says why instead. Exit 0
    when every section has data, 3 when some has none (named), 1 when the warehouse cannot
    be read (with the command that recovers), 2 usage error.
    """
    require_packages("report", "matplotlib", as_json=as_json)
    from propcast.locking import WarehouseBusy, writer_lock
    from propcast.reporting import ReportError, write_reports

    home, day = open_home(), parse_date(run_date)
    console.print(f"report for slate [bold]{day}[/] (dates up to {day})")
    try:
        with writer_lock(home, f"report {day}", wait, console.out):
            outcome = write_reports(home, day)
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"propcast report --date {day}", as_json=as_json)
    except ReportError as exc:
        finish(ExitCode.FAILED, f"report {day}: {exc}", recover=exc.recover, as_json=as_json)
    for path in outcome.paths:
        console.print(f"  wrote {path}")
    for note in outcome.notes:
        console.print(f"  note: {note}")
    for name, why in outcome.missing.items():
        console.print(f"  [yellow]no data[/] {name}: {why}")
    missing = ", ".join(outcome.missing)
    finish(
        ExitCode.DEGRADED if outcome.missing else ExitCode.OK,
        f"report {day}: {len(outcome.paths)} files written"
        + (f"; sections without data: {missing}" if missing else ""),
        recover=f"propcast run-day --date {day} (then propcast report --date {day})",
        payload={
            "run_date": str(day),
            "paths": [str(p) for p in outcome.paths],
            "missing": outcome.missing,
            "notes": outcome.notes,
        },
        as_json=as_json,
    )


@app.command()
def export(run_date: DateOption = None, wait: WaitOption = 0.0, as_json: JsonFlag = False) -> None:
    """Write a slate's bets and their audit trail as files, under PROPCAST_HOME/outputs/.

    ev_analysis/MultiBookBestBets.xlsx: one row per recommended bet with the price of its side
    at every book, the best one in bold, EV, the model's and the priced (edge-gate shrunk)
    probability, and the stake of the run's staking policy (PROPCAST_STAKING: kelly or
    joint-kelly, named in a Staking column). audits/ev_prob_audit_<D>.csv,
    .jsonl and .md: one row per scored line with the model's and the market's probability,
    prices, EV per side, the decision and its reason code. No bets is not an error: the files
    keep their headers and the .md says why. Exit 0 when written, 3 when nothing was scored
    for D, 1 when the warehouse cannot be read (with the command that recovers),
    2 usage error.
    """
    require_packages("export", "openpyxl", "matplotlib", as_json=as_json)
    from propcast.export import explain, write_export
    from propcast.locking import WarehouseBusy, writer_lock
    from propcast.reporting import ReportError

    home, day = open_home(), parse_date(run_date)
    console.print(f"export for slate [bold]{day}[/]")
    try:
        with writer_lock(home, f"export {day}", wait, console.out):
            outcome = write_export(home, day)
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=f"propcast export --date {day}", as_json=as_json)
    except ReportError as exc:
        finish(ExitCode.FAILED, f"export {day}: {exc}", recover=exc.recover, as_json=as_json)
    for path in outcome.paths:
        console.print(f"  wrote {path}")
    line = f"export {day}: {outcome.bets} bets of {outcome.lines_scored} lines scored"
    if outcome.no_bet_reason:
        line += f"; no bets: {explain(outcome.no_bet_reason, day)}"
    finish(
        ExitCode.DEGRADED if outcome.lines_scored == 0 else ExitCode.OK,
        line,
        recover=f"propcast run-day --date {day} (then propcast export --date {day})",
        payload={
            "run_date": str(day),
            "paths": [str(p) for p in outcome.paths],
            "bets": outcome.bets,
            "lines_scored": outcome.lines_scored,
            "no_bet_reason": outcome.no_bet_reason,
        },
        as_json=as_json,
    )
