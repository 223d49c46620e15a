"""How every command ends: a one-line verdict, the recovery command, an exit code, --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# soft_wrap: a message is one line however long its paths (cron logs, grep, tests); the
# terminal wraps it for reading.
console = Console(stderr=False, highlight=False, soft_wrap=True)


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    DEGRADED = 3  # completed, but with a vendor down or rows quarantined above threshold


def finish(
    verdict: ExitCode,
    line: str,
    *,
    recover: str | None = None,
    payload: dict[str, Any] | None = None,
    as_json: bool = False,
    alert: bool = False,
) -> None:
    """Print the verdict (and the recovery command when not ok), then exit with its code.
    `alert`: the command is a run; when not ok, PROPCAST_ALERT_CMD gets the summary."""
    label = {ExitCode.OK: "OK", ExitCode.DEGRADED: "DEGRADED", ExitCode.FAILED: "FAILED"}[verdict]
    style = {ExitCode.OK: "green", ExitCode.DEGRADED: "yellow", ExitCode.FAILED: "red"}[verdict]
    console.print(f"[bold {style}]{label}[/] {escape(line)}")  # text, not markup: "[rule]"
    if recover and verdict != ExitCode.OK:
        console.print(f"  recover with: [bold]{escape(recover)}[/]")
    if alert and verdict != ExitCode.OK:
        _alert(f"{label} {line}\nrecover with: {recover or '-'}\n")
    if as_json:
        body = {"verdict": label.lower(), "exit_code": int(verdict), "message": line,
                "recover": recover, **(payload or {})}  # fmt: skip
        print(json.dumps(body, default=str))
    raise typer.Exit(int(verdict))


def _alert(summary: str) -> None:
    from propcast.alerts import send_alert

    result = send_alert(summary)
    if result is not None and not result.sent:
        console.print(f"  [yellow]alert not sent:[/] {result.problem}")


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Any]:
    """A progress bar for long work; yields `advance(done, total)`."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(description, total=total)

        def advance(done: int, total_now: int) -> None:
            progress.update(task, completed=done, total=total_now)

        yield advance
