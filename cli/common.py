"""What every command shares: the home (settings checked first), date and cutoff options."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time
from typing import Annotated

import typer
from propcast.cli.output import ExitCode, console, finish
from rich.markup import escape

from propcast.settings import Home, SettingsError
from propcast.timeutil import (
    NOW_ENV,
    default_cutoff,
    pinned_now,
    slate_time_to_utc,
    today_in_slate_tz,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Slate date (YYYY-MM-DD, US/Eastern); default today."),
]
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        max=86400,
        metavar="SECONDS",
        help="When another process writes the warehouse, wait up to this many seconds for it "
        "(naming it) instead of refusing at once. A lock left by a killed process of this host "
        "is cleared; one held on another host is never taken over.",
    ),
]


def open_home() -> Home:
    """PROPCAST_HOME, after every setting is checked (propcast.config): a bad one stops here
    with one paragraph naming it and the fix, exit 1."""
    from propcast.config import alert_warning, check_settings

    try:
        pinned = pinned_now()
        if pinned is not None:
            console.print(f"clock pinned by {NOW_ENV}: now is {pinned:%Y-%m-%d %H:%M:%S} UTC")
        home = check_settings()
    except SettingsError as exc:
        console.print(f"[red]Setting error:[/] {escape(str(exc))}")
        raise typer.Exit(int(ExitCode.FAILED)) from None
    try:
        home.ensure()
    except OSError as exc:
        console.print(
            f"[red]Setting error:[/] PROPCAST_HOME={escape(str(home.root))} cannot be used: "
            f"{escape(exc.strerror or str(exc))} ({escape(str(exc.filename or home.root))}). "
            "Point PROPCAST_HOME at a folder this user can write, or fix its permissions."
        )
        raise typer.Exit(int(ExitCode.FAILED)) from None
    warning = alert_warning()
    if warning:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    return home


def require_packages(command: str, *modules: str, as_json: bool = False) -> None:
    """Stop `command` with one clear line when a package it needs cannot be imported (the
    other commands start without it: they never import it)."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            top = module.split(".")[0]
            absent = isinstance(exc, ModuleNotFoundError) and exc.name in (top, module)
            why = "is not installed" if absent else f"cannot be imported ({exc})"
            finish(
                ExitCode.FAILED,
                f"propcast {command} needs the Python package {top}, which {why}; "
                "the other commands run without it",
                recover=f"{sys.executable} -m pip install {top}  (or reinstall propcast: "
                "pip install -e .)",
                as_json=as_json,
            )


def parse_date(value: str | None, option: str = "--date") -> date:
    if value is None:
        return today_in_slate_tz()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option
        ) from None


def parse_cutoff(value: str | None, day: date) -> datetime:
    """HH:MM (US/Eastern, on the slate date) or an ISO instant with offset, as naive UTC."""
    if value is None:
        return default_cutoff(day)
    try:
        if len(value) <= 5:
            return slate_time_to_utc(day, time.fromisoformat(value))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a cutoff; use HH:MM (US/Eastern) or an ISO time with offset"
        ) from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} has no time zone; add Z or an offset like -05:00")
    return moment.astimezone(UTC).replace(tzinfo=None)


def verdict_of(status: str) -> ExitCode:
    """A run's status (ok / degraded / anything else) as the command's exit code."""
    return {"ok": ExitCode.OK, "degraded": ExitCode.DEGRADED}.get(status, ExitCode.FAILED)
