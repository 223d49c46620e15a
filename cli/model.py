"""`propcast model list|pin|unpin|rollback`: which model version scores, and making one serve."""

from __future__ import annotations

from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import DateOption, JsonFlag, open_home, parse_date
from propcast.cli.output import ExitCode, console, finish
from rich.markup import escape

model_app = typer.Typer(
    help=(
        "Which model version scores a slate, and making an earlier one serve. Pins live in "
        "PROPCAST_HOME/model_pin.json (run-day and recover honour them); every change is "
        "appended, with who, when and why, to PROPCAST_HOME/model_pins.jsonl."
    ),
    no_args_is_help=True,
)
app.add_typer(model_app, name="model")

ReasonOption = Annotated[
    str | None,
    typer.Option("--reason", help="Why (recorded in the pin history, model_pins.jsonl)."),
]


def _refuse_when_locked(home, what: str, as_json: bool) -> None:
    from propcast.health import writer_holder

    holder = writer_holder(home)
    if holder:
        finish(
            ExitCode.FAILED,
            f"{what}: the warehouse is locked by a run ({holder})",
            recover=f"wait for it to finish (propcast status), then propcast model {what}",
            as_json=as_json,
        )


@model_app.command("list")
def list_models(run_date: DateOption = None, as_json: JsonFlag = False) -> None:
    """Registered versions (family, train_end, registered_at, dates scored) and which one
    scores the slate date, and why: pinned, or the newest trained before it.

    Exit 0 listed, 1 no warehouse, an empty registry or a run holding the warehouse (with the
    command that recovers), 2 usage error.
    """
    from propcast.model_pins import PinError, pinned_version
    from propcast.model_pins import list_models as models_of

    home, day = open_home(), parse_date(run_date)
    _refuse_when_locked(home, "list", as_json)
    try:
        models, problems = models_of(home, day)
    except PinError as exc:
        finish(
            ExitCode.FAILED, str(exc), recover="propcast demo, or propcast train", as_json=as_json
        )
    pin = pinned_version(home)
    console.print(f"models for slate date [bold]{day}[/] (pin: {pin or 'none'})")
    console.print(f"  {'model_version':<38} {'train_end':<10}  {'registered_at':<19}  scored")
    for m in models:
        scored = f"{m.first_scored}..{m.last_scored}" if m.first_scored else "-"
        now = f"  <- scores {day} ({m.scores_now})" if m.scores_now else ""
        console.print(
            f"  {m.model_version:<38} {m.train_end:<10}  {(m.registered_at or '-')[:19]:<19}  "
            f"{scored}{now}"
        )
    for family, problem in problems.items():
        console.print(f"  [red]{family}[/]: {escape(problem)}")
    payload = {
        "run_date": str(day),
        "pinned": pin,
        "models": [m.as_dict() for m in models],
        "problems": problems,
    }
    if not models:
        finish(
            ExitCode.FAILED,
            f"no model registered (slate {day})",
            recover=f"propcast train --date {day}",
            payload=payload,
            as_json=as_json,
        )
    if problems:
        finish(
            ExitCode.FAILED,
            f"no model may score {day}: {next(iter(problems.values()))}",
            recover="propcast model unpin, or propcast train",
            payload=payload,
            as_json=as_json,
        )
    serving = ", ".join(f"{m.model_version} ({m.scores_now})" for m in models if m.scores_now)
    finish(
        ExitCode.OK,
        f"{len(models)} model(s); {serving} scores {day}",
        payload=payload,
        as_json=as_json,
    )


@model_app.command("pin")
def pin_model(
    version: Annotated[str, typer.Argument(help="A model_version from `propcast model list`.")],
    reason: ReasonOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Make VERSION score every slate from the next run on (it must be registered, and is
    refused at scoring time for a slate on or before its train_end). Recorded with who, when
    and --reason in PROPCAST_HOME/model_pins.jsonl; run-day and recover honour it.

    Exit 0 pinned, 1 refused (VERSION not registered, or a run holds the warehouse), 2 usage
    error.
    """
    from propcast.model_pins import PinError, pin

    home = open_home()
    _refuse_when_locked(home, "pin", as_json)
    try:
        event, info = pin(home, version, reason)
    except PinError as exc:
        finish(ExitCode.FAILED, str(exc), recover="propcast model list", as_json=as_json)
    was = f" (replacing {event.previous})" if event.previous else ""
    finish(
        ExitCode.OK,
        f"pinned {version}{was}, {info.market_family} trained through {info.train_end}: run-day "
        f"and recover score with it from {parse_date(None)} on (recorded by {event.who})",
        payload={"event": vars(event)},
        as_json=as_json,
    )


@model_app.command("unpin")
def unpin_model(reason: ReasonOption = None, as_json: JsonFlag = False) -> None:
    """Release the pin: the newest model trained before each slate scores it again.

    Exit 0 (also when nothing was pinned), 1 refused while a run holds the warehouse, 2 usage
    error.
    """
    from propcast.model_pins import unpin

    home = open_home()
    event = unpin(home, reason)
    today = parse_date(None)
    if event is None:
        finish(
            ExitCode.OK,
            f"nothing was pinned: the newest eligible model scores {today}",
            payload={"event": None},
            as_json=as_json,
        )
    finish(
        ExitCode.OK,
        f"unpinned {event.previous}: the newest model trained before each slate scores it "
        f"from {today} on (recorded by {event.who})",
        payload={"event": vars(event)},
        as_json=as_json,
    )


@model_app.command("rollback")
def rollback_model(
    run_date: DateOption = None, reason: ReasonOption = None, as_json: JsonFlag = False
) -> None:
    """Pin the version that scored before the one serving now (the pin, else the newest
    trained before the slate date); recorded like a pin.

    Exit 0 rolled back, 1 refused (no earlier version has scored, or a run holds the
    warehouse), 2 usage error.
    """
    from propcast.model_pins import PinError, rollback

    home, day = open_home(), parse_date(run_date)
    _refuse_when_locked(home, "rollback", as_json)
    try:
        event, replaced = rollback(home, day, reason)
    except PinError as exc:
        finish(
            ExitCode.FAILED,
            f"rollback for {day}: {exc}",
            recover="propcast model list",
            as_json=as_json,
        )
    finish(
        ExitCode.OK,
        f"rolled back from {replaced} to {event.model_version} (pinned): run-day and recover "
        f"score with it from {day} on; rescore a slate already run with propcast recover "
        f"--date {day}",
        payload={"event": vars(event), "replaced": replaced},
        as_json=as_json,
    )
