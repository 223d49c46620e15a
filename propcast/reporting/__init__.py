"""`propcast report --date D`: every page people read about a slate, rewritten from the warehouse.

Under `outputs/monitoring/`: `daily_run_<D>.md` (the latest run of D, when there is one),
`daily_report_<D>.md`, `rolling_report.md` (every date up to D) and `report_<D>.html` (one
self-contained page with the charts: calibration, ROI, CLV, odds coverage, mapping quality,
and the ledger's placed bets up to D (propcast.reporting.ledger), or one line saying there are
none).
A section without data is written saying why and listed in `ReportOutcome.missing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from propcast.reporting import data as queries
from propcast.reporting import ledger, page, plots, rolling
from propcast.reports import monitoring_dir, write_daily_report, write_run_report
from propcast.runs import latest_run
from propcast.settings import Home
from propcast.timeutil import utc_now
from propcast.warehouse import connect

PLOT_IDS = ("plot-calibration", "plot-roi", "plot-clv", "plot-coverage", "plot-mapping")
LEDGER_PLOT_IDS = ledger.LEDGER_PLOT_IDS  # drawn when the ledger has placed bets up to D


class ReportError(RuntimeError):
    """The reports could not be written; `recover` is the command that fixes it."""

    def __init__(self, message: str, recover: str) -> None:
        super().__init__(message)
        self.recover = recover


@dataclass
class ReportOutcome:
    day: date
    paths: list[Path] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # section -> why it has no data
    notes: list[str] = field(default_factory=list)


def read_warehouse(home: Home, day: date) -> queries.ReportData:
    """Every section's rows up to `day`; ReportError when the warehouse cannot be read."""
    if not home.warehouse.exists():
        raise ReportError(
            f"no warehouse at {home.warehouse}: nothing has been built in this home",
            recover=f"propcast run-day --date {day}",
        )
    try:
        with connect(home) as con:
            data = queries.load(con, day)
            data.ledger = ledger.load(con, day)
            return data
    except duckdb.IOException as exc:  # held by another process
        raise ReportError(
            f"the warehouse cannot be opened: {exc}", recover=f"propcast report --date {day}"
        ) from exc
    except duckdb.Error as exc:  # a mart without the columns the report reads
        raise ReportError(
            f"the warehouse cannot be read: {exc}", recover=f"propcast build --date {day}"
        ) from exc


def draw(data: queries.ReportData) -> list[plots.Plot]:
    return [
        plots.calibration(data.calibration.frame, data.calibration.missing),
        plots.roi(data.ev.frame, data.ev.missing),
        plots.clv(data.ev.frame, data.ev.missing),
        plots.coverage(data.coverage.frame, data.coverage.missing, data.coverage.source),
        plots.mapping(data.mapping.frame, data.mapping.missing),
    ]


def missing_sections(data: queries.ReportData, drawn: list[plots.Plot]) -> dict[str, str]:
    missing = {s.name: s.missing for s in (data.slate, data.accuracy) if s.missing}
    missing.update({p.plot_id.removeprefix("plot-"): p.missing for p in drawn if p.missing})
    return missing


def ledger_notes(data: queries.ReportData) -> list[str]:
    """The ledger section's state as a note: an empty ledger is normal (no bet placed, or
    none recorded), so it is not a section without data and does not degrade the report."""
    section = data.ledger
    if section is None or section.result is None:
        return [f"ledger: {section.empty}"] if section and section.empty else []
    return [f"ledger: {section.result['n_placed']} placed bets {section.period} charted"]


def write_reports(home: Home, day: date) -> ReportOutcome:
    data = read_warehouse(home, day)
    outcome = ReportOutcome(day)
    state = latest_run(home, day)
    if state is not None:
        outcome.paths.append(write_run_report(home, state))
    else:
        outcome.notes.append(f"no run recorded for {day}: daily_run_{day}.md not written")
    outcome.paths.append(write_daily_report(home, day))
    drawn = draw(data)
    outcome.missing = missing_sections(data, drawn)
    outcome.notes += ledger_notes(data)
    generated_at = f"{utc_now():%Y-%m-%d %H:%M:%S}"
    folder = monitoring_dir(home)
    rolling_path = folder / "rolling_report.md"
    rolling_path.write_text(rolling.render(data, generated_at))
    html_path = folder / f"report_{day}.html"
    html_path.write_text(page.render(data, drawn, generated_at, outcome.missing))
    outcome.paths += [rolling_path, html_path]
    return outcome


__all__ = [
    "LEDGER_PLOT_IDS",
    "PLOT_IDS",
    "ReportError",
    "ReportOutcome",
    "read_warehouse",
    "write_reports",
]
