"""`outputs/monitoring/rolling_report.md`: every date up to D, as trends in tables.

Forecast accuracy (model against market), ROI and CLV of the recommended bets, odds coverage
and mapping quality per vendor. Each section says where its numbers come from, or why it has
none.
"""

from __future__ import annotations

import pandas as pd

from propcast.reporting.data import ReportData, Section
from propcast.reports import _table as _md_table


def md_table(frame: pd.DataFrame) -> str:
    """A Markdown table; missing values (None, NaN, NA) are empty cells."""
    return _md_table(frame.astype(object).where(frame.notna(), None))


def _source(section: Section) -> list[str]:
    if not section.has_data:
        return [f"_No data: {section.missing}._", ""]
    return [f"_Source: {section.source}._", ""]


def _accuracy(section: Section) -> list[str]:
    lines = ["## Forecast accuracy (log loss, lower is better)", "", *_source(section)]
    if not section.has_data:
        return lines
    f = section.frame
    n = f.n_lines.sum()
    model = (f.log_loss_model * f.n_lines).sum() / n
    market = (f.log_loss_market * f.n_lines).sum() / n
    lines += [
        f"Over {f.game_date.nunique()} settled days ({int(n):,} lines): model {model:.4f}, market "
        f"{market:.4f}, gap {model - market:+.4f} (negative: the model beat the market).",
        "",
        md_table(f.drop(columns=["model_versions"])),
    ]
    return lines


def _ev(section: Section) -> list[str]:
    lines = ["## ROI and CLV of the recommended bets", "", *_source(section)]
    if not section.has_data:
        return lines
    f = section.frame
    stake = f.settled_stake.sum()
    roi = f"{100 * f.profit.sum() / stake:+.2f}%" if stake > 0 else "- (nothing settled)"
    clv = f.mean_clv.dropna()
    weights = f.clv_bets[f.mean_clv.notna()]
    mean_clv = f"{100 * (clv * weights).sum() / weights.sum():+.2f} points" if len(clv) else "-"
    lines += [
        f"{int(f.recommendations.sum()):,} bets recommended on {len(f)} days, "
        f"{int(f.settled_bets.sum()):,} settled ({int(f.bets_won.sum())} won, "
        f"{int(f.bets_lost.sum())} lost, {int(f.bets_pushed.sum())} pushed): profit "
        f"{f.profit.sum():+.2f} on {stake:.2f} settled stake, ROI {roi}; expected profit "
        f"{f.expected_profit.sum():+.2f}; mean CLV {mean_clv} (closing probability of the "
        "side minus the probability implied by the price).",
        "",
        md_table(f),
    ]
    return lines


def _coverage(section: Section) -> list[str]:
    lines = ["## Odds coverage by vendor", "", *_source(section)]
    if not section.has_data:
        return lines
    f = section.frame
    means = f.groupby("vendor")[["game_coverage", "player_coverage"]].mean().reset_index()
    lines += ["Mean coverage per vendor over the period:", "", md_table(means), md_table(f)]
    return lines


def _mapping(section: Section) -> list[str]:
    lines = ["## Player mapping quality by vendor", "", *_source(section)]
    if not section.has_data:
        return lines
    f = section.frame
    totals = f.groupby("vendor")[["quotes", "quotes_player_unmapped"]].sum().reset_index()
    totals["mapped_share"] = 1.0 - totals.quotes_player_unmapped / totals.quotes
    lines += ["Totals per vendor over the period:", "", md_table(totals), md_table(f)]
    return lines


def render(data: ReportData, generated_at: str) -> str:
    first = _first_date(data)
    span = f"{first} to {data.day}" if first else f"up to {data.day}"
    lines = [
        f"# Rolling report: every date up to {data.day}",
        "",
        f"Generated {generated_at} UTC from the warehouse; dates {span}.",
        "",
        *_accuracy(data.accuracy),
        *_ev(data.ev),
        *_coverage(data.coverage),
        *_mapping(data.mapping),
    ]
    return "\n".join(lines) + "\n"


def _first_date(data: ReportData) -> str | None:
    dates = [
        s.frame.game_date.min()
        for s in (data.accuracy, data.ev, data.coverage, data.mapping)
        if s.has_data
    ]
    return str(pd.Timestamp(min(dates)).date()) if dates else None
