"""Evaluation of settled predictions: the model against the de-vigged open and close (and, on
the demo world, the truth), per league and market family, over a range of game dates.

Reads the warehouse's settlement marts (`fct_line_settlements`, `fct_bet_settlements`) and,
when the home holds a demo world, its ground truth `world/truth/prop_truth.csv` and
`game_total_truth.csv`. The truth is
joined here, in Python, and nowhere else: no dbt model reads it (tests check the manifest).

Every source is scored on the same lines: settled over or under, with a model, an opening and
a closing probability (and a true one when the family has truth). Metrics: log loss, Brier,
ECE (10 equal-width probability bins, weighted by lines, as fct_forecast_accuracy_daily) and
hit rate (the side the probability favours won). The model's recommended bets add, per
source, the mean CLV in probability points (P_source(side) - 1 / price taken) and the edge
(price x P_source(side) - 1: the bet's expected return were the source right; for the close
it is fct_bet_settlements.clv_price, for the truth the bets' true expected return); and the
realized ROI at the prices taken, flat (1 unit a bet) and at the recommended stakes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss

from propcast.settings import Home
from propcast.warehouse import read_only

SOURCES = ("model", "devig_open", "devig_close", "truth")
SOURCE_COLUMNS = {
    "model": "prob_model",
    "devig_open": "prob_devig_open",
    "devig_close": "prob_devig_close",
    "truth": "prob_truth",
}
#: The table's metric rows, in order, with how they print.
METRICS = (
    ("log_loss", "log loss", ".4f"),
    ("brier", "Brier", ".4f"),
    ("ece", "ECE (10 bins)", ".4f"),
    ("hit_rate", "hit rate", ".3f"),
    ("clv_prob", "bets: CLV (prob)", "+.4f"),
    ("edge", "bets: edge", "+.4f"),
    ("roi_flat", "bets: ROI flat", "+.4f"),
    ("roi_staked", "bets: ROI staked", "+.4f"),
)
ECE_BINS = 10
TRUTH_FILE = Path("truth") / "prop_truth.csv"
TOTALS_TRUTH_FILE = Path("truth") / "game_total_truth.csv"
GAME_TOTAL = "game_total"  # fct_line_settlements.market of a game total
KEYS = ["game_id", "subject_id", "market", "line"]

LINES_SQL = """
select game_date, league, market_family, game_id, player_id, subject_id, market, line,
       result, went_over, prob_model, prob_devig_open, prob_devig_close
from main.fct_line_settlements
where game_date between ? and ? and result in ('over', 'under')
"""
BETS_SQL = """
select game_date, league, market_family, game_id, subject_id, market, line, side,
       price_decimal, stake, units_won, profit, side_prob
from main.fct_bet_settlements
where game_date between ? and ? and is_settled
"""
RANGE_SQL = """
select min(game_date), max(game_date), count(*)
from main.fct_line_settlements
where result in ('over', 'under') and game_date <= ?
"""


class EvaluationError(RuntimeError):
    """The warehouse cannot be evaluated; `recover` is the command that fixes it."""

    def __init__(self, message: str, recover: str) -> None:
        super().__init__(message)
        self.recover = recover


@dataclass
class Evaluation:
    """The evaluation of [start, end]: one frame row per family x source, and the counts."""

    start: date
    end: date
    table: pd.DataFrame  # league, market_family, source, n_lines, n_bets and the METRICS
    settled_lines: int
    compared_lines: int
    has_truth: bool
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.settled_lines == 0

    def as_dict(self) -> dict:
        rows = self.table.astype(object).where(self.table.notna(), None).to_dict("records")
        return {
            "start_date": str(self.start),
            "end_date": str(self.end),
            "settled_lines": self.settled_lines,
            "compared_lines": self.compared_lines,
            "has_truth": self.has_truth,
            "notes": self.notes,
            "rows": rows,
        }


def probability_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Log loss, Brier, ECE (10 equal-width bins) and hit rate of P(over) `p` for outcomes
    `y` (1 over, 0 under); NaN for each when there is no line."""
    if len(y) == 0:
        return {"log_loss": np.nan, "brier": np.nan, "ece": np.nan, "hit_rate": np.nan}
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    y = np.asarray(y, dtype=int)
    return {
        "log_loss": float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "brier": float(brier_score_loss(y, p, pos_label=1)),
        "ece": expected_calibration_error(y, p),
        "hit_rate": float(np.mean((p >= 0.5) == (y == 1))),
    }


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Sum over equal-width bins of (lines in bin / lines) x |mean p - share over|; the last
    bin holds p = 1 (as fct_forecast_accuracy_daily: least(floor(p * 10), 9))."""
    index = np.minimum(np.floor(p * bins).astype(int), bins - 1)
    counts = np.bincount(index, minlength=bins)
    sum_p = np.bincount(index, weights=p, minlength=bins)
    sum_y = np.bincount(index, weights=y, minlength=bins)
    filled = counts > 0
    gaps = np.abs(sum_p[filled] - sum_y[filled])  # = n_bin x |mean p - mean y|
    return float(gaps.sum() / counts.sum())


def world_folders(home: Home) -> list[Path]:
    """The demo's world folders: home.world, and the folder of each further league a
    two-league demo generated in it (home.world/<league>: its truth; propcast.demo)."""
    return [home.world, *sorted(p.parent for p in home.world.glob("*/truth") if p.is_dir())]


def read_truth(home: Home) -> pd.DataFrame | None:
    """The demo world's exact P(over) per offered line, props and game totals, keyed like
    fct_line_settlements (a game total's subject is its game); None when the home has no demo
    world."""
    frames = []
    for world in world_folders(home):
        props = world / TRUTH_FILE
        if props.exists():
            frames.append(
                pd.read_csv(
                    props,
                    usecols=["game_id", "player_id", "market", "line", "true_p_over"],
                    dtype={"game_id": str, "player_id": str, "market": str},
                ).rename(columns={"player_id": "subject_id"})
            )
        totals = world / TOTALS_TRUTH_FILE
        if totals.exists():
            games = pd.read_csv(
                totals, usecols=["game_id", "line", "true_p_over"], dtype={"game_id": str}
            )
            frames.append(games.assign(subject_id=games["game_id"], market=GAME_TOTAL))
    if not frames:
        return None
    truth = pd.concat(frames, ignore_index=True).rename(columns={"true_p_over": "prob_truth"})
    return truth[[*KEYS, "prob_truth"]].drop_duplicates(KEYS, keep="last")


def settled_range(con: duckdb.DuckDBPyConnection, through: date) -> tuple[date, date, int] | None:
    """First and last game_date with a settled line up to `through`, and the line count."""
    first, last, count = con.execute(RANGE_SQL, [through]).fetchone()
    return None if not count else (_as_date(first), _as_date(last), int(count))


def _as_date(value: object) -> date:
    return pd.Timestamp(value).date()


def load_settled(
    con: duckdb.DuckDBPyConnection, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(settled over/under lines, settled recommended bets) of [start, end]."""
    lines = con.execute(LINES_SQL, [start, end]).df()
    bets = con.execute(BETS_SQL, [start, end]).df()
    return lines, bets


def evaluate_frames(
    lines: pd.DataFrame,
    bets: pd.DataFrame,
    truth: pd.DataFrame | None,
    start: date,
    end: date,
) -> Evaluation:
    """The evaluation table of settled `lines` and `bets` (load_settled), with `truth` when
    given: one row per (league, market_family, source)."""
    lines = _with_truth(lines, truth)
    bets = _bets_with_probabilities(bets, lines)
    rows, compared, notes = [], 0, []
    for (league, family), group in lines.groupby(["league", "market_family"], sort=True):
        sources = [s for s in SOURCES if group[SOURCE_COLUMNS[s]].notna().any()]
        common = group.dropna(subset=[SOURCE_COLUMNS[s] for s in sources])
        compared += len(common)
        if len(common) < len(group):
            notes.append(
                f"{league} {family}: {len(common)} of {len(group)} settled lines have every "
                f"source ({', '.join(sources)}); the rest lack an open or close on that line"
            )
        family_bets = bets[(bets["league"] == league) & (bets["market_family"] == family)]
        for source in SOURCES:
            rows.append(_source_row(league, family, source, source in sources, common, family_bets))
    table = pd.DataFrame(rows, columns=_table_columns())
    has_truth = bool(truth is not None and lines["prob_truth"].notna().any())
    return Evaluation(start, end, table, len(lines), compared, has_truth, notes)


def _table_columns() -> list[str]:
    return ["league", "market_family", "source", "n_lines", "n_bets", *[m for m, _, _ in METRICS]]


def _with_truth(lines: pd.DataFrame, truth: pd.DataFrame | None) -> pd.DataFrame:
    lines = lines.copy()
    if truth is None or lines.empty:
        lines["prob_truth"] = np.nan
        return lines
    return lines.merge(truth, on=KEYS, how="left")


def _bets_with_probabilities(bets: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Each settled bet with every source's probability of its side."""
    probs = lines[[*KEYS, *SOURCE_COLUMNS.values()]]
    bets = bets.merge(probs, on=KEYS, how="left")
    over = bets["side"].eq("over")
    for source, column in SOURCE_COLUMNS.items():
        p_over = bets[column]
        bets[f"side_{source}"] = p_over.where(over, 1.0 - p_over)
    return bets


def _source_row(
    league: str,
    family: str,
    source: str,
    present: bool,
    common: pd.DataFrame,
    bets: pd.DataFrame,
) -> dict:
    row: dict = {"league": league, "market_family": family, "source": source}
    row["n_lines"] = len(common) if present else 0
    if present:
        y, p = common["went_over"].to_numpy(), common[SOURCE_COLUMNS[source]].to_numpy()
        row.update(probability_metrics(y, p))
    side = bets[f"side_{source}"].dropna() if len(bets) else pd.Series(dtype=float)
    price = bets.loc[side.index, "price_decimal"] if len(side) else side
    row["n_bets"] = len(side)
    row["clv_prob"] = float((side - 1.0 / price).mean()) if len(side) else np.nan
    row["edge"] = float((price * side - 1.0).mean()) if len(side) else np.nan
    realized = source == "model" and len(bets) > 0
    row["roi_flat"] = float(bets["units_won"].mean()) if realized else np.nan
    stake = bets["stake"].sum() if realized else 0.0
    row["roi_staked"] = float(bets["profit"].sum() / stake) if stake > 0 else np.nan
    return row


def evaluate(home: Home, start: date | None, end: date | None, through: date) -> Evaluation:
    """Evaluate [start, end] (defaults: the settled range up to `through`) from the home's
    warehouse, read-only. Raises EvaluationError with the recovering command."""
    with read_only(
        home,
        EvaluationError,
        command="propcast evaluate",
        first_build="propcast demo  (or propcast run-day for your own feeds)",
        needs="fct_line_settlements and fct_bet_settlements",
    ) as con:
        return evaluate_connection(con, home, start, end, through)


def evaluate_connection(
    con: duckdb.DuckDBPyConnection,
    home: Home,
    start: date | None,
    end: date | None,
    through: date,
) -> Evaluation:
    """evaluate() on an open connection (the daily report's)."""
    try:
        span = settled_range(con, through)
        start = start or (span[0] if span else through)
        end = end or max(min(span[1], through) if span else through, start)
        lines, bets = load_settled(con, start, end)
    except duckdb.CatalogException as exc:
        raise EvaluationError(
            f"the warehouse has no settlement marts ({_first_line(exc)})",
            recover="propcast build  (builds fct_line_settlements and fct_bet_settlements)",
        ) from None
    result = evaluate_frames(lines, bets, read_truth(home), start, end)
    if span is None:
        result.notes.append(f"no settled line up to {through}")
    return result


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def output_paths(home: Home, start: date, end: date) -> tuple[Path, Path]:
    folder = home.outputs / "evaluation"
    stem = f"evaluation_{start}_{end}"
    return folder / f"{stem}.csv", folder / f"{stem}.json"


def save(home: Home, result: Evaluation) -> tuple[Path, Path]:
    """Write the table as CSV (one row per family x source) and the whole result as JSON."""
    csv_path, json_path = output_paths(home, result.start, result.end)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(csv_path, index=False, float_format="%.6f")
    json_path.write_text(json.dumps(result.as_dict(), indent=2, default=str) + "\n")
    return csv_path, json_path


def format_value(value: object, spec: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return format(value, spec)


def metric_rows(result: Evaluation) -> list[tuple[str, str, list[str]]]:
    """(family label, metric label, one cell per source) rows, as the CLI and the report
    print them: one block of metric rows per family, the sources side by side."""
    out = []
    for (league, family), group in result.table.groupby(["league", "market_family"], sort=True):
        by_source = group.set_index("source")
        counts = [str(int(by_source.loc[s, "n_lines"])) for s in SOURCES]
        label = f"{league} {family}"
        out.append((label, "lines compared", counts))
        for metric, name, spec in METRICS:
            if metric == "clv_prob":
                bets = [str(int(by_source.loc[s, "n_bets"])) for s in SOURCES]
                out.append((label, "bets settled", bets))
            cells = [format_value(by_source.loc[s, metric], spec) for s in SOURCES]
            out.append((label, name, cells))
    return out


def markdown_table(result: Evaluation) -> str:
    """The evaluation as a Markdown table (the daily report's section)."""
    header = "| family | metric | " + " | ".join(SOURCES) + " |"
    rule = "|---|---|" + "---|" * len(SOURCES)
    body = [f"| {family} | {metric} | " + " | ".join(cells) + " |"
            for family, metric, cells in metric_rows(result)]  # fmt: skip
    return "\n".join([header, rule, *body]) + "\n"
