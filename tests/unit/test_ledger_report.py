"""The ledger's aggregations (propcast.ledger_report) and its HTML section
(propcast.reporting.ledger) on small hand-written frames shaped like fct_bet_ledger's rows."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from propcast import ledger_report as lr
from propcast.reporting import ledger as html

D = date


def bets(*rows: tuple) -> pd.DataFrame:
    """Placed bets: (game_date, result, stake, price_decimal, market_family, book, matched,
    model_prob, clv)."""
    frame = pd.DataFrame(
        rows,
        columns=["game_date", "result", "stake", "price_decimal", "market_family", "book",
                 "is_matched", "recommended_side_prob", "clv_prob_book"],
    )  # fmt: skip
    units = frame["price_decimal"] - 1.0
    frame["units_won"] = units.where(frame["result"] == "won", -1.0)
    frame.loc[frame["result"].isin(["push", "void"]), "units_won"] = 0.0
    frame.loc[frame["result"] == "pending", "units_won"] = None
    frame["profit"] = frame["units_won"] * frame["stake"]
    frame["price_implied_prob"] = 1.0 / frame["price_decimal"]
    frame["clv_prob_best_book"] = frame["clv_prob_book"]
    frame["clv_price_book"] = frame["clv_prob_book"]
    frame["is_placed"] = True
    frame["entry_status"] = frame["is_matched"].map({True: "taken", False: "not_recommended"})
    frame["book_id"] = frame["book"]
    return frame


def series(values: list[float], start: int = 1) -> pd.Series:
    return pd.Series(values, index=[D(2027, 1, start + i) for i in range(len(values))])


def test_max_drawdown_is_the_largest_fall_from_a_running_peak() -> None:
    # +10, then down to -5 (a fall of 15 from the peak of 10), up to 15, down to 12
    drop = lr.max_drawdown(series([10.0, 5.0, -5.0, 15.0, 12.0]))
    assert drop == lr.Drawdown(15.0, D(2027, 1, 1), D(2027, 1, 3))
    # a later, smaller fall does not replace it; a peak held twice is dated by its last day
    drop = lr.max_drawdown(series([4.0, 4.0, 1.0, 9.0, 8.0]))
    assert drop == lr.Drawdown(3.0, D(2027, 1, 2), D(2027, 1, 3))


def test_max_drawdown_counts_the_start_as_a_peak_and_is_zero_on_a_rise() -> None:
    assert lr.max_drawdown(series([-2.0, -5.0, -3.0])) == lr.Drawdown(5.0, None, D(2027, 1, 2))
    assert lr.max_drawdown(series([1.0, 2.0, 2.0, 7.0])) == lr.Drawdown(0.0, None, None)
    assert lr.max_drawdown(pd.Series([], dtype=float)) == lr.Drawdown(0.0, None, None)


def test_bankroll_is_money_and_units_per_date_with_pending_as_zero() -> None:
    frame = bets(
        (D(2027, 1, 2), "won", 10.0, 2.0, "player_points", "fanduel", True, 0.55, 0.01),
        (D(2027, 1, 2), "lost", 20.0, 1.9, "player_points", "fanduel", True, 0.6, -0.02),
        (D(2027, 1, 3), "pending", 5.0, 1.9, "total", "betmgm", False, None, None),
        (D(2027, 1, 4), "won", 4.0, 3.0, "total", "betmgm", False, None, None),
    )
    curve = lr.bankroll(frame)
    assert list(curve.index) == [D(2027, 1, 2), D(2027, 1, 3), D(2027, 1, 4)]
    assert list(curve["pnl"]) == [-10.0, 0.0, 8.0]
    assert list(curve["cumulative_pnl"]) == [-10.0, -10.0, -2.0]
    assert list(curve["cumulative_units"]) == [0.0, 0.0, 2.0]  # +1 -1, then +2 at stake 1
    points, drawdown = lr.bankroll_curve(frame)
    assert drawdown == 10.0 and points[-1]["cumulative_units"] == 2.0


def test_by_month_groups_on_the_game_dates_calendar_month() -> None:
    frame = bets(
        (D(2026, 12, 30), "won", 10.0, 2.0, "player_points", "fanduel", True, 0.55, 0.02),
        (D(2026, 12, 31), "lost", 10.0, 2.0, "player_points", "betmgm", True, 0.55, 0.0),
        (D(2027, 1, 1), "lost", 5.0, 1.9, "total", "fanduel", False, None, None),
        (D(2027, 1, 31), "push", 5.0, 1.9, "total", "fanduel", False, None, -0.01),
        (D(2027, 2, 1), "pending", 5.0, 1.9, "total", "fanduel", False, None, None),
    )
    months = {row["key"]: row for row in lr.by_month(frame)}
    assert list(months) == ["2026-12", "2027-01", "2027-02"]
    december, january, february = months.values()
    assert (december["n_placed"], december["pnl"], december["roi"]) == (2, 0.0, 0.0)
    assert december["clv"] == pytest.approx(0.01) and december["hit_rate"] == 0.5
    assert (january["n_placed"], january["n_settled"], january["staked"]) == (2, 2, 10.0)
    assert january["roi"] == pytest.approx(-0.5) and january["hit_rate"] == 0.0
    assert february["roi"] is None and february["n_settled"] == 0  # nothing settled yet


def test_hit_rate_vs_expected_counts_decided_bets_only() -> None:
    frame = bets(
        (D(2027, 1, 2), "won", 10.0, 2.0, "player_points", "a", True, 0.60, None),
        (D(2027, 1, 2), "won", 10.0, 2.5, "player_points", "a", True, 0.50, None),
        (D(2027, 1, 3), "won", 10.0, 2.0, "total", "a", False, None, None),
        (D(2027, 1, 3), "lost", 10.0, 4.0, "total", "a", False, None, None),
        (D(2027, 1, 4), "push", 10.0, 1.5, "total", "a", True, 0.9, None),
        (D(2027, 1, 4), "void", 10.0, 1.5, "total", "a", True, 0.9, None),
        (D(2027, 1, 5), "pending", 10.0, 1.5, "total", "a", True, 0.9, None),
    )
    table = lr.hit_rate_vs_expected(frame, frame["market_family"]).set_index("key")
    assert list(table.index) == ["all", "player_points", "total"]
    overall = table.loc["all"]
    assert (overall.n_decided, overall.wins, overall.hit_rate) == (4, 3, 0.75)
    assert overall.expected_hit_rate == pytest.approx((0.5 + 0.4 + 0.5 + 0.25) / 4)
    assert overall.expected_hit_rate_model == pytest.approx(0.55) and overall.n_model == 2
    # the 95 % Wilson interval of 3 in 4 (published tables: 0.3006 to 0.9544)
    assert (overall.hit_rate_low, overall.hit_rate_high) == pytest.approx(
        (0.3006, 0.9544), abs=1e-4
    )
    total = table.loc["total"]
    assert (total.n_decided, total.hit_rate, total.n_model) == (2, 0.5, 0)
    assert pd.isna(total.expected_hit_rate_model)
    none_decided = lr.hit_rate_vs_expected(frame[frame["result"] == "pending"])
    assert list(none_decided["n_decided"]) == [0] and none_decided["hit_rate"].isna().all()


def ledger_rows() -> pd.DataFrame:
    frame = bets(
        (D(2027, 1, 2), "won", 10.0, 2.0, "player_points", "fanduel", True, 0.55, 0.02),
        (D(2027, 1, 3), "lost", 20.0, 1.9, "player_points", "betmgm", True, 0.6, -0.01),
        (D(2027, 1, 4), "lost", 10.0, 1.9, "total", "fanduel", False, None, None),
        (D(2027, 1, 5), "won", 5.0, 2.2, "total", "betmgm", False, None, 0.03),
    )
    skipped = frame.iloc[:1].assign(is_placed=False, entry_status="skipped", stake=None,
                                    profit=None, game_date=D(2027, 1, 3))  # fmt: skip
    return pd.concat([frame, skipped], ignore_index=True)


def test_the_bankroll_chart_marks_the_max_drawdown() -> None:
    """One chart drawn here (the five are drawn and screenshot-checked in
    tests/integration/test_report_export.py)."""
    rows = ledger_rows()
    placed = lr.placed_in_period(rows, None, D(2027, 1, 4))[0]
    plot = html.bankroll_plot(placed)
    assert plot.plot_id == "plot-ledger-bankroll" and plot.png.startswith(b"\x89PNG")
    assert "-20.00 in money" in plot.caption and "-1.00 units" in plot.caption
    assert "Max drawdown 30.00 (peak 2027-01-02, trough 2027-01-04, shaded)" in plot.caption


def test_the_section_summarises_the_placed_bets_of_the_period() -> None:
    result = lr.report_rows(ledger_rows(), None, D(2027, 1, 4))
    assert result["n_placed"] == 3 and result["n_skipped"] == 1
    assert (result["pnl"], result["staked"], result["max_drawdown"]) == (-20.0, 40.0, 30.0)
    drawn = [html.Plot(pid, pid, "caption", png=b"png") for pid in html.LEDGER_PLOT_IDS]
    section = html.LedgerSection("up to 2027-01-04", result, drawn)
    page = html.render_section(section)
    assert page.count('<figure id="plot-ledger-') == 5 and 'data-has-data="false"' not in page
    assert "Placed bets (the ledger), up to 2027-01-04" in page
    assert "P&amp;L <strong>-20.00</strong> on 40.00 staked, ROI <strong>-50.0%</strong>" in page


def test_an_empty_period_is_one_line_and_no_chart() -> None:
    section = html.section_from_rows(ledger_rows(), D(2026, 12, 1), D(2026, 12, 31))
    assert section.plots == [] and section.result is None
    page = html.render_section(section)
    assert "<figure" not in page and "<img" not in page
    assert re.findall(r"<p[^>]*>(.*?)</p>", page) == [
        "No placed bet between 2026-12-01 and 2026-12-31 in the ledger (the ledger holds bets "
        "from 2027-01-02 to 2027-01-05): `propcast bets import FILE.csv` (or `propcast bets "
        "add ...`) records the bets you placed."
    ]
    nothing = html.section_from_rows(ledger_rows().iloc[:0], None, D(2027, 1, 4))
    assert "the ledger is empty" in (nothing.empty or "")


def test_a_breakdown_with_nothing_settled_or_closed_says_so() -> None:
    rows = [{"key": "fanduel", "n_placed": 2, "roi": None, "clv": None}]
    plot = html.breakdown_plot("plot-ledger-book", "book", rows)
    assert (
        plot.png is None and plot.missing == "no placed bet is settled or has a close yet (by book)"
    )
