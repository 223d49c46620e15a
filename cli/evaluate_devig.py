"""`propcast evaluate --devig`: the de-vig methods scored on settled closes (the logic is
propcast.devig_evaluation); printing and exit codes here."""

from __future__ import annotations

from datetime import date

from propcast.cli.output import ExitCode, console, finish
from rich.markup import escape
from rich.table import Table

from propcast.settings import Home


def evaluate_devig_command(
    home: Home,
    start: date | None,
    end: date | None,
    through: date,
    as_json: bool,
    choose: bool = False,
    wait: float = 0.0,
) -> None:
    """Score, print, save (and with `choose` store the choices) and exit: 0 scored, 3 no
    settled close with real prices, 1 the warehouse cannot be read or written."""
    from propcast.devig_evaluation import evaluate_devig, save
    from propcast.evaluate import EvaluationError

    try:
        result = evaluate_devig(home, start, end, through)
    except EvaluationError as exc:
        finish(ExitCode.FAILED, f"evaluate --devig: {exc}", recover=exc.recover, as_json=as_json)
    console.print(f"evaluate de-vig methods on settled closes {result.start} → {result.end}")
    if result.is_empty:
        _notes(result.notes)
        finish(
            ExitCode.DEGRADED,
            f"evaluate --devig: no settled closing quote with real prices between "
            f"{result.start} and {result.end} ({result.assumed_quotes} with assumed prices)",
            recover="propcast evaluate --devig --start-date A --end-date B  (a settled range), "
            "or propcast import totals FILE.csv with over/under prices",
            payload=result.as_dict(),
            as_json=as_json,
        )
    _print_methods(result)
    _print_best(result)
    _notes(result.notes)
    csv_path, json_path = save(home, result)
    console.print(f"  wrote {csv_path}\n  wrote {json_path}")
    payload = {**result.as_dict(), "paths": [str(csv_path), str(json_path)]}
    if choose:
        payload["chosen"] = _store_choices(home, result, as_json, wait)
    winners = ", ".join(
        f"{row.league} {row.market_family}: {row.best_method} ({row.margin_vs_multiplicative:+.5f})"
        for row in result.best.itertuples()
    )
    finish(
        ExitCode.OK,
        f"evaluate --devig {result.start} → {result.end}: {result.settled_quotes} settled "
        f"closes; best (log-loss gain over multiplicative) {winners}",
        payload=payload,
        as_json=as_json,
    )


def _store_choices(home: Home, result, as_json: bool, wait: float) -> list[dict]:
    """Choose per (league, family) from the closes of the range, effective the day after it;
    store them and say the build that applies them."""
    from datetime import timedelta

    import duckdb

    from propcast.devig_choices import record_choices
    from propcast.devig_evaluation import choose_methods
    from propcast.locking import WarehouseBusy, writer_lock
    from propcast.timeutil import utc_now

    chosen_on = result.end + timedelta(days=1)
    chosen = choose_methods(result.quotes, chosen_on)
    retry = (
        f"propcast evaluate --devig --choose --start-date {result.start} --end-date {result.end}"
    )
    try:
        with (
            writer_lock(home, "evaluate --devig --choose", wait, console.out),
            duckdb.connect(str(home.warehouse)) as con,
        ):
            record_choices(con, chosen, chosen_on, utc_now())
    except (WarehouseBusy, duckdb.Error) as exc:
        finish(ExitCode.FAILED, f"evaluate --devig --choose: {exc}", recover=retry, as_json=as_json)
    rows = []
    for (league, family), choice in sorted(chosen.items()):
        console.print(
            f"  chose {league} {family}: {choice['method']} from {chosen_on} on "
            f"({choice['n_lines']} closes {choice['first_date']} → {choice['last_date']})"
        )
        rows.append({"league": league, "market_family": family, "method": choice["method"],
                     "chosen_on": str(chosen_on), "n_lines": choice["n_lines"]})  # fmt: skip
    if not chosen:
        console.print("  chose nothing: no family has 100 settled closes with real prices")
    else:
        console.print(f"  applies once rebuilt: propcast build --from {chosen_on}")
    return rows


def _print_methods(result) -> None:
    """Every method over every book of each family (the per-book rows are in the CSV)."""
    from propcast.devig_evaluation import ALL_BOOKS

    table = Table(
        title="every book's close, de-vigged (gain: log loss of multiplicative minus the method's)",
        title_justify="left",
    )
    table.add_column("family")
    table.add_column("method", no_wrap=True, min_width=19)
    for column in ("n", "log loss", "Brier", "ECE", "gain", "±95%"):
        table.add_column(column, justify="right", no_wrap=True)
    pooled = result.table[result.table["book"] == ALL_BOOKS]
    previous = None
    for row in pooled.itertuples():
        family = f"{row.league} {row.market_family}"
        if previous is not None and family != previous:
            table.add_section()
        table.add_row(
            escape(family) if family != previous else "",
            row.method,
            str(row.n_lines),
            f"{row.log_loss:.5f}",
            f"{row.brier:.5f}",
            f"{row.ece:.4f}",
            f"{row.margin_vs_multiplicative:+.5f}",
            f"{row.margin_ci95:.5f}",
        )
        previous = family
    console.print(table)


def _print_best(result) -> None:
    for row in result.best.itertuples():
        ties = f" (same as {row.ties_with})" if row.ties_with else ""
        line = (
            f"  best {row.league} {row.market_family}: {row.best_method}{ties}, log loss "
            f"{row.log_loss:.5f} vs multiplicative {row.multiplicative_log_loss:.5f} "
            f"(gain {row.margin_vs_multiplicative:+.5f} ± {row.margin_ci95:.5f}, "
            f"{row.n_lines} closes)"
        )
        console.print(escape(line))
        walk = getattr(row, "walk_forward_n", None)
        if walk == walk and walk:  # NaN when the family never had enough history to choose
            console.print(
                f"    walk-forward ({int(walk)} closes, each day by the method chosen before "
                f"it): {row.walk_forward_log_loss:.5f} vs multiplicative "
                f"{row.walk_forward_multiplicative_log_loss:.5f}; now "
                f"{row.walk_forward_last_method}"
            )


def _notes(notes: list[str]) -> None:
    for note in notes:
        console.print(f"  note: {escape(note)}")
