"""The `propcast` Typer app and its global options; command modules register on it."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from propcast.settings import SettingsError
from propcast.timeutil import NOW_ENV, parse_now

app = typer.Typer(
    name="propcast",
    help=(
        "propcast: a dbt warehouse for sports-betting predictions.\n\n"
        "Everything a command writes goes under PROPCAST_HOME (default: .home in the project). "
        "Exit codes: 0 ok, 1 failed, 3 degraded (completed with a vendor down, stale sources "
        "or rows quarantined); 2 is a usage error.\n\n"
        "Now is the wall clock unless PROPCAST_NOW (or --now) pins it: every default date, "
        "cutoff, freshness verdict and timestamp then follows that instant, to replay a "
        "morning exactly.\n\n"
        "After a failed or degraded run, the command in PROPCAST_ALERT_CMD (if set) is run "
        "with the failure summary on its standard input."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
