"""Runbook checks: health [--deep], verify, positive-control. The logic lives in the package."""

from __future__ import annotations

from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import DateOption, JsonFlag, open_home, parse_date
from propcast.cli.output import ExitCode, console, finish
from rich.markup import escape


@app.command()
def health(
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also import every module of the package (naming any that fails), score a "
            "canary of the latest lines with the model that would score today through the "
            "production scoring path, and run the fallback guard on the latest predictions.",
        ),
    ] = False,
    package: Annotated[
        list[str] | None,
        typer.Option(
            "--package",
            help="With --deep: also import every module of this package (repeatable), e.g. a "
            "plugin the morning job loads. propcast and propcast.cli are always imported.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Is this install able to run the morning job? Exit 0 healthy, 1 not (the cause named and
    the command that recovers), 2 usage error.

    Shallow (fast): settings valid, PROPCAST_HOME writable, the warehouse file present and
    openable (a run holding it is reported as "locked by a run"), the model registry not empty.
    Deep (--deep): also the imports, a canary scored through the production path and the
    fallback guard on the latest predictions.
    """
    from propcast.health import DEFAULT_PACKAGES, run_health

    packages = list(dict.fromkeys([*DEFAULT_PACKAGES, *(package or [])]))
    report = run_health(deep=deep, packages=packages)
    kind = "deep" if deep else "shallow"
    day = report.day or "an unknown date (see settings)"  # a bad PROPCAST_NOW: no today
    console.print(f"propcast health ({kind}) for slate date [bold]{day}[/] (US/Eastern)")
    for check in report.checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"  {mark} {check.name}: {escape(check.detail)}")
    payload = {
        "run_date": str(report.day) if report.day else None,
        "deep": deep,
        "checks": [c.as_dict() for c in report.checks],
    }
    if report.ok:
        finish(
            ExitCode.OK,
            f"health ({kind}) for {day}: {len(report.checks)} checks passed",
            payload=payload,
            as_json=as_json,
        )
    first = report.failures[0]
    names = ", ".join(c.name for c in report.failures)
    finish(
        ExitCode.FAILED,
        f"health ({kind}) for {day}: failed {names} — {first.name}: {first.detail}",
        recover=first.recover,
        payload=payload,
        as_json=as_json,
    )


@app.command()
def verify(run_date: DateOption = None, as_json: JsonFlag = False) -> None:
    """Check a slate's predictions after its run: present for every line offered and mapped,
    varying (the fallback guard: not constant, not all 0.5, unless the market is flat), and
    scored by the model that should have (the pinned one, else the newest trained before the
    slate), as the prediction rows and the run state record it. Exit 0 ok, 1 not (with the
    command that recovers), 2 usage error.
    """
    from propcast.verify import verify_day

    home, day = open_home(), parse_date(run_date)
    console.print(f"propcast verify for slate date [bold]{day}[/] (warehouse {home.warehouse})")
    result = verify_day(home, day)
    for fact in result.facts:
        console.print(f"  [green]ok[/]   {escape(fact)}")
    for problem in result.problems:
        console.print(f"  [red]FAIL[/] {escape(problem)}")
    payload = {"run_date": str(day), "problems": result.problems, **result.payload}
    if result.ok:
        finish(
            ExitCode.OK,
            f"verify {day}: predictions present, varied, right model",
            payload=payload,
            as_json=as_json,
        )
    finish(
        ExitCode.FAILED,
        f"verify {day}: {result.problems[0]}"
        + (f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""),
        recover=result.recover,
        payload=payload,
        as_json=as_json,
    )


@app.command("positive-control")
def positive_control(
    run_date: DateOption = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the warehouse copy and print where it is.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Prove the pricing recommends value and only value, on a copy of the warehouse.

    Copies the warehouse (the live file is never written), injects into the slate's
    predictions one line priced at +5 % EV against the model at a single book and one line at
    the model's fair price with vig, re-runs the production pricing (fct_bet_recommendations,
    through dbt, with the edge gate off) for the slate on the copy, and passes only if the first
    is recommended and the second is not; says whether the edge gate would have withheld the
    line's family on the live warehouse. Exit 0 passed, 1 not (the line that failed named,
    with the command that recovers), 2 usage error.
    """
    from propcast.positive_control import ControlError, run_positive_control

    home, day = open_home(), parse_date(run_date)
    console.print(f"propcast positive-control for slate date [bold]{day}[/]")
    try:
        outcome = run_positive_control(
            home, day, say=lambda line: console.print(f"  {escape(line)}"), keep=keep
        )
    except ControlError as exc:
        finish(
            ExitCode.FAILED,
            f"positive-control {day} could not run: {exc}",
            recover=f"propcast verify --date {day}",
            as_json=as_json,
        )
    for line in outcome.lines:
        console.print(f"  {escape(line.describe())}")
    console.print(f"  {escape(outcome.gate_line())}")
    if outcome.copy_path:
        console.print(f"  copy kept at {outcome.copy_path}")
    value = next(line for line in outcome.lines if line.label == "value")
    if outcome.passed:
        finish(
            ExitCode.OK,
            f"positive-control {day}: the +{value.ev or 0:.1%} EV line is recommended, the fair "
            f"line is not (the slate itself has {outcome.slate_recommended} recommendation(s) "
            "with the edge gate off"
            + (
                "; the gate WOULD withhold this family on the live warehouse)"
                if outcome.gate_would_withhold
                else ")"
            ),
            payload=outcome.as_dict(),
            as_json=as_json,
        )
    wrong = "; ".join(line.describe() for line in outcome.lines if not line.as_expected)
    finish(
        ExitCode.FAILED,
        f"positive-control {day}: pricing decided wrongly: {wrong}",
        recover="check fct_bet_recommendations.sql and its vars (min_ev, bankroll) in "
        f"dbt_project.yml, then propcast positive-control --date {day}",
        payload=outcome.as_dict(),
        as_json=as_json,
    )
