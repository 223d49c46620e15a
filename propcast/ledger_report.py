"""`propcast bets report`: what the placed bets of fct_bet_ledger returned.

Definitions (the test recomputes them from the rows): a bet counts in the period when its
game_date is in it. Settled = won, lost or push. `pnl` = the sum of profit (void and push
0); `staked` = the stakes of settled bets; `roi` = pnl / staked. `hit_rate` = won / (won +
lost); `expected_hit_rate` = the mean implied probability (1 / price) of those bets, and
`expected_hit_rate_model` the mean model probability of the matched ones. `clv` = the mean
clv_prob against the same book's de-vigged close (`clv_best_book`: against the best book's),
over the bets whose line closed there. The bankroll curve is the cumulative P&L per game date;
`max_drawdown` its largest fall from a running peak (the start, 0, counts as a peak), in money
(`max_drawdown_units`: the same on the cumulative units won, a stake of 1 per bet).

The HTML (propcast.reporting.ledger) draws the same numbers: `report_rows` is the one
selection both read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from propcast.settings import Home
from propcast.warehouse import read_only

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


def read_ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """fct_bet_ledger's rows the report reads, game_date as a date."""
    rows = con.execute(QUERY).df()
    rows["game_date"] = pd.to_datetime(rows["game_date"]).dt.date
    return rows


def read(home: Home) -> pd.DataFrame:
    """fct_bet_ledger's rows of `home`; LedgerReportError (with the recovery) when unreadable."""
    with read_only(
        home,
        LedgerReportError,
        command="propcast bets report",
        first_build="propcast bets import FILE.csv",
        needs="fct_bet_ledger",
    ) as con:
        return read_ledger(con)


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


@dataclass(frozen=True)
class Drawdown:
    """The largest fall of a cumulative series from its running peak (the start, 0, is a
    peak): its size, the date of that peak (None: the start) and of the trough."""

    amount: float
    peak_date: date | None
    trough_date: date | None


def max_drawdown(cumulative: pd.Series) -> Drawdown:
    """The largest peak-to-trough fall of `cumulative` (indexed by date, in order)."""
    if cumulative.empty:
        return Drawdown(0.0, None, None)
    peak = cumulative.cummax().clip(lower=0.0)
    fall = peak - cumulative
    if float(fall.max()) <= 0.0:
        return Drawdown(0.0, None, None)
    trough = fall.idxmax()  # the first date of the largest fall
    before = cumulative.loc[:trough]
    top = float(peak.loc[trough])
    at_peak = before[before >= top]
    peak_date = at_peak.index[-1] if top > 0.0 and len(at_peak) else None
    return Drawdown(float(fall.max()), peak_date, trough)


def bankroll(bets: pd.DataFrame) -> pd.DataFrame:
    """Per game date: the P&L in money (`pnl`, profit) and in units (`units`, a stake of 1 per
    bet), and their running sums (`cumulative_pnl`, `cumulative_units`); pending bets count 0."""
    daily = (
        bets.assign(pnl=bets["profit"].fillna(0.0), units=bets["units_won"].fillna(0.0))
        .groupby("game_date")[["pnl", "units"]]
        .sum()
        .sort_index()
    )
    daily["cumulative_pnl"] = daily["pnl"].cumsum()
    daily["cumulative_units"] = daily["units"].cumsum()
    return daily


def bankroll_curve(bets: pd.DataFrame) -> tuple[list[dict[str, Any]], float]:
    """Cumulative P&L per game date, and the largest fall from a running peak."""
    daily = bankroll(bets)
    curve = [
        {"game_date": str(day), "pnl": round(float(row.pnl), 2),
         "cumulative_pnl": round(float(row.cumulative_pnl), 2),
         "cumulative_units": round(float(row.cumulative_units), 4)}
        for day, row in daily.iterrows()
    ]  # fmt: skip
    return curve, round(max_drawdown(daily["cumulative_pnl"]).amount, 2)


def month_key(bets: pd.DataFrame) -> pd.Series:
    """The calendar month (YYYY-MM) of each bet's game date."""
    return pd.Series([d.strftime("%Y-%m") for d in bets["game_date"]], index=bets.index,
                     dtype=object)  # fmt: skip


def breakdown(bets: pd.DataFrame, key: pd.Series) -> list[dict[str, Any]]:
    """The summary's numbers per value of `key` (null keys as `unknown`), in key order."""
    keys = ["n_placed", "n_settled", "staked", "pnl", "roi", "hit_rate", "clv", "n_clv"]
    return [
        {"key": str(value), **{k: v for k, v in summarize(group).items() if k in keys}}
        for value, group in bets.groupby(key.fillna("unknown"), sort=True)
    ]


def by_month(bets: pd.DataFrame) -> list[dict[str, Any]]:
    return breakdown(bets, month_key(bets))


Z95 = 1.959963984540054


def _wilson(wins: int, n: int) -> tuple[float, float]:
    """The 95 % Wilson interval of a hit rate of wins / n (n > 0)."""
    rate = wins / n
    centre = (rate + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(rate * (1 - rate) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return centre - half, centre + half


def hit_rate_vs_expected(bets: pd.DataFrame, key: pd.Series | None = None) -> pd.DataFrame:
    """Per value of `key` (one row `all` when None; `all` first otherwise): the decided bets
    (won or lost; pushes, voids and pending left out), their hit rate with its 95 % Wilson
    interval, the rate expected at the prices taken (mean 1 / price) and the rate the model
    expected (mean recommended_side_prob of the matched ones, `n_model` of them)."""
    decided = bets[bets["result"].isin(["won", "lost"])]
    groups: list[tuple[str, pd.DataFrame]] = [("all", decided)]
    if key is not None:
        keys = key.loc[decided.index].fillna("unknown")
        groups += [(str(k), g) for k, g in decided.groupby(keys, sort=True)]
    rows = []
    for name, group in groups:
        n, wins = len(group), int((group["result"] == "won").sum())
        low, high = _wilson(wins, n) if n else (None, None)
        model = group.loc[group["is_matched"].astype(bool), "recommended_side_prob"].dropna()
        rows.append({
            "key": name, "n_decided": n, "wins": wins,
            "hit_rate": wins / n if n else None, "hit_rate_low": low, "hit_rate_high": high,
            "expected_hit_rate": _mean(group["price_implied_prob"]),
            "expected_hit_rate_model": float(model.mean()) if len(model) else None,
            "n_model": len(model),
        })  # fmt: skip
    return pd.DataFrame(rows)


def placed_in_period(
    rows: pd.DataFrame, start: date | None, end: date | None
) -> tuple[pd.DataFrame, pd.DataFrame, date, date, date | None, date | None]:
    """(placed bets of start..end, skipped recommendations of it, start, end, first and last
    placed game date of the whole ledger); start and end default to those."""
    placed_all = rows[rows["is_placed"].astype(bool)]
    first = min(placed_all["game_date"]) if len(placed_all) else None
    last = max(placed_all["game_date"]) if len(placed_all) else None
    start, end = start or first or date.min, end or last or date.max
    in_range = rows[(rows["game_date"] >= start) & (rows["game_date"] <= end)]
    bets = in_range[in_range["is_placed"].astype(bool)]
    skipped = in_range[in_range["entry_status"] == "skipped"]
    return bets, skipped, start, end, first, last


def ledger_report(home: Home, start: date | None, end: date | None) -> dict[str, Any]:
    """The report of the placed bets of game dates start..end (default: the ledger's span)."""
    return report_rows(read(home), start, end)


def report_rows(rows: pd.DataFrame, start: date | None, end: date | None) -> dict[str, Any]:
    """The report of `rows` (read_ledger's) over game dates start..end."""
    bets, skipped, start, end, first, last = placed_in_period(rows, start, end)
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
    result["max_drawdown_units"] = round(max_drawdown(bankroll(bets)["cumulative_units"]).amount, 4)
    result["by_market_family"] = breakdown(bets, bets["market_family"])
    result["by_book"] = breakdown(bets, bets["book"])
    result["by_month"] = by_month(bets)
    return result


def pct(value: float | None, signed: bool = True) -> str:
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
        f"  staked {result['staked']:.2f}  P&L {result['pnl']:+.2f}  ROI {pct(result['roi'])}  "
        f"max drawdown {result['max_drawdown']:.2f}",
        f"  hit rate {pct(result['hit_rate'], False)} vs expected "
        f"{pct(result['expected_hit_rate'], False)} (prices) / "
        f"{pct(result['expected_hit_rate_model'], False)} (model, matched bets)",
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
                f"P&L {row['pnl']:>+9.2f}  ROI {pct(row['roi']):>7}  "
                f"hit {pct(row['hit_rate'], False):>6}  CLV {_fmt(row['clv'])}"
            )
    return lines


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.4f}"
