"""`propcast bets import|add|report`: the ledger of bets actually placed (propcast.ledger,
propcast.bet_import, propcast.ledger_report)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import JsonFlag, WaitOption, open_home, parse_date, require_packages
from propcast.cli.output import ExitCode, console, finish
from rich.markup import escape

LOAD_EXIT_CODES = (
    "Exit 0 when every bet loaded (or was in the ledger already), 3 (degraded) when rows were "
    "refused or the build warned, 1 when the file was refused whole (unreadable, no known "
    "export shape), the build failed or another process holds the warehouse; 2 usage error. "
    "Each failure names what went wrong and the command that recovers."
)
CHECKS_HELP = (
    "Checked per bet (a bad one is refused with its reason, written to "
    "PROPCAST_HOME/outputs/ledger/<file>.<hash>.quarantine.csv, the others load): a date "
    "(2027-01-05, 1/5/2027, 20270105), league nba or nhl, a book, a market (player_points, "
    "Points, Player Points, total ...), a subject (the player, or `AWAY @ HOME` for a game "
    "total), side over or under (o/u), a line 0-500, a price American (-110, +150, EVEN) or "
    "decimal (1.91; 1,91 in a ;-delimited file), a positive stake. The same bet again (same "
    "ticket id, or same content) adds nothing.\n\n"
    "Then the ledger models are built (fct_bet_ledger): each bet is matched to the "
    "recommendation it followed (same date, player, market, line and side, any book), "
    "settled like fct_bet_settlements and valued against the close."
)

bets_app = typer.Typer(
    name="bets",
    help="The ledger of bets you actually placed: import a bookmaker's bet history, add one "
    "bet, report P&L, ROI and closing-line value.\n\n" + LOAD_EXIT_CODES,
    no_args_is_help=True,
)
app.add_typer(bets_app, name="bets")

NoBuild = Annotated[
    bool,
    typer.Option("--no-build", help="Load the raw ledger only; build later with `propcast build`."),
]


@bets_app.command(
    "import",
    help="Import a bet-history file: one row per placed bet.\n\n"
    "Shapes (seeds/bet_history_column_map.csv, detected from the header or named by "
    "--format): `generic` (date, book, league, market, subject, line, side, price, stake "
    "[, bet_id]) and `betslip`, a sportsbook export (Placed, Sportsbook, Sport, Bet Type, "
    "Event, Selection = player and side, Line, Odds, Stake, Status, Ticket). Header names in "
    "any case or spacing, a byte-order mark, `,` `;` tab or `|` delimiters, CRLF, UTF-8 or "
    "Windows-1252.\n\n" + CHECKS_HELP + "\n\n" + LOAD_EXIT_CODES,
)
def import_bets(
    file: Annotated[
        Path, typer.Argument(metavar="FILE.csv", help="The bet-history CSV.", show_default=False)
    ],
    book_format: Annotated[
        str | None,
        typer.Option("--format", help="The export shape (generic, betslip); default: detected."),
    ] = None,
    no_build: NoBuild = False,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    retry = f"propcast bets import {file}"
    try:
        content = file.read_bytes()
    except OSError as exc:
        finish(
            ExitCode.FAILED,
            f"bets import: cannot read {file}: {exc.strerror or exc}",
            recover=f"check the path, then `{retry}`",
            as_json=as_json,
        )
    _load(str(file), content, book_format, no_build, wait, as_json, retry)


@bets_app.command(
    "add",
    help="Add one placed bet to the ledger (the same checks as a file's row).\n\n"
    + CHECKS_HELP
    + "\n\n"
    + LOAD_EXIT_CODES,
)
def add_bet(
    date: Annotated[str, typer.Option("--date", help="The game's date (YYYY-MM-DD).")],
    book: Annotated[str, typer.Option("--book", help="The sportsbook (DraftKings, DK, ...).")],
    league: Annotated[str, typer.Option("--league", help="nba or nhl.")],
    market: Annotated[str, typer.Option("--market", help="player_points, points, total, ...")],
    subject: Annotated[
        str, typer.Option("--subject", help="The player, or `AWAY @ HOME` for a game total.")
    ],
    line: Annotated[str, typer.Option("--line", help="The line, e.g. 24.5.")],
    side: Annotated[str, typer.Option("--side", help="over or under.")],
    price: Annotated[
        str, typer.Option("--price", help="American (-110, +150, EVEN) or decimal (1.91).")
    ],
    stake: Annotated[str, typer.Option("--stake", help="The amount staked (> 0).")],
    no_build: NoBuild = False,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    from propcast.bet_import import one_bet_csv

    values = {"date": date, "book": book, "league": league, "market": market,
              "subject": subject, "line": line, "side": side, "price": price,
              "stake": stake}  # fmt: skip
    retry = "propcast bets add " + " ".join(f"--{k} {v!r}" for k, v in values.items())
    _load("propcast bets add", one_bet_csv(values), "generic", no_build, wait, as_json, retry)


def _load(
    label: str,
    content: bytes,
    book_format: str | None,
    no_build: bool,
    wait: float,
    as_json: bool,
    retry: str,
) -> None:
    import duckdb

    from propcast.bet_import import BetFileRefused, parse_bets
    from propcast.ledger import build_ledger, load_bets
    from propcast.locking import WarehouseBusy, writer_lock

    home = open_home()
    try:
        parsed = parse_bets(content, book_format)
        with writer_lock(home, f"bets import {Path(label).name}", wait, console.out):
            result = load_bets(home, label, content, parsed)
            if not no_build and result.game_dates[0] is not None:
                result.build = build_ledger(home)
    except BetFileRefused as exc:
        finish(ExitCode.FAILED, f"bets import {label} refused: {exc}",
               recover=f"fix the file, then `{retry}`", as_json=as_json)  # fmt: skip
    except WarehouseBusy as exc:
        finish(ExitCode.FAILED, str(exc), recover=retry, as_json=as_json)
    except (OSError, RuntimeError, duckdb.Error) as exc:
        finish(ExitCode.FAILED, f"bets import {label} failed: {type(exc).__name__}: {exc}",
               recover=f"fix the cause above, then `{retry}` (nothing is loaded twice)",
               as_json=as_json)  # fmt: skip
    _report_load(home, result, retry, as_json)


def _report_load(home, result, retry: str, as_json: bool) -> None:
    from propcast.ledger import match_summary

    say = console.print
    payload = result.as_json()
    say(f"  read as {result.book_format}: {result.rows_read:,} rows")
    if result.already_imported:
        say(f"  already imported (payload {result.payload_sha256[:16]}): nothing added")
    say(f"  bets added: {result.rows_loaded:,}; already in the ledger: {result.rows_known:,}")
    say(f"  rows refused: {result.rows_quarantined:,}")
    for reason, n in sorted(result.quarantine_reasons.items(), key=lambda kv: -kv[1]):
        say(f"    {n:>5,}  {escape(reason)}")
    if result.quarantine_file and result.rows_quarantined:
        say(f"  every refused row (line, reason, row): {escape(result.quarantine_file)}")
    build = result.build
    if build is not None:
        for line in build.problems():
            say(f"  {escape(line)}")
        if not build.result.success:
            finish(ExitCode.FAILED, f"bets import {result.file}: bets loaded, but the ledger "
                   "build failed", recover=f"fix the failing node above, then `{retry}`",
                   payload=payload, as_json=as_json)  # fmt: skip
        summary = match_summary(home, result.game_dates)
        payload["match"] = summary
        say(f"  matched to a recommendation: {summary['statuses'].get('matched', 0):,}")
        for status, n in summary["statuses"].items():
            if status != "matched":
                say(f"  {status.replace('_', ' ')}: {n:,}")
        for book, n in summary["unknown_books"].items():
            say(f"  unknown book {escape(book)} ({n} bets; no same-book close)")
    degraded = result.rows_quarantined > 0 or (build is not None and build.result.warned)
    built = "built" if build is not None else "not built"
    finish(
        ExitCode.DEGRADED if degraded else ExitCode.OK,
        f"bets import {result.file}: {result.rows_read:,} rows read, {result.rows_loaded:,} "
        f"bets added, {result.rows_quarantined:,} refused; ledger {built}",
        recover=f"read the refused rows ({result.quarantine_file}), fix them in a new file and "
        "import it (the good rows are loaded already)",
        payload=payload,
        as_json=as_json,
    )


@bets_app.command("report")
def report(
    start_date: Annotated[
        str | None,
        typer.Option("--start-date", help="First game date (YYYY-MM-DD); default: the first bet."),
    ] = None,
    end_date: Annotated[
        str | None,
        typer.Option("--end-date", help="Last game date; default: the last bet."),
    ] = None,
    no_html: Annotated[
        bool,
        typer.Option(
            "--no-html",
            help="Print the report only; do not write its HTML page (which needs matplotlib).",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Report the ledger: bankroll curve, P&L, ROI, CLV, hit rate against the expected (the
    prices' implied and the model's probabilities), max drawdown, skipped recommendations;
    by market family, book and month.

    ROI is profit over the stakes of settled bets; CLV the mean clv_prob against the same
    book's de-vigged close (and against the best book's). The last line (--json) holds
    n_placed, n_matched, n_settled, pnl, staked, roi, clv, clv_best_book, hit_rate,
    expected_hit_rate, max_drawdown, the breakdowns and `html`, the page written.

    The same period as plots: PROPCAST_HOME/outputs/ledger/ledger_report_<start>_<end>.html,
    one self-contained page (it opens offline) with the bankroll curve in money and units
    (max drawdown shaded), ROI and CLV by market family, book and month, and the hit rate
    against the expected. `propcast report --date D` draws the same section for the placed
    bets up to D in report_<D>.html. Reads the warehouse read-only.
    Exit 0 when reported, 3 when the ledger has no bet in the range (the message gives the
    dates it has; no page is written), 1 when the warehouse cannot be read or the page cannot
    be written; 2 usage error (bad dates).
    """
    from propcast.ledger_report import LedgerReportError, read, render, report_rows

    start = parse_date(start_date, "--start-date") if start_date else None
    end = parse_date(end_date, "--end-date") if end_date else None
    if start and end and end < start:
        raise typer.BadParameter(f"{end} is before --start-date {start}", param_hint="--end-date")
    if not no_html:
        require_packages("bets report", "matplotlib", as_json=as_json)
    home = open_home()
    try:
        rows = read(home)
    except LedgerReportError as exc:
        finish(ExitCode.FAILED, f"bets report: {exc}", recover=exc.recover, as_json=as_json)
    result = report_rows(rows, start, end)
    recover = result.pop("recover")  # the command to report the ledger's own dates
    result["html"] = None
    if result["n_placed"] == 0:
        finish(ExitCode.DEGRADED, f"bets report: no placed bet between {result['start_date']} "
               f"and {result['end_date']}; {result['ledger_span']}",
               recover=recover, payload=result, as_json=as_json)  # fmt: skip
    for line in render(result):
        console.print(escape(line))
    if not no_html:
        result["html"] = _write_html(home, rows, result, as_json)
        console.print(f"  wrote {escape(result['html'])}")
    finish(
        ExitCode.OK,
        f"bets report {result['start_date']} → {result['end_date']}: {result['n_placed']} "
        f"placed, {result['n_matched']} matched, P&L {result['pnl']:+.2f}, ROI "
        + (f"{result['roi']:+.1%}" if result["roi"] is not None else "n/a (nothing settled)"),
        payload=result,
        as_json=as_json,
    )


def _write_html(home, rows, result: dict, as_json: bool) -> str:
    from datetime import date

    from propcast.reporting.ledger import write_page
    from propcast.timeutil import utc_now

    start, end = date.fromisoformat(result["start_date"]), date.fromisoformat(result["end_date"])
    try:
        path = write_page(home.outputs, rows, start, end, f"{utc_now():%Y-%m-%d %H:%M:%S}")
    except OSError as exc:
        finish(ExitCode.FAILED, f"bets report {start} → {end}: the HTML page cannot be written "
               f"under {home.outputs / 'ledger'}: {exc.strerror or exc}",
               recover=f"free or fix {home.outputs / 'ledger'}, then `propcast bets report "
               f"--start-date {start} --end-date {end}` (or --no-html)",
               payload=result, as_json=as_json)  # fmt: skip
    return str(path)
