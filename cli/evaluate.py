"""`propcast evaluate`: the model against the de-vigged open and close (and the demo world's
truth) on settled games, per league and market family; the logic is propcast.evaluate."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer
from propcast.cli.app import app
from propcast.cli.common import JsonFlag, WaitOption, open_home, parse_date
from propcast.cli.output import ExitCode, console, finish
from rich.markup import escape
from rich.table import Table

from propcast.timeutil import today_in_slate_tz

StartOption = Annotated[
    str | None,
    typer.Option(
        "--start-date",
        help="First game date evaluated (YYYY-MM-DD, US/Eastern). Default: the first date "
        "with a settled line.",
    ),
]
EndOption = Annotated[
    str | None,
    typer.Option(
        "--end-date",
        help="Last game date evaluated. Default: the last settled date up to yesterday "
        "(US/Eastern, by the product clock: PROPCAST_NOW or --now when set).",
    ),
]


DevigFlag = Annotated[
    bool,
    typer.Option(
        "--devig",
        help="Score the de-vig methods instead of the model: each book's settled close "
        "de-vigged by multiplicative, additive, power, shin, odds_ratio, logarithmic and "
        "margin_proportional (log loss, Brier, ECE per league x family x book; the best "
        "method per league and family with its margin over multiplicative and walk-forward).",
    ),
]
ChooseFlag = Annotated[
    bool,
    typer.Option(
        "--choose",
        help="With --devig: store, per league and market family with at least 100 settled "
        "closes in the range, the method that scored best on them in "
        "raw.raw_devig_method_choices, effective from the day after the range (history kept; "
        "the de-vig models use it from that game date on once rebuilt: the command prints "
        "the build that applies it). Takes the writer lock.",
    ),
]


@app.command()
def evaluate(
    start_date: StartOption = None,
    end_date: EndOption = None,
    devig: DevigFlag = False,
    choose: ChooseFlag = False,
    wait: WaitOption = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate settled predictions: the model against the de-vigged open and close, and
    on the demo world the truth, per league and market family.

    With --devig: every de-vig method on each book's settled closing quotes instead
    (propcast.devig_evaluation; saved to outputs/evaluation/devig_<start>_<end>.csv and .json);
    --choose also stores the best method per league and family as the pipeline's choice.

    Every source is scored on the same settled lines (over or under; voids and pushes out):
    log loss, Brier, ECE (10 equal-width probability bins) and hit rate. The model's
    recommended bets add, per source, the mean CLV (P_source(side) - 1 / price taken) and
    edge (price x P_source(side) - 1), and the realized ROI at the prices taken, flat and at
    the recommended stakes. The truth is the demo world's exact P(over)
    (PROPCAST_HOME/world/truth/prop_truth.csv), read here only: no model reads it.

    Prints the table and saves it to PROPCAST_HOME/outputs/evaluation/
    evaluation_<start>_<end>.csv (one row per family and source) and .json. Reads the
    warehouse read-only. Exit 0 when evaluated, 3 when nothing is settled in the range (the
    message says which dates are; with --devig: no settled close with real prices), 1 when
    the warehouse cannot be read (or, with --choose, written: another run holds it), 2 usage
    error (bad dates or options, --choose without --devig).
    """
    from propcast.evaluate import EvaluationError, save
    from propcast.evaluate import evaluate as run_evaluation

    start = parse_date(start_date, "--start-date") if start_date else None
    end = parse_date(end_date, "--end-date") if end_date else None
    if choose and not devig:
        raise typer.BadParameter("--choose needs --devig", param_hint="--choose")
    if start and end and end < start:
        raise typer.BadParameter(f"{end} is before --start-date {start}", param_hint="--end-date")
    home = open_home()
    yesterday = today_in_slate_tz() - timedelta(days=1)
    through = end or yesterday
    if devig:
        from propcast.cli.evaluate_devig import evaluate_devig_command

        evaluate_devig_command(home, start, end, through, as_json, choose=choose, wait=wait)
    try:
        result = run_evaluation(home, start, end, through)
    except EvaluationError as exc:
        finish(ExitCode.FAILED, f"evaluate: {exc}", recover=exc.recover, as_json=as_json)
    console.print(f"evaluate settled games {result.start} → {result.end}")
    if result.is_empty:
        _nothing_settled(home, result.start, result.end, yesterday, as_json)
    _print_table(result)
    csv_path, json_path = save(home, result)
    console.print(f"  wrote {csv_path}\n  wrote {json_path}")
    finish(
        ExitCode.OK,
        f"evaluate {result.start} → {result.end}: {result.settled_lines} settled lines, "
        f"{result.compared_lines} compared on every source"
        + ("" if result.has_truth else " (no demo-world truth in this home)"),
        payload={**result.as_dict(), "paths": [str(csv_path), str(json_path)]},
        as_json=as_json,
    )


def _print_table(result) -> None:
    from propcast.evaluate import SOURCES, metric_rows

    table = Table(title=f"settled {result.start} → {result.end}", title_justify="left")
    table.add_column("family")
    table.add_column("metric", no_wrap=True)
    for source in SOURCES:
        table.add_column(source, justify="right", no_wrap=True, min_width=len(source))
    previous = None
    for family, metric, cells in metric_rows(result):
        if previous is not None and family != previous:
            table.add_section()
        table.add_row(escape(family) if family != previous else "", metric, *cells)
        previous = family
    console.print(table)
    for note in result.notes:
        console.print(f"  note: {escape(note)}")


def _nothing_settled(home, start: date, end: date, yesterday: date, as_json: bool) -> None:
    """Exit 3: say which dates are settled, and the command that evaluates or settles some."""
    import duckdb

    from propcast.evaluate import settled_range

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        span = settled_range(con, yesterday)
    if span:
        recover = f"propcast evaluate --start-date {span[0]} --end-date {span[1]}"
        where = f"settled lines cover {span[0]} → {span[1]}"
    else:
        recover = f"propcast run-day --date {yesterday + timedelta(days=1)}  (settles {yesterday})"
        where = "no game is settled yet in this warehouse"
    finish(
        ExitCode.DEGRADED,
        f"evaluate: nothing settled between {start} and {end}; {where}",
        recover=recover,
        payload={"start_date": str(start), "end_date": str(end), "settled_lines": 0},
        as_json=as_json,
    )
