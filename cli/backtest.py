"""`propcast backtest`: walk-forward test of the totals or props predictor against the market.

The family is chosen by --market: `game_total` reads main.fct_game_total_features
(propcast.totals), any other market main.fct_prop_history_features (propcast.prop_history);
one walk-forward engine (propcast.backtest) runs both."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from propcast.cli.app import app
from propcast.cli.common import JsonFlag, open_home, parse_date
from propcast.cli.output import ExitCode, console, finish, progress_bar
from rich.markup import escape

GAME_TOTAL = "game_total"
IMPORT_HINT = "propcast import totals FILE.csv"
PROPS_HINT = "propcast import props FILE.csv"
PROPS_SQL = """
select * from main.fct_prop_history_features
where upper(league) = ? and market = ?
order by game_date, player_name_key
"""


def _read_features(home, league: str, as_json: bool):
    """The league's rows of main.fct_game_total_features, read-only."""
    import duckdb

    if not home.warehouse.exists():
        finish(
            ExitCode.FAILED,
            f"no warehouse at {home.warehouse}: import game-total history first",
            recover=IMPORT_HINT,
            as_json=as_json,
        )
    try:
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            frame = _query_features(con, league)
            leagues = [r[0] for r in con.execute(
                "select distinct upper(league) from main.fct_game_total_features order by 1"
            ).fetchall()]  # fmt: skip
    except duckdb.CatalogException:
        finish(
            ExitCode.FAILED,
            f"the warehouse {home.warehouse} has no fct_game_total_features: no game totals "
            "were imported",
            recover=IMPORT_HINT,
            as_json=as_json,
        )
    except duckdb.IOException as exc:
        finish(
            ExitCode.FAILED,
            f"the warehouse cannot be opened read-only ({exc}); another process is writing it",
            recover="wait for it to finish (propcast status), then rerun this backtest",
            as_json=as_json,
        )
    if frame.empty:
        have = ", ".join(leagues) or "none"
        finish(
            ExitCode.FAILED,
            f"no {league} game totals in the warehouse (leagues with game totals: {have})",
            recover=IMPORT_HINT.replace("FILE", f"{league.lower()}_FILE"),
            as_json=as_json,
        )
    return frame


FEATURES_SQL = """
select f.* {opens_select}
from main.fct_game_total_features as f
{opens_join}
where upper(f.league) = ?
order by f.game_date, f.game_id
"""
#: The best opening prices at the consensus open line (bets are taken there when present).
OPENS_SQL = """
left join (
    select
        game_id,
        line,
        arg_max(over_price_american, over_price_decimal) as open_over_price,
        arg_max(under_price_american, under_price_decimal) as open_under_price
    from main.fct_game_total_odds
    where line_type = 'open'
    group by game_id, line
) as o on o.game_id = f.game_id and o.line = f.open_line
"""


def _query_features(con, league: str):
    """The features, with opening prices from fct_game_total_odds when it has them."""
    import duckdb

    try:
        sql = FEATURES_SQL.format(
            opens_select=", o.open_over_price, o.open_under_price", opens_join=OPENS_SQL
        )
        return con.execute(sql, [league]).df()
    except (duckdb.BinderException, duckdb.CatalogException):
        return con.execute(FEATURES_SQL.format(opens_select="", opens_join=""), [league]).df()


def _fmt(value: Any, spec: str = ".4f") -> str:
    return "-" if value is None else format(value, spec)


def _print_table(result, market: str = GAME_TOTAL) -> None:
    m = result.metrics
    console.print(f"  {'metric':<22} {'model':>10} {'market':>10}")
    for label, a, b, spec in (
        ("log loss", m["model_logloss"], m["market_logloss"], ".4f"),
        ("Brier", m["model_brier"], m["market_brier"], ".4f"),
        ("ECE (10 bins)", m["model_ece"], m["market_ece"], ".4f"),
        ("MAE of the " + ("total" if market == GAME_TOTAL else "stat"), m["model_mae"],
         m["line_mae"], ".3f"),
    ):  # fmt: skip
        console.print(f"  {label:<22} {_fmt(a, spec):>10} {_fmt(b, spec):>10}")
    console.print(
        f"  games {m['n']} (decided {m['n_decided']}, pushes {m['n_push']}); market MAE is "
        "the line's"
    )
    roi = _fmt(m["roi"], "+.3f") if m["roi"] is not None else f"- ({m['roi_reason']})"
    console.print(f"  bets {m['n_bets']}, staked {m['staked']:.3f} bankrolls, ROI {roi}")
    clv = _fmt(m["clv"], "+.4f") if m["clv"] is not None else f"- ({m['clv_reason']})"
    console.print(f"  CLV {clv}")
    ci = result.intervals
    if ci["logloss_diff_ci"]:
        lo, hi = ci["logloss_diff_ci"]
        console.print(
            f"  log loss model - market {ci['logloss_diff']:+.4f}, 95% [{lo:+.4f}, {hi:+.4f}] "
            f"(bootstrap over {ci['bootstrap_blocks']} blocks of dates)"
        )


@app.command()
def backtest(
    league: Annotated[str, typer.Option("--league", help="NBA or NHL.")],
    train_until: Annotated[
        str, typer.Option("--train-until", help="Last date the first model learns from.")
    ],
    start_date: Annotated[str, typer.Option("--start-date", help="First date scored.")],
    end_date: Annotated[str, typer.Option("--end-date", help="Last date scored.")],
    market: Annotated[
        str,
        typer.Option(
            "--market",
            help="game_total, or a prop market of the imported props (player_points, "
            "player_shots_on_goal, ...; the import's spellings map).",
        ),
    ] = GAME_TOTAL,
    retrain_every_days: Annotated[
        int | None,
        typer.Option(
            "--retrain-every-days",
            min=1,
            help="Retrain every N days on all games before the first date the new model "
            "scores. Default: never (one model).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Walk-forward backtest of the game-totals or props predictor on the imported history.

    A model trained on games up to --train-until scores --start-date..--end-date (a game is
    only ever scored by a model trained on games strictly before its date). Prints the model
    against the de-vigged closing market (log loss, Brier, ECE, MAE), the bets the pricing
    rules would have placed (ROI, CLV) and an honest verdict: "edge" only when a bootstrap
    interval of the log-loss difference excludes zero in the model's favour.

    Exit 0 when the walk-forward ran and was measured (whatever the verdict); 3 (degraded)
    when games were scored but none is settled yet; 1 when the warehouse holds no such
    history, a model cannot be trained or the dates leave nothing to score (each names the
    command that fixes it); 2 usage error (a bad date, league or market).
    """
    from propcast.backtest import BacktestSpec
    from propcast.totals import LEAGUES

    league = league.strip().upper()
    if league not in LEAGUES:
        raise typer.BadParameter(
            f"{league!r}: use one of {', '.join(LEAGUES)}", param_hint="--league"
        )
    dates = _dates(train_until, start_date, end_date)
    market = market.strip().lower()
    home = open_home()
    if market == GAME_TOTAL:
        frame, fit = _read_features(home, league, as_json), None
    else:
        frame, market, fit = _read_props(home, league, market, as_json)
    spec = BacktestSpec(*dates, retrain_every_days=retrain_every_days)
    console.print(
        f"backtest {league} {market}: train until {spec.train_until}, score "
        f"{spec.start}..{spec.end}, retrain "
        f"{'every ' + str(retrain_every_days) + ' days' if retrain_every_days else 'never'}"
    )
    _run_and_report(frame, spec, league, as_json, market=market, fit=fit)


def _market_aliases() -> dict[str, str]:
    """The imports' market spellings (seed market_aliases, vendor imports) -> market ids."""
    import csv

    from propcast.settings import PROJECT_DIR

    with (PROJECT_DIR / "seeds" / "market_aliases.csv").open(newline="") as fh:
        return {r["alias"]: r["market_id"] for r in csv.DictReader(fh) if r["vendor"] == "imports"}


def _read_props(home, league: str, market: str, as_json: bool):
    """(rows, market id, fit) of a prop market from main.fct_prop_history_features."""
    import duckdb

    from propcast.prop_history import backtest_frame, fit_prop_history_model

    market = _market_aliases().get(market, market)
    try:
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            frame = con.execute(PROPS_SQL, [league, market]).df()
            have = [f"{r[0]} {r[1]}" for r in con.execute(
                "select distinct upper(league), market from main.fct_prop_history_features "
                "order by 1, 2").fetchall()]  # fmt: skip
    except (duckdb.CatalogException, duckdb.IOException) as exc:
        missing = isinstance(exc, duckdb.CatalogException) or not home.warehouse.exists()
        why = "no props were imported" if missing else f"it cannot be opened read-only ({exc})"
        finish(
            ExitCode.FAILED,
            f"the warehouse {home.warehouse} has no readable fct_prop_history_features: {why}",
            recover=PROPS_HINT,
            as_json=as_json,
        )
    if frame.empty:
        finish(
            ExitCode.FAILED,
            f"no {league} {market} props in the warehouse (prop markets: "
            f"{', '.join(have) or 'none'})",
            recover=PROPS_HINT,
            as_json=as_json,
        )
    return backtest_frame(frame), market, fit_prop_history_model


def _run_and_report(frame, spec, league: str, as_json: bool, *, market=GAME_TOTAL, fit=None):
    """Walk forward with a progress bar (a line per retrain), print the table, finish."""
    from propcast.backtest import BacktestError, run_backtest
    from propcast.prop_history import PropHistoryTrainError
    from propcast.totals import TotalsTrainError

    try:
        with progress_bar("walk-forward") as advance:

            def progress(done: int, total: int, message: str) -> None:
                advance(done, total)
                if done < total:
                    console.print(f"  {escape(message)}")

            extra = {"fit": fit} if fit is not None else {}
            result = run_backtest(frame, spec, progress=progress, **extra)
    except (BacktestError, TotalsTrainError, PropHistoryTrainError) as exc:
        rerun = _suggested_run(frame, league, market)
        finish(ExitCode.FAILED, f"backtest {league}: {exc}", recover=rerun, as_json=as_json)
    _print_table(result, market)
    payload = {"league": league, "market": market, **result.as_dict()}
    if result.metrics["n"] == 0:
        finish(
            ExitCode.DEGRADED,
            f"backtest {league}: scored {len(result.scored)} games, none settled: nothing to "
            "measure",
            recover=(IMPORT_HINT if market == GAME_TOTAL else PROPS_HINT) + " (with results)",
            payload=payload,
            as_json=as_json,
        )
    finish(ExitCode.OK, f"backtest {league}: {result.verdict}", payload=payload, as_json=as_json)


def _suggested_run(frame, league: str, market: str = GAME_TOTAL) -> str:
    """A backtest over the data's dates: the first half trains, the second half is scored."""
    import pandas as pd

    days = sorted(pd.to_datetime(frame["game_date"]).dt.date.unique())
    split = days[len(days) // 2] if len(days) > 1 else days[0]
    before = [d for d in days if d < split] or [split]
    return (
        f"propcast backtest --league {league} --market {market} --train-until {before[-1]} "
        f"--start-date {split} --end-date {days[-1]}"
    )


def _dates(train_until: str, start_date: str, end_date: str) -> tuple[date, date, date]:
    out = []
    for value, option in (
        (train_until, "--train-until"),
        (start_date, "--start-date"),
        (end_date, "--end-date"),
    ):
        out.append(parse_date(value, option))
    if out[2] < out[1]:
        raise typer.BadParameter(
            f"{out[2]} is before --start-date {out[1]}", param_hint="--end-date"
        )
    return out[0], out[1], out[2]
