"""Monte Carlo of a staking policy over a period's recommended bets (`propcast simulate`).

The bets are fct_bet_recommendations' recommended rows of [start, end], one slate per game
date, with their settlement (fct_bet_settlements). A policy (`POLICIES`) turns each slate into
stake fractions with the caps of dbt_project.yml (propcast.staking):

- kelly: independent fractional Kelly (fct_bet_recommendations.stake_fraction, reproduced);
- joint-kelly: joint Kelly of the slate (propcast.staking.joint_kelly);
- flat: every bet the per-bet cap, scaled down by the game and day caps.

Stakes are fractions of the bankroll at the start of the slate's day (compounding): a day moves
the bankroll by the factor 1 + Σ f_i r_i, r_i = price - 1 won, -1 lost, 0 push or void. The
simulation draws each day's outcomes `runs` times from a Gaussian copula (the correlation model
of propcast.staking, estimated on the settled lines before `start`) with the model's side
probabilities (`side_prob`, what the stakes were sized with) and, on the demo world, with the
truth (the world's exact P(over), read here as `propcast evaluate` reads it: no model does).
Each draw is a win or a loss (no pushes). Reported per source: the final bankroll's 5th, 50th
and 95th percentiles, the max drawdown's (the largest fall from a running peak of the day-end
bankroll, as a share of that peak) and the risk of ruin: the share of runs whose day-end
bankroll falls below `RUIN_SHARE` (50 %) of the starting one at least once. Beside them, what
actually happened: the same stakes settled on the real results (pending bets return 0 and are
counted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import yaml
from threadpoolctl import threadpool_limits

from propcast.correlations import (
    MIN_PAIRS,
    correlation_lookup,
    outcome_correlations,
    slate_correlation,
)
from propcast.evaluate import KEYS, read_truth
from propcast.settings import PROJECT_DIR, Home
from propcast.staking import (
    DEFAULT_SCENARIOS,
    DEFAULT_SEED,
    Caps,
    flat_stakes,
    independent_kelly,
    joint_kelly,
    unit_returns,
    win_scenarios,
)
from propcast.staking_setting import with_subject_id
from propcast.warehouse import read_only

POLICIES = ("kelly", "joint-kelly", "flat")
#: Ruin: the day-end bankroll below this share of the starting one, at least once.
RUIN_SHARE = 0.5
QUANTILES = {"p05": 0.05, "p50": 0.50, "p95": 0.95}

BETS_SQL = """
select r.game_date, r.game_id, r.player_id, r.market, r.line, r.side, r.side_prob,
       r.price_decimal, r.stake_fraction, coalesce(f.league, r.league) as league, f.team_id,
       coalesce(s.result, 'pending') as result
from main.fct_bet_recommendations as r
left join main.fct_prop_line_features as f
    on r.game_id = f.game_id and r.player_id = f.player_id and r.market = f.market
    and r.line = f.line
left join main.fct_bet_settlements as s
    on r.game_id = s.game_id and r.player_id is not distinct from s.player_id  -- null: a total
    and r.market = s.market and r.line = s.line and r.side = s.side
where r.is_recommended and r.game_date between ? and ?
order by r.game_date, r.game_id, r.player_id, r.market, r.line
"""
RECOMMENDED_DATES_SQL = """
select game_date, count(*) from main.fct_bet_recommendations
where is_recommended group by game_date order by game_date
"""
#: Settled prop lines (every offered line with a final result, not only the predicted ones).
HISTORY_SQL = """
select game_date, league, game_id, player_id, market, line, team_id,
       stat_value as actual_value
from main.fct_prop_line_features
where is_game_final and player_played and stat_value is not null and game_date < ?
"""


class SimulationError(RuntimeError):
    """The period cannot be simulated; `recover` is the command that fixes it."""

    def __init__(self, message: str, recover: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.recover = recover
        self.exit_code = exit_code


@dataclass
class Simulation:
    start: date
    end: date
    staking: str
    runs: int
    seed: int
    bankroll: float
    n_bets: int
    days: int
    sources: dict[str, dict[str, Any]]  # "model" (and "truth"): distribution of outcomes
    actual: dict[str, Any]
    correlations: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        model = self.sources["model"]
        return {
            "start_date": str(self.start),
            "end_date": str(self.end),
            "staking": self.staking,
            "runs": self.runs,
            "seed": self.seed,
            "bankroll": self.bankroll,
            "n_bets": self.n_bets,
            "days": self.days,
            "ruin_below": RUIN_SHARE * self.bankroll,
            "final_bankroll": model["final_bankroll"],
            "max_drawdown": model["max_drawdown"],
            "risk_of_ruin": model["risk_of_ruin"],
            "truth": self.sources.get("truth"),
            "actual": self.actual,
            "correlations": self.correlations.astype(object)
            .where(self.correlations.notna(), None)
            .to_dict("records"),
            "notes": self.notes,
        }


def project_caps(project_dir: Path = PROJECT_DIR) -> Caps:
    """The fractional multiplier and the caps as dbt_project.yml sets them."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    vars_ = config.get("vars", {})
    return Caps(
        kelly_fraction=float(vars_["kelly_fraction"]),
        max_bet_fraction=float(vars_["max_bet_fraction"]),
        max_game_fraction=float(vars_["max_game_fraction"]),
        max_daily_fraction=float(vars_["max_daily_fraction"]),
    )


def policy_stakes(
    slate: pd.DataFrame,
    staking: str,
    caps: Caps,
    lookup: dict[tuple[str, str], float],
    scenarios: int = DEFAULT_SCENARIOS,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """One slate's stake fractions under a policy (POLICIES)."""
    prob = slate["side_prob"].to_numpy(float)
    price = slate["price_decimal"].to_numpy(float)
    game = slate["game_id"].astype(str).to_numpy()
    if staking == "kelly":
        return independent_kelly(prob, price, game, caps)
    if staking == "flat":
        return flat_stakes(game, caps)
    if staking == "joint-kelly":
        corr = slate_correlation(slate, lookup)
        return joint_kelly(prob, price, game, corr, caps, scenarios, seed).stakes
    raise ValueError(f"unknown staking {staking!r}: one of {', '.join(POLICIES)}")


def settled_return(result: pd.Series, price: pd.Series) -> np.ndarray:
    """Return per unit staked of settled bets: price - 1 won, -1 lost, 0 otherwise."""
    won = result.eq("won").to_numpy()
    lost = result.eq("lost").to_numpy()
    return np.where(won, price.to_numpy(float) - 1.0, np.where(lost, -1.0, 0.0))


def path_statistics(day_factors: np.ndarray, bankroll: float) -> dict[str, Any]:
    """Distribution over runs of day-end bankroll paths: day_factors is runs x days of
    1 + Σ f r (each day's growth factor)."""
    factors = np.atleast_2d(day_factors)
    wealth = bankroll * np.cumprod(np.maximum(factors, 0.0), axis=1)
    with_start = np.concatenate([np.full((len(wealth), 1), bankroll), wealth], axis=1)
    peaks = np.maximum.accumulate(with_start, axis=1)
    drawdown = (1.0 - with_start / peaks).max(axis=1)
    final = with_start[:, -1]
    ruined = (with_start < RUIN_SHARE * bankroll).any(axis=1)
    with np.errstate(divide="ignore"):
        growth = np.log(final / bankroll)
    return {
        "final_bankroll": _quantiles(final, 2),
        "max_drawdown": _quantiles(drawdown, 4),
        "risk_of_ruin": float(ruined.mean()),
        "log_growth_mean": float(growth.mean()) if np.isfinite(growth).all() else float("-inf"),
        "final_bankroll_mean": round(float(final.mean()), 2),
    }


def _quantiles(values: np.ndarray, digits: int) -> dict[str, float]:
    return {k: round(float(np.quantile(values, q)), digits) for k, q in QUANTILES.items()}


def simulate_frames(
    bets: pd.DataFrame,
    correlations: pd.DataFrame,
    staking: str,
    caps: Caps,
    bankroll: float,
    runs: int,
    seed: int,
    start: date,
    end: date,
    scenarios: int = DEFAULT_SCENARIOS,
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """The simulation of `bets` (BETS_SQL's columns, plus prob_truth when the world's truth is
    known) under a policy; pure: no warehouse."""
    lookup = correlation_lookup(correlations)
    rng = np.random.default_rng(seed)
    has_truth = "prob_truth" in bets and bets["prob_truth"].notna().all() and len(bets) > 0
    sources = ["model", "truth"] if has_truth else ["model"]
    days = sorted(bets["game_date"].unique())
    factors = {s: np.ones((runs, len(days))) for s in sources}
    actual_factor = np.ones(len(days))
    stakes_all = np.zeros(len(bets))
    positions = np.arange(len(bets))
    for d, day in enumerate(days):
        mask = (bets["game_date"] == day).to_numpy()
        slate = bets[mask]
        stakes = policy_stakes(slate, staking, caps, lookup, scenarios, seed)
        stakes_all[positions[mask]] = stakes
        corr = slate_correlation(slate, lookup)
        price = slate["price_decimal"].to_numpy(float)
        for source in sources:
            column = "side_prob" if source == "model" else "prob_truth"
            with threadpool_limits(1):
                wins = win_scenarios(
                    slate[column].to_numpy(float), corr, runs, rng, exact_marginals=False
                )
            factors[source][:, d] = 1.0 + unit_returns(wins, price) @ stakes
        actual_factor[d] = 1.0 + settled_return(slate["result"], slate["price_decimal"]) @ stakes
        if progress is not None:
            progress(d + 1, len(days))
    out = {s: path_statistics(factors[s], bankroll) for s in sources}
    actual = _actual(bets, stakes_all, actual_factor, bankroll)
    notes = []
    if not has_truth:
        notes.append("no demo-world truth in this home: simulated with the model's probabilities")
    return Simulation(
        start, end, staking, runs, seed, bankroll, len(bets), len(days), out, actual,
        correlations, notes,
    )  # fmt: skip


def _actual(
    bets: pd.DataFrame, stakes: np.ndarray, factors: np.ndarray, bankroll: float
) -> dict[str, Any]:
    stats = path_statistics(factors[None, :], bankroll) if len(factors) else None
    final = stats["final_bankroll"]["p50"] if stats else bankroll
    return {
        "final_bankroll": final,
        "max_drawdown": stats["max_drawdown"]["p50"] if stats else 0.0,
        "ruined": bool(stats["risk_of_ruin"] > 0) if stats else False,
        "log_growth": float(np.log(final / bankroll)) if final > 0 else float("-inf"),
        "n_settled": int(bets["result"].isin(["won", "lost", "push"]).sum()),
        "n_won": int(bets["result"].eq("won").sum()),
        "n_lost": int(bets["result"].eq("lost").sum()),
        "n_pending": int(bets["result"].eq("pending").sum()),
        "staked_fraction_mean_per_day": round(float(stakes.sum() / max(len(factors), 1)), 6),
    }


# --- the warehouse ------------------------------------------------------------------------


def load_bets(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    return con.execute(BETS_SQL, [start, end]).df()


def load_history(con: duckdb.DuckDBPyConnection, before: date) -> pd.DataFrame:
    """Settled prop lines before `before` (the correlation model's data), and settled game
    totals (fct_line_settlements, market game_total) when the warehouse has them."""
    props = con.execute(HISTORY_SQL, [before]).df()
    try:
        totals = con.execute(
            "select game_date, league, game_id, null as player_id, market, line, "
            "null as team_id, actual_value from main.fct_line_settlements "
            "where market = 'game_total' and result in ('over', 'under', 'push') "
            "and game_date < ?",
            [before],
        ).df()
    except duckdb.Error:
        totals = props.iloc[0:0]
    frames = [f for f in (props, totals) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else props


def with_truth(bets: pd.DataFrame, truth: pd.DataFrame | None) -> pd.DataFrame:
    """Each bet with the truth's probability of its side (prob_truth), when known."""
    if truth is None:
        return bets
    merged = with_subject_id(bets).merge(truth, on=KEYS, how="left")
    merged = merged.drop(columns="subject_id")
    p_over = merged["prob_truth"]
    merged["prob_truth"] = p_over.where(merged["side"].eq("over"), 1.0 - p_over)
    return merged


def recommended_dates(con: duckdb.DuckDBPyConnection) -> list[tuple[date, int]]:
    return [
        (pd.Timestamp(d).date(), int(n)) for d, n in con.execute(RECOMMENDED_DATES_SQL).fetchall()
    ]


def simulate(
    home: Home,
    start: date,
    end: date,
    bankroll: float,
    staking: str = "kelly",
    runs: int = 1000,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
    min_pairs: int = MIN_PAIRS,
) -> Simulation:
    """simulate_frames on the home's warehouse (read-only), with the truth when the home is
    a demo world. Raises SimulationError (exit 3 when the period has no recommended bet)."""
    with read_only(
        home,
        SimulationError,
        command="propcast simulate",
        first_build="propcast demo  (or propcast run-day for your own feeds)",
        needs="fct_bet_recommendations and fct_bet_settlements",
    ) as con:
        bets = load_bets(con, start, end)
        if bets.empty:
            dates = recommended_dates(con)
            raise SimulationError(_no_bets_message(start, end, dates), _recover(dates), 3)
        history = load_history(con, start)
    bets["league"] = bets["league"].fillna("")
    correlations = outcome_correlations(history, min_pairs=min_pairs)
    bets = with_truth(bets, read_truth(home))
    result = simulate_frames(
        bets, correlations, staking, project_caps(), bankroll, runs, seed, start, end,
        progress=progress,
    )  # fmt: skip
    if history.empty:
        result.notes.append(f"no settled line before {start}: every correlation is 0")
    return result


def _no_bets_message(start: date, end: date, dates: list[tuple[date, int]]) -> str:
    where = f"no recommended bet between {start} and {end}"
    if not dates:
        return where + "; the warehouse has no recommended bet on any date"
    listed = ", ".join(f"{d} ({n})" for d, n in dates[-10:])
    more = f" (the last 10 of {len(dates)})" if len(dates) > 10 else ""
    return f"{where}; dates with recommended bets{more}: {listed}"


def _recover(dates: list[tuple[date, int]]) -> str:
    if not dates:
        return "propcast run-day  (prices a slate and recommends its bets)"
    return f"propcast simulate --start-date {dates[0][0]} --end-date {dates[-1][0]} --bankroll 1000"
