"""The report's charts as PNG bytes, drawn with matplotlib's Agg canvas (no display, no pyplot).

Each function takes a section's frame and returns a `Plot`: the PNG and its caption, or, when
there is nothing to draw, no PNG and the reason in words (the page shows the reason instead of
an empty chart).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SIZE = (9.0, 4.0)  # inches; 900 x 400 pixels at DPI
DPI = 100
BINS = 10


@dataclass
class Plot:
    plot_id: str  # the element id of its <figure>, e.g. plot-calibration
    title: str
    caption: str
    png: bytes | None = None
    missing: str | None = None  # why there is no chart


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _date_axis(ax, dates: pd.Series) -> None:
    ax.set_xticks(dates)
    step = max(1, math.ceil(len(dates) / 12))
    ax.set_xticklabels(
        [d.strftime("%m-%d") if i % step == 0 else "" for i, d in enumerate(dates)], fontsize=8
    )


def _binned(prob: pd.Series, outcome: pd.Series, edges: np.ndarray) -> pd.DataFrame:
    bins = pd.cut(prob, edges, include_lowest=True, duplicates="drop")
    grouped = pd.DataFrame({"p": prob, "y": outcome, "bin": bins}).groupby(bins, observed=True)
    table = grouped.agg(p=("p", "mean"), y=("y", "mean"), n=("y", "size"))
    table["se"] = np.sqrt(table.y * (1 - table.y) / table.n)
    return table.reset_index(drop=True)


def calibration(frame: pd.DataFrame, missing: str | None) -> Plot:
    plot = Plot("plot-calibration", "Calibration: predicted P(over) against observed", "")
    if missing or frame.empty:
        plot.missing = missing or "no settled prediction"
        return plot
    edges = np.unique(np.quantile(frame.prob_over, np.linspace(0, 1, BINS + 1)))
    model = _binned(frame.prob_over, frame.went_over, edges)
    fig, ax = _figure()
    lo = float(min(model.p.min(), model.y.min(), frame.market_prob_over.min())) - 0.05
    hi = float(max(model.p.max(), model.y.max(), frame.market_prob_over.max())) + 0.05
    ax.plot([lo, hi], [lo, hi], linestyle="--", color="0.6", label="perfect calibration")
    ax.errorbar(model.p, model.y, yerr=1.96 * model.se, fmt="o-", color="C0", capsize=3,
                label="model (bins of equal count, 95% interval)")  # fmt: skip
    market = frame.dropna(subset=["market_prob_over"])
    if not market.empty:
        edges_m = np.unique(np.quantile(market.market_prob_over, np.linspace(0, 1, BINS + 1)))
        m = _binned(market.market_prob_over, market.went_over, edges_m)
        ax.plot(m.p, m.y, "s--", color="C1", alpha=0.8, label="market (de-vigged)")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="predicted P(over)", ylabel="observed over rate")
    ax.legend(loc="upper left", fontsize=8)
    plot.png = _png(fig)
    first, last = frame.game_date.min(), frame.game_date.max()
    plot.caption = (
        f"{len(frame):,} settled predictions from {first:%Y-%m-%d} to {last:%Y-%m-%d} "
        f"(pushes and players who did not play excluded), in {len(model)} bins of equal count. "
        f"Mean predicted {frame.prob_over.mean():.3f}, observed {frame.went_over.mean():.3f}."
    )
    return plot


def roi(frame: pd.DataFrame, missing: str | None) -> Plot:
    plot = Plot("plot-roi", "Return on investment of the recommended bets", "")
    settled = frame[frame.settled_bets > 0] if not frame.empty else frame
    if missing or settled.empty:
        plot.missing = missing or "no recommended bet is settled yet"
        return plot
    dates = pd.to_datetime(settled.game_date)
    cumulative = settled.profit.cumsum() / settled.settled_stake.cumsum()
    fig, ax = _figure()
    colors = np.where(settled.roi >= 0, "C2", "C3")
    ax.bar(dates, 100 * settled.roi, color=colors, width=0.7, label="ROI of the day")
    ax.plot(dates, 100 * cumulative, "o-", color="C0", label="cumulative ROI")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set(ylabel="ROI (% of settled stake)")
    _date_axis(ax, dates)
    ax.legend(loc="best", fontsize=8)
    plot.png = _png(fig)
    total_stake, profit = settled.settled_stake.sum(), settled.profit.sum()
    plot.caption = (
        f"{int(settled.settled_bets.sum()):,} settled bets on {len(settled)} days "
        f"({int(settled.bets_won.sum())} won, {int(settled.bets_lost.sum())} lost, "
        f"{int(settled.bets_pushed.sum())} pushed): profit {profit:+.2f} on {total_stake:.2f} "
        f"staked, ROI {100 * profit / total_stake:+.1f}%. Expected profit at the prices taken: "
        f"{settled.expected_profit.sum():+.2f}."
    )
    return plot


def clv(frame: pd.DataFrame, missing: str | None) -> Plot:
    plot = Plot("plot-clv", "Closing line value of the recommended bets", "")
    known = frame.dropna(subset=["mean_clv"]) if not frame.empty else frame
    if missing or known.empty:
        plot.missing = missing or "no recommended bet has a closing line yet"
        return plot
    dates = pd.to_datetime(known.game_date)
    weights = known.clv_bets
    running = (known.mean_clv * weights).cumsum() / weights.cumsum()
    fig, ax = _figure()
    colors = np.where(known.mean_clv >= 0, "C2", "C3")
    ax.bar(dates, 100 * known.mean_clv, color=colors, width=0.7, label="mean CLV of the day")
    ax.plot(dates, 100 * running, "o-", color="C0", label="running mean CLV")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set(ylabel="CLV (probability points, %)")
    _date_axis(ax, dates)
    ax.legend(loc="best", fontsize=8)
    plot.png = _png(fig)
    plot.caption = (
        f"Closing line value of {int(weights.sum()):,} recommended bets on {len(known)} days "
        "with a final game: the closing consensus de-vigged probability of the side taken "
        "minus the probability implied by the price taken (1 / decimal price). Mean "
        f"{100 * running.iloc[-1]:+.2f} points; positive means the bets beat the close."
    )
    return plot


def _by_vendor(ax, frame: pd.DataFrame, column: str, label: str) -> None:
    for i, (vendor, rows) in enumerate(frame.groupby("vendor", sort=True)):
        ax.plot(pd.to_datetime(rows.game_date), rows[column], "o-", markersize=3,
                color=f"C{i}", label=f"{vendor}: {label}")  # fmt: skip
    _date_axis(ax, pd.Series(sorted(pd.to_datetime(frame.game_date).unique())))


def coverage(frame: pd.DataFrame, missing: str | None, source: str) -> Plot:
    plot = Plot("plot-coverage", "Odds coverage by vendor", "")
    if missing or frame.empty:
        plot.missing = missing or "no odds quoted"
        return plot
    has_players = frame.player_coverage.notna().any()
    column = "player_coverage" if has_players else "game_coverage"
    what = "players expected" if has_players else "games scheduled"
    fig, ax = _figure()
    _by_vendor(ax, frame, column, f"share of {what}")
    ax.set(ylabel=f"share of {what} quoted", ylim=(-0.02, 1.05))
    ax.legend(loc="lower left", fontsize=8)
    plot.png = _png(fig)
    last = frame[frame.game_date == frame.game_date.max()]
    latest = ", ".join(f"{r.vendor} {r[column]:.0%}" for _, r in last.iterrows())
    plot.caption = (
        f"Share of the {what} each vendor quoted before tip-off, per date "
        f"({frame.game_date.min():%Y-%m-%d} to {frame.game_date.max():%Y-%m-%d}; "
        f"latest: {latest}). Source: {source}."
    )
    return plot


def mapping(frame: pd.DataFrame, missing: str | None) -> Plot:
    plot = Plot("plot-mapping", "Player mapping quality by vendor", "")
    if missing or frame.empty:
        plot.missing = missing or "no quotes"
        return plot
    fig, ax = _figure()
    _by_vendor(ax, frame, "mapped_share", "quotes with a mapped player")
    ax.set(ylabel="share of quotes mapped", ylim=(min(0.8, frame.mapped_share.min() - 0.02), 1.01))
    ax.legend(loc="lower left", fontsize=8)
    plot.png = _png(fig)
    unmapped = int(frame.quotes_player_unmapped.sum())
    plot.caption = (
        f"Share of each vendor's quotes whose player maps to a known player, per date. "
        f"{unmapped:,} of {int(frame.quotes.sum()):,} quotes unmapped over the period; "
        "unmapped names are fixed in seeds/player_alias_overrides.csv."
    )
    return plot
