"""`propcast import totals|props FILE`: the user's own history files into the warehouse."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import JsonFlag, WaitOption, open_home
from propcast.cli.output import ExitCode, console, finish, progress_bar
from rich.markup import escape

EXIT_CODES = (
    "Exit 0 when every row loaded (or the file was already imported), 3 (degraded) when rows "
    "were quarantined or the build warned, 1 when the file was refused whole (unreadable, a "
    "required column missing), the build failed or another process holds the warehouse; "
    "2 usage error (no such file, a bad --format or --league). Each failure names what went "
    "wrong and the command that recovers."
)
COMMON_HELP = (
    "Header names may be in any case, with spaces or a byte-order mark; the delimiter (comma, "
    "semicolon, tab or |) is sniffed; CRLF and quoted fields are fine. Dates: 2017-01-05, "
    "1/5/2017, 01/05/2017 or 20170105 (a two-digit year, or a file mixing month/day and "
    "day/month, is refused). Prices are American (-110, +120, EVEN). Team and player names "
    "load as written (staging maps spellings).\n\n"
    "A bad row goes to raw_quarantine with its reason (and to "
    "PROPCAST_HOME/outputs/imports/<file>.quarantine.csv) while the other rows load; an exact "
    "duplicate of an earlier row is quarantined naming that row. A file missing a required "
    "column is refused whole, naming the missing and the found columns. Importing the same "
    "file again adds nothing (its content hash is known).\n\n"
    "Then the models reading the imports are built (dbt `source:imports+`), unless "
    "--no-build.\n\n" + EXIT_CODES
)

import_app = typer.Typer(
    name="import",
    help="Import your own history files (game totals, player props) into the warehouse.\n\n"
    + EXIT_CODES,
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

FileArgument = Annotated[
    Path, typer.Argument(metavar="FILE.csv", help="The CSV file to import.", show_default=False)
]
NoBuild = Annotated[
    bool,
    typer.Option(
        "--no-build",
        help="Load the raw tables only; build later with `propcast build -s source:imports+`.",
    ),
]


@import_app.command(
    "totals",
    help="Import game totals: one row per game, book and line type (open or close).\n\n"
    "Columns: league (nba or nhl, any case), game_date, home_team, away_team, total_line, "
    "over_price, under_price (American; may be empty: staging assumes -110/-110 and flags "
    "it), home_score, away_score (final scores, both or neither: empty = not settled); "
    "optional: book, line_type (open or close; default close).\n\n"
    "Quarantined: unknown league, unparseable date, a missing line or one outside 100-350 "
    "(NBA) or 2-15 (NHL), a price that is not American (|price| < 100 or not a number), a "
    "negative or fractional score, one score given without the other.\n\n"
    "--format sbr: SBR season workbooks (`nba odds 2016-17.xlsx`, NBA and NHL layouts), one "
    "or several, folders or globs; the league from --league, the file name or the layout, "
    "the season from --season or the file name (`nhl odds 2021.xlsx` is 2020-21). Each game "
    "loads its opening and closing total (prices where the workbook has them, else "
    "-110/-110 assumed and flagged), final and period scores; a game failing a check is "
    "quarantined with its reason. Prints per workbook games read, loaded, quarantined.\n\n"
    + COMMON_HELP,
)
def totals(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="The CSV file (--format csv), or SBR workbooks, folders of them or globs "
            "(--format sbr).",
            show_default=False,
        ),
    ],
    file_format: Annotated[
        str,
        typer.Option("--format", help="csv (the columns above) or sbr (SBR season workbooks)."),
    ] = "csv",
    league: Annotated[
        str | None, typer.Option("--league", help="sbr: nba or nhl (default: from the file).")
    ] = None,
    season: Annotated[
        str | None,
        typer.Option("--season", help="sbr: e.g. 2016-17 (default: from the file name)."),
    ] = None,
    no_build: NoBuild = False,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    from propcast.cli.import_sbr import run_sbr

    if file_format == "sbr":
        run_sbr(files, league, season, no_build, wait, as_json)
    if file_format != "csv" or len(files) != 1 or league or season:
        finish(
            ExitCode.FAILED,
            "import totals: --format csv takes one FILE.csv and no --league/--season "
            "(the file's columns say them); SBR workbooks take --format sbr",
            recover="propcast import totals FILE.csv, or propcast import totals --format sbr "
            "FILE.xlsx [FILE.xlsx ...]",
            as_json=as_json,
        )
    _run("totals", Path(files[0]), no_build, wait, as_json)


@import_app.command(
    "props",
    help="Import player prop quotes: one row per player, market, line and book.\n\n"
    "Columns: league (nba or nhl), game_date, player, team, opponent, market (as the odds "
    "API spells it, e.g. player_points, player_rebounds, player_assists, player_threes, "
    "player_shots_on_goal, player_goals, or your own name), line, book, over_price, "
    "under_price (American), actual_value (the player's result; empty = not settled, not an "
    "error); optional: quoted_at (ISO 8601; an offset is converted to UTC, none is taken as "
    "UTC).\n\n"
    "Quarantined: unknown league, unparseable date, empty player, market or book, a missing "
    "line or one outside 0-100, a price that is not American, a negative actual_value.\n\n"
    + COMMON_HELP,
)
def props(
    file: FileArgument,
    no_build: NoBuild = False,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    _run("props", file, no_build, wait, as_json)


def _run(kind: str, file: Path, no_build: bool, wait: float, as_json: bool) -> None:
    import duckdb

    from propcast.importer import ImportRefused, import_file
    from propcast.locking import WarehouseBusy, writer_lock

    home = open_home()
    retry = f"propcast import {kind} {file}"
    started = perf_counter()
    try:
        with (
            writer_lock(home, f"import {kind} {file.name}", wait, console.out),
            progress_bar(f"importing {file.name}") as advance,
        ):
            result = import_file(home, kind, file, run_build=not no_build, progress=advance)
    except ImportRefused as exc:
        finish(
            ExitCode.FAILED,
            f"import {kind} refused: {exc}",
            recover=f"fix the file, then `{retry}`",
            payload={"kind": kind, "file": str(file)},
            as_json=as_json,
        )
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=retry, as_json=as_json)
    except (OSError, RuntimeError, duckdb.Error) as exc:  # the warehouse or inbox unusable
        finish(
            ExitCode.FAILED,
            f"import {kind} {file} failed: {type(exc).__name__}: {exc}",
            recover=f"fix the cause above, then `{retry}` (nothing is loaded twice)",
            payload={"kind": kind, "file": str(file)},
            as_json=as_json,
        )
    _report(result, retry, perf_counter() - started, as_json)


def _report(result, retry: str, seconds: float, as_json: bool) -> None:
    from propcast.importer import top_reasons

    payload = result.as_json()
    say = console.print
    say(f"  rows read: {result.rows_read:,}")
    if result.already_imported:
        say(f"  already imported at {result.imported_at} (payload {result.payload_sha256[:16]})")
    say(f"  rows loaded: {result.rows_loaded:,}")
    say(f"  rows quarantined: {result.rows_quarantined:,}")
    for reason, n in top_reasons(result.quarantine_reasons):
        say(f"    {n:>7,}  {escape(reason)}")
    if result.quarantine_file and result.rows_quarantined:
        say(f"  every quarantined row (line, reason, row): {escape(result.quarantine_file)}")
    if result.error:
        finish(
            ExitCode.FAILED,
            f"import {result.kind} {result.file}: the file was quarantined whole: {result.error}",
            recover=f"fix the file, then `{retry}`",
            payload=payload,
            as_json=as_json,
        )
    built = _build_note(result, retry, payload, as_json)
    what = (
        "already imported: nothing added"
        if result.already_imported
        else f"{result.rows_loaded:,} rows loaded, {result.rows_quarantined:,} quarantined"
    )
    degraded = result.rows_quarantined > 0 or (result.build and result.build.result.warned)
    finish(
        ExitCode.DEGRADED if degraded else ExitCode.OK,
        f"import {result.kind} {result.file}: {result.rows_read:,} rows read, {what}; "
        f"{built} in {seconds:.1f}s",
        recover=f"read the quarantined rows ({result.quarantine_file}), fix them in a new file "
        f"and import it (the good rows are loaded already)",
        payload=payload,
        as_json=as_json,
    )


def _build_note(result, retry: str, payload: dict, as_json: bool) -> str:
    """The build's outcome in words; a failed build ends the command (exit 1)."""
    summary = result.build
    if summary is None:
        return "not built (--no-build)" if result.game_dates[0] else "nothing to build"
    for line in summary.problems():
        console.print(f"  {escape(line)}")
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
    if not summary.result.success:
        finish(
            ExitCode.FAILED,
            f"import {result.kind} {result.file}: rows loaded, but the build failed ({counts})",
            recover=f"fix the failing node above, then `{retry}` (the rows are not loaded "
            "twice; the build runs again)",
            payload=payload,
            as_json=as_json,
        )
    return f"built ({counts or 'nothing to do'})"
