"""The two Markdown files a run leaves for people: what the run did, and what the slate holds.

`outputs/monitoring/daily_run_<D>.md` — the run: cutoff, vendors, phases, counts, verdict.
`outputs/monitoring/daily_report_<D>.md` — the slate: games, lines, predictions, the bets (or
why there are none), and the model against the market on settled days, stated as measured.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from propcast.runs import RunState
from propcast.settings import Home
from propcast.staking_setting import RECOMMENDED_BETS_SQL
from propcast.warehouse import connect

NO_BET_REASONS = {
    "no_schedule": "books quote this slate, but the league schedule lists no game on it: "
    "the schedule feed is missing or late (load it, then `propcast recover --date` the slate)",
    "no_games": "no game will be played on this slate: none is scheduled, or every game "
    "listed on it is postponed",
    "no_odds": "no odds were received for this slate by the cutoff",
    "no_mapped_players": "odds arrived, but no quoted player maps to a known player "
    "(see fct_mapping_quality_daily and seeds/player_alias_overrides.csv)",
    "not_scored": "lines were offered and mapped but nothing was scored (see the run's phases)",
    "edge_not_shown": "the edge gate withheld them: the model is not shown better than the "
    "market on the settled lines before the slate (see the Edge gate section)",
    "no_value": "every line was scored and none clears the EV threshold",
}


def monitoring_dir(home: Home) -> Path:
    path = home.outputs / "monitoring"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_none_\n"
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(_cell(c, v) for c, v in zip(frame.columns, row, strict=True)) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body]) + "\n"


FORMATS = {
    "price": lambda v: f"{v:+.0f}",
    "line": lambda v: f"{v:.1f}",
    "stake": lambda v: f"{v:.2f}",
    "game_date": lambda v: str(v)[:10],
}


def staked_with(summary: pd.Series) -> str:
    """The slate line's ", staked with <policy>" for a summary row with bets
    (fct_slate_summary_daily.staking: the run's staking policy, README "Staking and
    simulation"); "" without bets or on a summary built before the column."""
    staking = summary.get("staking")
    return f", staked with {staking}" if isinstance(staking, str) and staking else ""


def _cell(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if column in FORMATS:
        return FORMATS[column](value)
    if isinstance(value, float):
        return f"{value:.4f}" if column.startswith(("log_loss", "brier")) else f"{value:.3f}"
    return str(value)


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    try:
        return con.execute(sql, params).df()
    except duckdb.CatalogException:
        return pd.DataFrame()  # a mart not built yet (e.g. predictions before any training)


def write_run_report(home: Home, state: RunState) -> Path:
    path = monitoring_dir(home) / f"daily_run_{state.run_date}.md"
    vendors = pd.DataFrame(sorted(state.vendors.items()), columns=["vendor", "fetch"])
    phases = pd.DataFrame(sorted(state.phases.items()), columns=["phase", "outcome"])
    lines = [
        f"# Run {state.run_id} — slate {state.run_date}",
        "",
        f"- command: `{state.command}`",
        f"- status: **{state.status}** — {state.message or ''}",
        f"- cutoff (latest vendor snapshot used): {state.cutoff_utc} UTC",
        f"- started {state.started_at} UTC, finished {state.finished_at or '-'} UTC",
        f"- model version: {state.model_version or '-'}",
        "",
        "## Vendors",
        _table(vendors),
        "## Phases",
        _table(phases),
        "## Counts",
        "```json",
        json.dumps(state.counts, indent=2, default=str),
        "```",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


#: The daily report's tables, each read for the run date (its one parameter), in the order
#: `_render_daily` takes them.
DAILY_QUERIES: dict[str, str] = {
    "summary": "select * from main.fct_slate_summary_daily where game_date = ?",
    "games": """
        select g.game_id, a.full_name as away, h.full_name as home,
               strftime(g.start_time_slate_tz, '%H:%M') as start_et, g.status
        from main.dim_game as g
        left join main.dim_team as h on g.home_team_id = h.team_id
        left join main.dim_team as a on g.away_team_id = a.team_id
        where g.game_date = ? order by g.start_time_utc, g.game_id
    """,
    "bets": RECOMMENDED_BETS_SQL,
    "predictions": (
        "select count(*) as lines_scored,"
        " string_agg(distinct model_version, ', ' order by model_version) as models,"
        " avg(prob_over) as mean_prob_over, stddev_samp(prob_over) as sd_prob_over"
        " from main.fct_predictions where game_date = ?"
    ),
    "accuracy": """
        select game_date, n_lines, log_loss_model, log_loss_market, log_loss_constant_0_5
        from main.fct_forecast_accuracy_daily where game_date < ?
        order by game_date desc limit 7
    """,
    "overall": """
        select count(*) as days, sum(n_lines) as lines,
               sum(log_loss_model * n_lines) / sum(n_lines) as log_loss_model,
               sum(log_loss_market * n_lines) / sum(n_lines) as log_loss_market
        from main.fct_forecast_accuracy_daily where game_date < ?
    """,
}


def write_daily_report(home: Home, run_date: date) -> Path:
    path = monitoring_dir(home) / f"daily_report_{run_date}.md"
    with connect(home) as con:
        tables = {name: _query(con, sql, [run_date]) for name, sql in DAILY_QUERIES.items()}
        evaluation = evaluation_section(con, home, run_date)
        gate = edge_gate_section(con, run_date)
        wrong_lines = wrong_lines_section(con, run_date)
    text = _render_daily(run_date, **tables, wrong_lines=wrong_lines)
    path.write_text(text + gate + evaluation)
    return path


WRONG_LINES_SQL = """
    select vendor, book_id as book, wrong_lines_flagged as flagged,
           wrong_lines_implausible_price as implausible_price,
           wrong_lines_line_off_consensus as line_off_consensus,
           wrong_lines_prob_off_consensus as prob_off_consensus
    from main.fct_odds_coverage_daily
    where game_date = ? and wrong_lines_flagged > 0
    order by vendor, book_id
"""


def wrong_lines_section(con: duckdb.DuckDBPyConnection, run_date: date) -> str:
    """A line (and a table per vendor x book and reason) when quotes of the slate were flagged
    as wrong lines (int_prop_quote_outliers); empty when none was, or the mart is not built."""
    try:
        flagged = _query(con, WRONG_LINES_SQL, [run_date])
    except duckdb.BinderException:  # a warehouse built before the wrong-line columns
        return ""
    if flagged.empty:
        return ""
    return (
        f"\n**Wrong lines: {int(flagged.flagged.sum())} quotes flagged** (far from the other "
        "books' consensus or implausibly priced): kept out of best lines and the consensus, "
        'visible in fct_prop_odds where is_wrong_line (README "Wrong lines").\n\n' + _table(flagged)
    )


def edge_gate_section(con: duckdb.DuckDBPyConnection, run_date: date) -> str:
    """The edge gate per priced family and claimed EV vs realised ROI (propcast.edge_gate)."""
    from propcast.edge_gate import report_section

    return report_section(con, run_date)


def evaluation_section(con: duckdb.DuckDBPyConnection, home: Home, run_date: date) -> str:
    """`propcast evaluate` over the settled days before the slate, as a Markdown section: the
    model against the de-vigged open and close (and the demo world's truth) per family."""
    from datetime import timedelta

    from propcast.evaluate import EvaluationError, evaluate_connection, markdown_table

    title = "## Evaluation on settled days (propcast evaluate)"
    try:
        result = evaluate_connection(con, home, None, None, run_date - timedelta(days=1))
    except EvaluationError as exc:
        return f"\n{title}\n_Not available: {exc}_ (recover with `{exc.recover}`).\n"
    if result.is_empty:
        return f"\n{title}\nNo settled line before {run_date} yet.\n"
    lines = [
        "",
        title,
        f"Games {result.start} to {result.end}: {result.settled_lines} settled lines, "
        f"{result.compared_lines} scored on every source (the same lines for each column)."
        + ("" if result.has_truth else " No demo-world truth in this home."),
        "",
        markdown_table(result),
    ]
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def _render_daily(
    run_date, summary, games, bets, predictions, accuracy, overall, wrong_lines=""
) -> str:
    lines = [f"# Slate {run_date}", ""]
    if not summary.empty:
        s = summary.iloc[0]
        lines.append(
            f"{int(s.games_scheduled)} games, {int(s.lines_offered)} lines offered, "
            f"{int(s.lines_mapped)} with a mapped player, {int(s.lines_scored)} scored, "
            f"**{int(s.bets_recommended)} bets** (stake {s.total_stake:.2f}{staked_with(s)})."
        )
        reason = s.no_bet_reason if isinstance(s.no_bet_reason, str) else None
        if reason:
            lines += ["", f"**No bets: {reason}** — {NO_BET_REASONS.get(reason, reason)}."]
    else:
        lines.append("_The slate summary was not built for this date (see the run report)._")
    if wrong_lines:
        lines.append(wrong_lines.rstrip("\n"))
    lines += ["", "## Games", _table(games), "## Recommended bets", _table(bets)]
    lines += ["## Predictions", _table(predictions)]
    lines += ["## Model vs market on settled days (log loss, lower is better)"]
    if not overall.empty and pd.notna(overall.iloc[0]["lines"]) and overall.iloc[0]["lines"] > 0:
        o = overall.iloc[0]
        gap = o.log_loss_model - o.log_loss_market
        verdict = (
            "level with the market"
            if abs(gap) < 0.0005
            else "better than the market"
            if gap < 0
            else "worse than the market"
        )
        lines.append(
            f"Over {int(o.days)} settled days ({int(o.lines)} lines) the model's log loss is "
            f"{o.log_loss_model:.4f} against the market's {o.log_loss_market:.4f} "
            f"(constant 0.5: 0.6931): the model is **{verdict}** ({gap:+.4f})."
        )
        if gap > -0.0005:
            lines.append(
                "The recommendations above rest on a model that has not beaten the market on "
                "settled days: their expected value is the model's claim, not a measured edge."
            )
    else:
        lines.append("No settled day has been scored yet.")
    lines += ["", _table(accuracy)]
    return "\n".join(lines) + "\n"
