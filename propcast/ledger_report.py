"""`propcast bets report`: what the placed bets of fct_bet_ledger returned.

Definitions (the test recomputes them from the rows): a bet counts in the period when its
game_date is in it. Settled = won, lost or push. `pnl` = the sum of profit (void and push
0); `staked` = the stakes of settled bets; `roi` = pnl / staked. `hit_rate` = won / (won +
lost); `expected_hit_rate` = the mean implied probability (1 / price) of those bets, and
`expected_hit_rate_model` the mean model probability of the matched ones. `clv` = the mean
clv_prob against the same book's de-vigged close (`clv_best_book`: against the best book's),
over the bets whose line closed there. The bankroll curve is the cumulative P&L per game date;
`max_drawdown` its largest fall from a running peak (the start, 0, counts as a peak).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd

from propcast.settings import Home

QUERY = """
    select game_date, entry_status, is_placed, is_matched, market_family, book_id,
           coalesce(book_id, vendor_book) as book, result, stake, profit, units_won,
           price_implied_prob, recommended_side_prob, clv_prob_book, clv_prob_best_book,
           clv_price_book
    from main.fct_bet_ledger
"""


class LedgerReportError(RuntimeError):
    def __init__(self, message: str, recover: str) -> None:
        super().__init__(message)
        self.recover = recover


def _read(home: Home) -> pd.DataFrame:
    if not home.warehouse.exists():
        raise LedgerReportError(
            f"no warehouse at {home.warehouse}", "propcast bets import FILE.csv"
        )
    try:
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            return con.execute(QUERY).df()
    except duckdb.Error as exc:
        raise LedgerReportError(
            f"cannot read main.fct_bet_ledger: {exc}",
            "propcast build (builds the ledger), then propcast bets report",
        ) from None


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def summarize(bets: pd.DataFrame) -> dict[str, Any]:
    """The headline numbers of a set of placed bets (see the module docstring)."""
    settled = bets[bets["result"].isin(["won", "lost", "push"])]
    decided = bets[bets["result"].isin(["won", "lost"])]
    staked = float(settled["stake"].sum())
    pnl = float(bets["profit"].fillna(0.0).sum())
    matched_decided = decided[decided["is_matched"]]
    return {
        "n_placed": len(bets),
        "n_matched": int(bets["is_matched"].sum()),
        "n_settled": len(settled),
        "n_pending": int((bets["result"] == "pending").sum()),
        "n_void": int((bets["result"] == "void").sum()),
        "staked": round(staked, 2),
        "pnl": round(pnl, 2),
        "roi": pnl / staked if staked > 0 else None,
        "hit_rate": float((decided["result"] == "won").mean()) if len(decided) else None,
        "expected_hit_rate": _mean(decided["price_implied_prob"]),
        "expected_hit_rate_model": _mean(matched_decided["recommended_side_prob"]),
        "clv": _mean(bets["clv_prob_book"]),
        "clv_price": _mean(bets["clv_price_book"]),
        "clv_best_book": _mean(bets["clv_prob_best_book"]),
        "n_clv": int(bets["clv_prob_book"].notna().sum()),
    }


def bankroll_curve(bets: pd.DataFrame) -> tuple[list[dict[str, Any]], float]:
    """Cumulative P&L per game date, and the largest fall from a running peak."""
    daily = bets.groupby("game_date")["profit"].apply(lambda p: p.fillna(0.0).sum()).sort_index()
    cumulative = daily.cumsum()
    peak = cumulative.cummax().clip(lower=0.0)
    drawdown = float((peak - cumulative).max()) if len(cumulative) else 0.0
    curve = [
        {"game_date": str(day), "pnl": round(float(p), 2), "cumulative_pnl": round(float(c), 2)}
        for day, p, c in zip(daily.index, daily, cumulative, strict=True)
    ]
    return curve, round(drawdown, 2)


def _breakdown(bets: pd.DataFrame, key: pd.Series) -> list[dict[str, Any]]:
    keys = ["n_placed", "n_settled", "staked", "pnl", "roi", "hit_rate", "clv"]
    return [
        {"key": str(value), **{k: v for k, v in summarize(group).items() if k in keys}}
        for value, group in bets.groupby(key.fillna("unknown"), sort=True)
    ]


def ledger_report(home: Home, start: date | None, end: date | None) -> dict[str, Any]:
    """The report of the placed bets of game dates start..end (default: the ledger's span)."""
    rows = _read(home)
    rows["game_date"] = pd.to_datetime(rows["game_date"]).dt.date
    placed_all = rows[rows["is_placed"]]
    first = min(placed_all["game_date"]) if len(placed_all) else None
    last = max(placed_all["game_date"]) if len(placed_all) else None
    start, end = start or first or date.min, end or last or date.max
    in_range = rows[(rows["game_date"] >= start) & (rows["game_date"] <= end)]
    bets = in_range[in_range["is_placed"]]
    skipped = in_range[in_range["entry_status"] == "skipped"]
    span = f"the ledger holds bets from {first} to {last}" if first else "the ledger is empty"
    result: dict[str, Any] = {
        "start_date": str(start) if start != date.min else None,
        "end_date": str(end) if end != date.max else None,
        "ledger_span": span,
        "recover": (
            f"propcast bets report --start-date {first} --end-date {last}"
            if first
            else "propcast bets import FILE.csv"
        ),
        **summarize(bets),
        "n_skipped": len(skipped),
        "skipped_units_won": round(float(skipped["units_won"].fillna(0.0).sum()), 4),
    }
    result["bankroll_curve"], result["max_drawdown"] = bankroll_curve(bets)
    result["by_market_family"] = _breakdown(bets, bets["market_family"])
    result["by_book"] = _breakdown(bets, bets["book"])
    month = pd.Series([d.strftime("%Y-%m") for d in bets["game_date"]], index=bets.index)
    result["by_month"] = _breakdown(bets, month)
    return result


def _pct(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def render(result: dict[str, Any]) -> list[str]:
    """The report as text lines."""
    lines = [
        f"ledger {result['start_date']} → {result['end_date']}",
        f"  placed {result['n_placed']} (matched to a recommendation {result['n_matched']}), "
        f"settled {result['n_settled']}, void {result['n_void']}, pending {result['n_pending']}; "
        f"recommendations skipped {result['n_skipped']} "
        f"({result['skipped_units_won']:+.2f} units had they been bet at 1)",
        f"  staked {result['staked']:.2f}  P&L {result['pnl']:+.2f}  ROI {_pct(result['roi'])}  "
        f"max drawdown {result['max_drawdown']:.2f}",
        f"  hit rate {_pct(result['hit_rate'], False)} vs expected "
        f"{_pct(result['expected_hit_rate'], False)} (prices) / "
        f"{_pct(result['expected_hit_rate_model'], False)} (model, matched bets)",
        f"  CLV (prob) {_fmt(result['clv'])} same book, {_fmt(result['clv_best_book'])} best "
        f"book, over {result['n_clv']} bets with a close",
        "  bankroll curve (cumulative P&L): "
        + ", ".join(
            f"{p['game_date']} {p['cumulative_pnl']:+.2f}" for p in result["bankroll_curve"]
        ),
    ]
    for title, key in (("market family", "by_market_family"), ("book", "by_book"),
                       ("month", "by_month")):  # fmt: skip
        lines.append(f"  by {title}:")
        for row in result[key]:
            lines.append(
                f"    {row['key']:<24} n {row['n_placed']:>4}  staked {row['staked']:>9.2f}  "
                f"P&L {row['pnl']:>+9.2f}  ROI {_pct(row['roi']):>7}  "
                f"hit {_pct(row['hit_rate'], False):>6}  CLV {_fmt(row['clv'])}"
            )
    return lines


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.4f}"
