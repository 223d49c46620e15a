"""Looking without changing: status, freshness and the dbt docs site."""

from __future__ import annotations

from propcast.cli.app import app
from propcast.cli.common import JsonFlag, open_home
from propcast.cli.output import ExitCode, console, finish

from propcast.timeutil import today_in_slate_tz


@app.command()
def freshness(as_json: JsonFlag = False) -> None:
    """Per source: the freshness verdict on the latest game_date that has data due.

    Backfilled old rows cannot make stale data look fresh, a day without games is not
    staleness, and scheduled future games are not loaded data. Exit 0 when every source passes,
    3 when one warns, 1 when one errors.
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
    """Generate dbt's documentation site as one static HTML file under PROPCAST_HOME/target."""
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
def status(as_json: JsonFlag = False) -> None:
    """The latest runs from their state files (works while a run holds the warehouse)."""
    from propcast.runs import read_runs

    home = open_home()
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
