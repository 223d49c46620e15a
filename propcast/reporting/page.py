"""`report_<D>.html`: one self-contained page (inline CSS, charts as base64 PNG, no URL).

Each chart sits in `<figure id="plot-…" class="plot">` with a caption; a chart without data
is a `<p class="no-data">` saying why, in the same figure (`data-has-data="false"`).
"""

from __future__ import annotations

import base64
from datetime import date
from html import escape

import pandas as pd

from propcast.reporting.data import ReportData
from propcast.reporting.plots import Plot
from propcast.reports import NO_BET_REASONS, staked_with

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fff;
       max-width: 960px; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
.meta { color: #666; font-size: 0.9em; }
figure.plot { margin: 24px 0; padding: 8px; border: 1px solid #ddd; }
figure.plot img { display: block; width: 900px; height: 400px; }
figure.plot h2 { font-size: 1.1em; margin: 0 0 8px; }
figcaption { font-size: 0.9em; color: #444; margin-top: 6px; }
p.no-data { background: #fff7e0; border-left: 4px solid #e0a000; padding: 8px 12px; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
th { background: #f3f3f3; }
td.text { text-align: left; }
ul.missing li { color: #8a5a00; }
"""


def _figure(plot: Plot) -> str:
    head = f"<h2>{escape(plot.title)}</h2>"
    if plot.png is None:
        body = f'<p class="no-data">No chart: {escape(plot.missing or "no data")}.</p>'
        caption = f"{escape(plot.title)}: nothing to draw."
    else:
        data = base64.b64encode(plot.png).decode("ascii")
        body = (
            f'<img alt="{escape(plot.title)}" width="900" height="400" '
            f'src="data:image/png;base64,{data}">'
        )
        caption = escape(plot.caption)
    has_data = "true" if plot.png is not None else "false"
    return (
        f'<figure id="{plot.plot_id}" class="plot" data-has-data="{has_data}">{head}{body}'
        f"<figcaption>{caption}</figcaption></figure>"
    )


FORMATS = {"price": "{:+.0f}", "line": "{:.1f}", "stake": "{:.2f}"}


def _cell(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "<td></td>"
    if isinstance(value, int | float):
        return f"<td>{FORMATS.get(column, '{:.3f}').format(value)}</td>"
    return f'<td class="text">{escape(str(value))}</td>'


def html_table(frame: pd.DataFrame) -> str:
    columns = [str(c) for c in frame.columns]
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(_cell(c, v) for c, v in zip(columns, row, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _slate(data: ReportData) -> str:
    if not data.slate.has_data:
        return f'<p class="no-data">No slate summary: {escape(data.slate.missing or "")}.</p>'
    s = data.slate.frame.iloc[0]
    text = (
        f"{int(s.games_scheduled)} games, {int(s.lines_offered)} lines offered, "
        f"{int(s.lines_mapped)} with a mapped player, {int(s.lines_scored)} scored, "
        f"<strong>{int(s.bets_recommended)} bets</strong> (stake {s.total_stake:.2f}"
        f"{escape(staked_with(s))})."
    )
    reason = s.no_bet_reason if isinstance(s.no_bet_reason, str) else None
    if reason:
        text += f" <strong>No bets: {escape(NO_BET_REASONS.get(reason, reason))}.</strong>"
    parts = [f"<p>{text}</p>"]
    if data.edge_gate:  # README "The edge gate": per priced family, published or withheld
        items = "".join(f"<li>{escape(state.sentence())}</li>" for state in data.edge_gate)
        parts.append(f'<p>Edge gate:</p><ul class="edge-gate">{items}</ul>')
    if not data.bets.empty:
        parts += [f"<h3>Top {len(data.bets)} bets by EV</h3>", html_table(data.bets)]
    return "".join(parts)


def _ledger(data: ReportData) -> str:
    """The placed bets up to D (propcast.reporting.ledger), or one line saying there are none."""
    if data.ledger is None:
        return ""
    from propcast.reporting.ledger import render_section

    return render_section(data.ledger)


def render(data: ReportData, plots: list[Plot], generated_at: str, missing: dict) -> str:
    day: date = data.day
    notes = "".join(f"<li>{escape(name)}: {escape(why)}</li>" for name, why in missing.items())
    sections_missing = (
        f'<section id="missing"><h2>Sections without data</h2><ul class="missing">{notes}</ul>'
        "</section>"
        if notes
        else ""
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>propcast report, slate {day}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>propcast report: slate {day}</h1>"
        f'<p class="meta">Generated {escape(generated_at)} UTC from the warehouse; every '
        f"series covers the dates up to {day}. This page is self-contained: it opens "
        "offline.</p></header>"
        f'<section id="slate"><h2>The slate</h2>{_slate(data)}</section>'
        f"{sections_missing}"
        f'<section id="plots">{"".join(_figure(p) for p in plots)}</section>'
        f"{_ledger(data)}"
        "</body></html>\n"
    )
