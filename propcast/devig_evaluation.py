"""`propcast evaluate --devig`: every de-vig method of propcast.devig scored on settled closes.

Each book's closing two-way quote of a settled line is de-vigged by every method and scored
against the result: log loss, Brier, ECE (propcast.evaluate.probability_metrics) per league x
market family x book, and over every book of the family (book `all`). The margin of a method
over multiplicative is the mean per-line log-loss difference (multiplicative minus method:
positive means the method is better), with a 95 % interval from the paired differences.

The closes come from three places, each read when the warehouse has it:
- game totals: fct_game_total_odds (line_type close) settled on int_game_results' final score;
- vendor props: each book's closing main line (int_prop_odds_opening_closing, final closes;
  its implied probabilities from int_prop_odds_devigged, as the vendor priced it) at a line
  fct_line_settlements settled over or under;
- imported props: each book's latest quote (stg_imports__prop_odds) with its actual_value.
Pushes are left out. Quotes whose prices were assumed (-110/-110, e.g. SBR's NBA totals)
are left out and counted: every method turns them into 0.5, so they cannot tell methods apart.

Walk-forward: choose_methods(quotes, as_of) picks per (league, family) the method with the
lowest log loss over the closes settled before `as_of` only; walk_forward_log_loss scores
following that choice day by day (each day scored with the method chosen before it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from propcast import devig
from propcast.evaluate import EvaluationError, probability_metrics
from propcast.settings import Home
from propcast.warehouse import read_only

BASELINE = "multiplicative"
ALL_BOOKS = "all"
#: Fewest settled closes (over every book) a (league, family) needs before a method is chosen.
MIN_LINES_TO_CHOOSE = 100
#: Log-loss differences smaller than this are ties (identical methods differ by rounding).
TIE = 1e-12
QUOTE_COLUMNS = [
    "league", "market_family", "book", "game_date", "line",
    "over_implied_prob", "under_implied_prob", "prices_assumed", "went_over",
]  # fmt: skip

TOTALS_SQL = """
select odds.league, 'game_total' as market_family, odds.book, odds.game_date, odds.line,
       odds.over_implied_prob, odds.under_implied_prob, odds.prices_assumed,
       case when results.total_score > odds.line then 1 else 0 end as went_over
from main.fct_game_total_odds as odds
inner join main.int_game_results as results on odds.game_id = results.game_id
where odds.line_type = 'close' and results.is_final and results.total_score <> odds.line
  and odds.game_date between ? and ?
"""
VENDOR_PROPS_SQL = """
with settled as (
    select distinct game_id, player_id, market, line, league, market_family, went_over
    from main.fct_line_settlements
    where result in ('over', 'under') and market <> 'game_total'
),
-- each book's closing snapshot, its main line picked as int_prop_odds_opening_closing does
closing_quotes as (
    select quotes.*, row_number() over (
        partition by quotes.game_id, quotes.player_id, quotes.market, quotes.book_id
        order by abs(quotes.over_implied_prob - quotes.under_implied_prob), quotes.line,
            quotes.vendor
    ) as line_rank
    from main.int_prop_odds_devigged as quotes
    inner join main.int_prop_odds_opening_closing as closes
        on quotes.game_id = closes.game_id and quotes.player_id = closes.player_id
        and quotes.market = closes.market and quotes.book_id = closes.book_id
        and quotes.fetched_at = closes.closing_fetched_at
    where closes.is_closing_final and quotes.is_two_sided
        and quotes.game_date between ? and ?
)
select settled.league, settled.market_family, closes.book_id as book, closes.game_date,
       closes.line, closes.over_implied_prob, closes.under_implied_prob,
       false as prices_assumed, settled.went_over
from closing_quotes as closes
inner join settled
    on closes.game_id = settled.game_id and closes.player_id = settled.player_id
    and closes.market = settled.market and closes.line = settled.line
where closes.line_rank = 1
"""
IMPORTED_PROPS_SQL = """
with ranked as (
    select *, row_number() over (
        partition by league, game_date, player_name_key, market, book
        order by quoted_at desc nulls last, line
    ) as latest
    from main.stg_imports__prop_odds
    where player_name_key is not null and actual_value is not null
)
select upper(league) as league, market as market_family, book, game_date, line,
       over_implied_prob, under_implied_prob, prices_assumed,
       case when actual_value > line then 1 else 0 end as went_over
from ranked
where latest = 1 and actual_value <> line and game_date between ? and ?
"""


@dataclass
class DevigEvaluation:
    """Every method's scores: one table row per league x family x book x method."""

    start: date
    end: date
    table: pd.DataFrame
    best: pd.DataFrame  # one row per (league, family): best method, its margin, walk-forward
    settled_quotes: int
    assumed_quotes: int
    notes: list[str] = field(default_factory=list)
    quotes: pd.DataFrame = field(default_factory=pd.DataFrame)  # the scored closes

    @property
    def is_empty(self) -> bool:
        return self.settled_quotes == 0

    def as_dict(self) -> dict:
        def records(frame: pd.DataFrame) -> list[dict]:
            return frame.astype(object).where(frame.notna(), None).to_dict("records")

        return {
            "start_date": str(self.start),
            "end_date": str(self.end),
            "methods": list(devig.METHODS),
            "settled_quotes": self.settled_quotes,
            "assumed_price_quotes": self.assumed_quotes,
            "notes": self.notes,
            "best": records(self.best),
            "rows": records(self.table),
        }


def load_closing_quotes(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    """The settled closing quotes of [start, end] from every place the warehouse has them."""
    frames = []
    for sql in (TOTALS_SQL, VENDOR_PROPS_SQL, IMPORTED_PROPS_SQL):
        try:
            frame = con.execute(sql, [start, end]).df()
        except duckdb.CatalogException:
            continue  # that part of the warehouse is not built (an import-only home, say)
        frames.append(frame[QUOTE_COLUMNS])
    if not frames:
        return pd.DataFrame(columns=QUOTE_COLUMNS)
    quotes = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    quotes["game_date"] = pd.to_datetime(quotes["game_date"]).dt.date
    quotes["league"] = quotes["league"].str.upper()
    return quotes.dropna(subset=["over_implied_prob", "under_implied_prob", "went_over"])


def with_fair_probabilities(quotes: pd.DataFrame) -> pd.DataFrame:
    """`quotes` plus one column per method: its fair P(over)."""
    quotes = quotes.copy()
    for method in devig.METHODS:
        fair = devig.fair_prob_over(
            method, quotes["over_implied_prob"], quotes["under_implied_prob"]
        )
        # Rounded to 1e-12 so that methods equal on two-way markets (shin and additive, say)
        # fall in the same calibration bins instead of differing by the last float bit.
        quotes[method] = np.round(fair, 12)
    return quotes


def line_log_losses(quotes: pd.DataFrame) -> pd.DataFrame:
    """Per quote and method, the log loss of the fair P(over) against the result."""
    if BASELINE not in quotes:
        quotes = with_fair_probabilities(quotes)
    y = quotes["went_over"].to_numpy(dtype=float)
    losses = {}
    for method in devig.METHODS:
        p = np.clip(quotes[method].to_numpy(dtype=float), 1e-15, 1 - 1e-15)
        losses[method] = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return pd.DataFrame(losses, index=quotes.index)


def method_rows(league: str, family: str, book: str, group: pd.DataFrame) -> list[dict]:
    """One row per method for one (league, family, book) group of scored quotes."""
    y = group["went_over"].to_numpy(dtype=int)
    losses = line_log_losses(group)
    baseline = losses[BASELINE]
    rows = []
    for method in devig.METHODS:
        row = {"league": league, "market_family": family, "book": book, "method": method}
        row["n_lines"] = len(group)
        row.update(probability_metrics(y, group[method].to_numpy(dtype=float)))
        gain = baseline - losses[method]  # > 0: the method is better than multiplicative
        row["margin_vs_multiplicative"] = float(gain.mean())
        spread = float(gain.std(ddof=1)) if len(gain) > 1 else np.nan
        row["margin_ci95"] = 1.96 * spread / np.sqrt(len(gain)) if len(gain) > 1 else np.nan
        rows.append(row)
    return rows


def best_method(rows: pd.DataFrame) -> str:
    """The method of lowest log loss among `rows` (one per method); ties go to the earlier
    method of devig.METHODS, so a market where methods agree keeps multiplicative."""
    ordered = rows.set_index("method").loc[list(devig.METHODS), "log_loss"]
    lowest = ordered.min()
    return next(m for m, loss in ordered.items() if loss <= lowest + TIE)


def choose_methods(quotes: pd.DataFrame, as_of: date) -> dict[tuple[str, str], dict]:
    """Per (league, family) with at least MIN_LINES_TO_CHOOSE closes settled before `as_of`:
    the method of lowest log loss on them, with its evidence (n, every method's log loss)."""
    before = quotes[quotes["game_date"] < as_of]
    chosen = {}
    for (league, family), group in before.groupby(["league", "market_family"], sort=True):
        if len(group) < MIN_LINES_TO_CHOOSE:
            continue
        means = line_log_losses(group).mean()
        rows = pd.DataFrame({"method": means.index, "log_loss": means.to_numpy()})
        method = best_method(rows)
        chosen[(league, family)] = {
            "method": method,
            "n_lines": len(group),
            "first_date": min(group["game_date"]),
            "last_date": max(group["game_date"]),
            "log_losses": {m: float(v) for m, v in means.items()},
        }
    return chosen


def walk_forward_log_loss(quotes: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """Per (league, family): the log loss of following the walk-forward choice (each day's
    closes scored by the method chosen from the days before it; multiplicative until enough
    are settled), over the days that had a choice, with multiplicative's on the same days."""
    out: dict[tuple[str, str], dict] = {}
    losses = line_log_losses(quotes)
    for (league, family), group in quotes.groupby(["league", "market_family"], sort=True):
        # per day: each method's summed log loss and the closes; "before" sums run up to it
        daily = losses.loc[group.index].groupby(group["game_date"].to_numpy()).sum()
        daily_n = group.groupby("game_date").size().reindex(daily.index)
        before = daily.cumsum().shift(fill_value=0.0)
        before_n = daily_n.cumsum().shift(fill_value=0)
        followed = baseline = 0.0
        n, method = 0, None
        for day in daily.index[before_n.to_numpy() >= MIN_LINES_TO_CHOOSE]:
            means = before.loc[day] / before_n.loc[day]
            method = best_method(pd.DataFrame({"method": means.index, "log_loss": means.values}))
            followed += daily.loc[day, method]
            baseline += daily.loc[day, BASELINE]
            n += int(daily_n.loc[day])
        if n:
            out[(league, family)] = {
                "walk_forward_n": n,
                "walk_forward_log_loss": followed / n,
                "walk_forward_multiplicative_log_loss": baseline / n,
                "walk_forward_last_method": method,
            }
    return out


def evaluate_quotes(quotes: pd.DataFrame, start: date, end: date) -> DevigEvaluation:
    """The de-vig evaluation of settled closing `quotes` (load_closing_quotes)."""
    assumed = quotes["prices_assumed"].fillna(False).astype(bool)
    notes = []
    for (league, family), group in quotes[assumed].groupby(["league", "market_family"]):
        notes.append(
            f"{league} {family}: {len(group)} closes with assumed -110/-110 prices left out "
            "(every method gives them 0.5)"
        )
    scored = with_fair_probabilities(quotes[~assumed].reset_index(drop=True))
    rows = []
    for (league, family), group in scored.groupby(["league", "market_family"], sort=True):
        rows.extend(method_rows(league, family, ALL_BOOKS, group))
        for book, by_book in group.groupby("book", sort=True):
            rows.extend(method_rows(league, family, str(book), by_book))
    table = pd.DataFrame(rows, columns=table_columns())
    best = best_table(table, walk_forward_log_loss(scored))
    return DevigEvaluation(
        start, end, table, best, len(scored), int(assumed.sum()), notes, quotes=scored
    )


def table_columns() -> list[str]:
    return [
        "league", "market_family", "book", "method", "n_lines", "log_loss", "brier", "ece",
        "hit_rate", "margin_vs_multiplicative", "margin_ci95",
    ]  # fmt: skip


def best_table(table: pd.DataFrame, walk_forward: dict[tuple[str, str], dict]) -> pd.DataFrame:
    """One row per (league, family): the best method over every book, its margin over
    multiplicative (with the 95 % interval), the methods it ties with, and the walk-forward."""
    rows = []
    pooled = table[table["book"] == ALL_BOOKS]
    for (league, family), group in pooled.groupby(["league", "market_family"], sort=True):
        method = best_method(group)
        by_method = group.set_index("method")
        winner = by_method.loc[method]
        gaps = (by_method["log_loss"] - winner["log_loss"]).abs()
        ties = [m for m in devig.METHODS if m != method and gaps[m] <= TIE]
        rows.append({
            "league": league, "market_family": family, "best_method": method,
            "ties_with": ",".join(ties), "n_lines": int(winner["n_lines"]),
            "log_loss": winner["log_loss"],
            "multiplicative_log_loss": by_method.loc[BASELINE, "log_loss"],
            "margin_vs_multiplicative": winner["margin_vs_multiplicative"],
            "margin_ci95": winner["margin_ci95"],
            **walk_forward.get((league, family), {}),
        })  # fmt: skip
    return pd.DataFrame(rows)


def evaluate_devig(
    home: Home, start: date | None, end: date | None, through: date
) -> DevigEvaluation:
    """Score every method on the settled closes of [start, end] (defaults: every settled
    close up to `through`), reading the home's warehouse read-only."""
    first = start or date(1900, 1, 1)
    last = end or through
    with read_only(
        home,
        EvaluationError,
        command="propcast evaluate --devig",
        first_build="propcast demo  (or propcast import totals --format sbr FILE.xlsx)",
        needs="the closing quotes (int_prop_odds_opening_closing, int_game_total_quotes)",
    ) as con:
        quotes = load_closing_quotes(con, first, last)
    if len(quotes):
        start = start or min(quotes["game_date"])
        last = end or max(quotes["game_date"])
    start = start or last
    return evaluate_quotes(quotes, start, max(last, start))


def save(home: Home, result: DevigEvaluation) -> tuple[Path, Path]:
    """The table as CSV (one row per league x family x book x method) and all of it as JSON."""
    folder = home.outputs / "evaluation"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"devig_{result.start}_{result.end}"
    csv_path, json_path = stem.with_suffix(".csv"), stem.with_suffix(".json")
    result.table.to_csv(csv_path, index=False, float_format="%.8f")
    json_path.write_text(json.dumps(result.as_dict(), indent=2, default=str) + "\n")
    return csv_path, json_path
