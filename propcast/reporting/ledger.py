"""The ledger of placed bets in the HTML: the section of `report_<D>.html` (placed bets up to D)
and the page `propcast bets report` writes (outputs/ledger/ledger_report_<start>_<end>.html).

The numbers are propcast.ledger_report's (the text and --json report of the same period); the
charts are drawn like the report's others (matplotlib Agg, PNG, a `<figure id="plot-ledger-…">`
each): the bankroll curve in money and units with its max drawdown marked, ROI and CLV by
market family, by book and by month, and the hit rate against the expected one. A period
without a placed bet is one line saying so, not empty charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from propcast import ledger_report as lr
from propcast.reporting.data import table_exists
from propcast.reporting.page import STYLE
from propcast.reporting.page import _figure as page_figure
from propcast.reporting.plots import DPI, SIZE, Plot, _date_axis, _figure, _png

LEDGER_PLOT_IDS = (
    "plot-ledger-bankroll",
    "plot-ledger-family",
    "plot-ledger-book",
    "plot-ledger-month",
    "plot-ledger-hit-rate",
)
IMPORT = "`propcast bets import FILE.csv` (or `propcast bets add ...`) records the bets you placed"


@dataclass
class LedgerSection:
    """The placed bets of a period: the report's numbers and charts, or the one line saying
    why there are none (`empty`)."""

    period: str  # "up to 2027-01-12", "between 2027-01-03 and 2027-01-12"
    result: dict[str, Any] | None = None
    plots: list[Plot] = field(default_factory=list)
    empty: str | None = None


def _period(start: date | None, end: date | None) -> str:
    if start is None:
        return f"up to {end}"
    return f"between {start} and {end}"


def section_from_rows(rows: pd.DataFrame, start: date | None, end: date) -> LedgerSection:
    """The section of the placed bets of `rows` (ledger_report.read_ledger's) start..end."""
    section = LedgerSection(_period(start, end))
    result = lr.report_rows(rows, start, end)
    if result["n_placed"] == 0:
        section.empty = (
            f"No placed bet {section.period} in the ledger ({result['ledger_span']}): {IMPORT}."
        )
        return section
    bets = lr.placed_in_period(rows, start, end)[0]
    section.result = result
    section.plots = draw(bets, result)
    return section


def load(con: duckdb.DuckDBPyConnection, day: date) -> LedgerSection:
    """The placed bets up to `day` for report_<D>.html."""
    if not table_exists(con, "fct_bet_ledger"):
        return LedgerSection(
            f"up to {day}", empty=f"No ledger: fct_bet_ledger is not built yet; {IMPORT}."
        )
    try:
        rows = lr.read_ledger(con)
    except duckdb.Error as exc:  # a ledger mart older than the columns the report reads
        return LedgerSection(
            f"up to {day}",
            empty=f"No ledger chart: fct_bet_ledger cannot be read ({exc}); `propcast build` "
            "rebuilds it.",
        )
    return section_from_rows(rows, None, day)


# --- charts ------------------------------------------------------------------------------------


def bankroll_plot(bets: pd.DataFrame) -> Plot:
    plot = Plot("plot-ledger-bankroll", "Bankroll curve of the placed bets", "")
    daily = lr.bankroll(bets)
    dates = pd.to_datetime(pd.Series(daily.index))
    fig, ax = _figure()
    ax.plot(dates, daily["cumulative_pnl"], "o-", color="C0", label="cumulative P&L (money)")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set(ylabel="cumulative P&L (stake currency)")
    units = ax.twinx()
    units.plot(dates, daily["cumulative_units"], "s--", color="C1", markersize=4,
               label="cumulative units (stake 1 per bet)")  # fmt: skip
    units.set_ylabel("cumulative units won")
    drop = lr.max_drawdown(daily["cumulative_pnl"])
    if drop.amount > 0 and drop.trough_date is not None:
        trough = pd.Timestamp(drop.trough_date)
        peak = pd.Timestamp(drop.peak_date) if drop.peak_date else dates.iloc[0] - timedelta(1)
        level = float(daily["cumulative_pnl"].loc[drop.trough_date])
        ax.axvspan(peak, trough, color="C3", alpha=0.15, label="max drawdown")
        ax.annotate("", xy=(trough, level), xytext=(trough, level + drop.amount),
                    arrowprops={"arrowstyle": "->", "color": "C3", "linewidth": 1.5})  # fmt: skip
        ax.text(trough, level, f" max drawdown {drop.amount:.2f}", color="C3", fontsize=8,
                va="top")  # fmt: skip
    _date_axis(ax, dates)
    lines = ax.get_legend_handles_labels()
    more = units.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="best", fontsize=8)
    plot.png = _png(fig)
    last = daily.iloc[-1]
    units_drop = lr.max_drawdown(daily["cumulative_units"]).amount
    where = (
        f"peak {drop.peak_date or 'the start'}, trough {drop.trough_date}, shaded"
        if drop.amount > 0
        else "none: the curve never fell below a peak"
    )
    plot.caption = (
        f"Cumulative P&L of {len(bets)} placed bets per game date, {dates.iloc[0]:%Y-%m-%d} "
        f"to {dates.iloc[-1]:%Y-%m-%d}: {last.cumulative_pnl:+.2f} in money (the stakes "
        f"placed), {last.cumulative_units:+.2f} units at a stake of 1 per bet (right axis). "
        f"Pending and void bets count 0. Max drawdown {drop.amount:.2f} ({where}); "
        f"{units_drop:.2f} in units."
    )
    return plot


def _bars(ax, labels: list[str], values: list[float | None], ylabel: str) -> None:
    x = np.arange(len(labels))
    heights = [100 * v if v is not None else 0.0 for v in values]
    colors = ["0.8" if v is None else ("C2" if v >= 0 else "C3") for v in values]
    ax.bar(x, heights, color=colors, width=0.6)
    for xi, v in zip(x, values, strict=True):
        if v is None:
            ax.text(xi, 0, "n/a", ha="center", va="bottom", fontsize=8, color="0.4")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=8, rotation=20 if len(labels) > 4 else 0, ha="right"
                       if len(labels) > 4 else "center")  # fmt: skip
    ax.set_ylabel(ylabel)


def breakdown_plot(plot_id: str, what: str, rows: list[dict[str, Any]]) -> Plot:
    """ROI (left) and CLV (right) of the placed bets per value of a breakdown, as bars."""
    plot = Plot(plot_id, f"ROI and CLV of the placed bets by {what}", "")
    if not any(r["roi"] is not None for r in rows) and not any(r["clv"] is not None for r in rows):
        plot.missing = f"no placed bet is settled or has a close yet (by {what})"
        return plot
    labels = [f"{r['key']}\n(n={r['n_placed']})" for r in rows]
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    _bars(left, labels, [r["roi"] for r in rows], "ROI (% of settled stake)")
    left.set_title("ROI", fontsize=9)
    _bars(right, labels, [r["clv"] for r in rows], "CLV (probability points, %)")
    right.set_title("CLV against the same book's de-vigged close", fontsize=9)
    plot.png = _png(fig)
    parts = [
        f"{r['key']}: ROI {lr.pct(r['roi'])}, CLV "
        + ("n/a" if r["clv"] is None else f"{100 * r['clv']:+.2f} pts")
        + f" ({r['n_placed']} bets)"
        for r in rows
    ]
    plot.caption = (
        f"Per {what}: ROI = P&L over the stakes of settled bets; CLV = the de-vigged closing "
        "probability of the side at the same book minus 1 / price taken, mean over the bets "
        "whose line closed there (grey n/a: none settled or closed). " + "; ".join(parts) + "."
    )
    return plot


def hit_rate_plot(bets: pd.DataFrame) -> Plot:
    plot = Plot("plot-ledger-hit-rate", "Hit rate of the placed bets against the expected", "")
    table = lr.hit_rate_vs_expected(bets, bets["market_family"])
    table = table[table["n_decided"] > 0]
    if table.empty:
        plot.missing = "no placed bet is won or lost yet"
        return plot
    if len(table) == 2:  # one family: its row is the `all` row
        table = table.iloc[:1]
    fig, ax = _figure()
    x = np.arange(len(table))
    width = 0.27
    rate = table["hit_rate"].astype(float)
    err = np.vstack([rate - table["hit_rate_low"].astype(float),
                     table["hit_rate_high"].astype(float) - rate])  # fmt: skip
    ax.bar(x - width, 100 * rate, width, yerr=100 * err, capsize=3, color="C0",
           label="observed hit rate (95% interval)")  # fmt: skip
    ax.bar(x, 100 * table["expected_hit_rate"].astype(float), width, color="C1",
           label="expected at the prices taken (1 / price)")  # fmt: skip
    model = table["expected_hit_rate_model"].astype(float)
    known = model.notna().to_numpy()  # no bar where no bet followed a recommendation
    if known.any():
        ax.bar(x[known] + width, 100 * model[known], width, color="C4",
               label="expected by the model (matched bets)")  # fmt: skip
    ax.set_xticks(x)
    ax.set_xticklabels([f"{k}\n(n={n})" for k, n in zip(table["key"], table["n_decided"],
                                                         strict=True)], fontsize=8)  # fmt: skip
    ax.set(ylabel="share of decided bets won (%)", ylim=(0, 118))
    ax.legend(loc="upper center", ncol=3, fontsize=8)
    plot.png = _png(fig)
    total = table.iloc[0]
    model_text = (
        f"{total.expected_hit_rate_model:.1%} by the model over its {int(total.n_model)} "
        "matched bets"
        if total.n_model
        else "no bet matched a recommendation, so no model expectation"
    )
    plot.caption = (
        f"{int(total.wins)} of {int(total.n_decided)} decided bets won ({total.hit_rate:.1%}, "
        f"95% interval {total.hit_rate_low:.1%} to {total.hit_rate_high:.1%}; pushes, voids and "
        f"pending left out), expected {total.expected_hit_rate:.1%} at the prices taken and "
        f"{model_text}; per market family beside it."
    )
    return plot


def draw(bets: pd.DataFrame, result: dict[str, Any]) -> list[Plot]:
    return [
        bankroll_plot(bets),
        breakdown_plot("plot-ledger-family", "market family", result["by_market_family"]),
        breakdown_plot("plot-ledger-book", "book", result["by_book"]),
        breakdown_plot("plot-ledger-month", "month", result["by_month"]),
        hit_rate_plot(bets),
    ]


# --- HTML ---------------------------------------------------------------------------------------


def _summary(result: dict[str, Any]) -> str:
    clv = "n/a" if result["clv"] is None else f"{100 * result['clv']:+.2f} pts"
    return (
        f"{result['n_placed']} placed bets ({result['n_matched']} followed a recommendation), "
        f"{result['n_settled']} settled, {result['n_pending']} pending, {result['n_void']} void: "
        f"P&amp;L <strong>{result['pnl']:+.2f}</strong> on {result['staked']:.2f} staked, ROI "
        f"<strong>{lr.pct(result['roi'])}</strong>, CLV {clv} (same book, {result['n_clv']} "
        f"bets with a close), hit rate {lr.pct(result['hit_rate'], False)} vs "
        f"{lr.pct(result['expected_hit_rate'], False)} expected at the prices, max drawdown "
        f"{result['max_drawdown']:.2f}; recommendations skipped: {result['n_skipped']}."
    )


def render_section(section: LedgerSection) -> str:
    """`<section id="ledger">`: the summary and the charts, or one line when none."""
    head = f"<h2>Placed bets (the ledger), {escape(section.period)}</h2>"
    if section.result is None:
        line = escape(section.empty or "No placed bet.")
        return f'<section id="ledger">{head}<p class="no-data ledger-empty">{line}</p></section>'
    figures = "".join(page_figure(p) for p in section.plots)
    return (
        f'<section id="ledger">{head}<p class="ledger-summary">{_summary(section.result)}</p>'
        f"{figures}</section>"
    )


def render_page(section: LedgerSection, generated_at: str) -> str:
    """The standalone page of `propcast bets report`: the same section, self-contained."""
    title = f"propcast ledger, placed bets {section.period}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>"
        f'<p class="meta">Generated {escape(generated_at)} UTC from fct_bet_ledger (the text '
        "and --json of `propcast bets report` give the same numbers). This page is "
        "self-contained: it opens offline.</p></header>"
        f"{render_section(section)}</body></html>\n"
    )


def write_page(home_outputs: Path, rows: pd.DataFrame, start: date, end: date, now: str) -> Path:
    """Write outputs/ledger/ledger_report_<start>_<end>.html and return its path."""
    section = section_from_rows(rows, start, end)
    folder = home_outputs / "ledger"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ledger_report_{start}_{end}.html"
    path.write_text(render_page(section, now))
    return path
