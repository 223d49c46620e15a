"""The staking marts' logic (models/marts/staking/): fct_outcome_correlations and
fct_bet_stakes read their refs, call these functions and return what they return.

fct_outcome_correlations: propcast.correlations.outcome_correlations over every settled line
the warehouse holds: the offered prop lines with a final result (fct_prop_line_features:
is_game_final, the player played) and the settled game totals (fct_line_settlements, market
game_total).

fct_bet_stakes: per recommended bet of fct_bet_recommendations, the independent stake (the
warehouse's stake_fraction, reproduced by propcast.staking.independent_kelly), the joint Kelly
stake of its slate (computed when the run's staking is joint-kelly: an optimisation per slate,
with the correlations of the lines settled before the slate; null otherwise), the chosen
`stake_fraction` and `stake` = bankroll x stake_fraction, rounded down to the cent as
fct_bet_recommendations rounds its stake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from propcast.correlations import (
    MIN_PAIRS,
    correlation_lookup,
    outcome_correlations,
    pair_sums,
    slate_correlation,
    summarise_pair_sums,
)
from propcast.staking import (
    Caps,
    joint_kelly,
    round_stake_down,
)
from propcast.staking_setting import STAKINGS

SETTLED_PROPS_FILTER = "is_game_final and player_played and stat_value is not null"
PROP_COLUMNS = "game_date, league, game_id, player_id, market, line, team_id, stat_value"
LINE_COLUMNS = [
    "game_date",
    "league",
    "game_id",
    "player_id",
    "market",
    "line",
    "team_id",
    "actual_value",
]
TEAM_COLUMNS = "game_id, player_id, market, line, league, team_id"
STAKE_SCHEMA = pa.schema(
    [
        ("game_date", pa.date32()),
        ("game_id", pa.string()),
        ("player_id", pa.string()),
        ("market", pa.string()),
        ("line", pa.float64()),
        ("side", pa.string()),
        ("league", pa.string()),
        ("team_id", pa.string()),
        ("side_prob", pa.float64()),
        ("price_decimal", pa.float64()),
        ("stake_fraction_independent", pa.float64()),
        ("stake_fraction_joint", pa.float64()),
        ("stake_fraction", pa.float64()),
        ("stake", pa.float64()),
        ("bankroll", pa.float64()),
        ("staking", pa.string()),
        ("joint_solver_message", pa.string()),
    ]
)
CORRELATION_SCHEMA = pa.schema(
    [
        ("league", pa.string()),
        ("relation_type", pa.string()),
        ("n_pairs", pa.int64()),
        ("n_games", pa.int64()),
        ("first_game_date", pa.date32()),
        ("last_game_date", pa.date32()),
        ("residual_correlation", pa.float64()),
        ("over_correlation", pa.float64()),
        ("min_pairs", pa.int64()),
        ("correlation", pa.float64()),
    ]
)


class StakingSettingError(ValueError):
    """var staking (or PROPCAST_STAKING) names no policy."""


def _frame(relation: Any, where: str | None = None, columns: str | None = None) -> pd.DataFrame:
    """A ref as pandas; on DuckDB the engine filters and projects first."""
    if isinstance(relation, duckdb.DuckDBPyRelation):
        if where:
            relation = relation.filter(where)
        if columns:
            relation = relation.project(columns)
        return relation.df()
    from propcast.predictions import to_pandas

    frame = to_pandas(relation)
    if where == SETTLED_PROPS_FILTER:
        frame = frame[
            frame["is_game_final"].fillna(False).astype(bool)
            & frame["player_played"].fillna(False).astype(bool)
            & frame["stat_value"].notna()
        ]
    return frame[[c.strip() for c in columns.split(",")]] if columns else frame


def settled_lines(props: Any, settlements: Any) -> pd.DataFrame:
    """Every settled line: prop lines with a final stat, and settled game totals."""
    lines = _frame(props, SETTLED_PROPS_FILTER, PROP_COLUMNS).rename(
        columns={"stat_value": "actual_value"}
    )
    totals = _frame(settlements)
    totals = totals[
        totals["market"].eq("game_total") & totals["result"].isin(["over", "under", "push"])
    ]
    if len(totals):
        totals = totals.assign(player_id=None, team_id=None)[LINE_COLUMNS]
        lines = pd.concat([lines, totals], ignore_index=True)
    return lines


def correlations_table(props: Any, settlements: Any) -> pa.Table:
    """fct_outcome_correlations' rows."""
    table = outcome_correlations(settled_lines(props, settlements))
    return pa.Table.from_pandas(table, schema=CORRELATION_SCHEMA, preserve_index=False)


def staking_parameters(params: Mapping[str, str]) -> tuple[str, Caps, float]:
    """(staking, caps, bankroll) from int_run_parameters' row."""
    staking = str(params.get("staking", "kelly")).strip()
    if staking not in STAKINGS:
        raise StakingSettingError(
            f"staking is {staking!r} (var staking or PROPCAST_STAKING): use one of "
            f"{', '.join(STAKINGS)}"
        )
    caps = Caps(
        kelly_fraction=float(params["kelly_fraction"]),
        max_bet_fraction=float(params["max_bet_fraction"]),
        max_game_fraction=float(params["max_game_fraction"]),
        max_daily_fraction=float(params["max_daily_fraction"]),
    )
    return staking, caps, float(params["bankroll"])


def bet_stakes(
    bets: pd.DataFrame,
    teams: pd.DataFrame,
    history: pd.DataFrame | None,
    staking: str,
    caps: Caps,
    bankroll: float,
    min_pairs: int = MIN_PAIRS,
) -> pa.Table:
    """fct_bet_stakes' rows for the recommended `bets` (fct_bet_recommendations' columns).
    With joint-kelly, each slate's correlations are estimated on the settled lines of
    `history` (settled_lines) dated before it: no slate's stakes know its own outcomes."""
    # A game total has no player (its player_id is null, matched to no offered prop line) and
    # no team; its league is the recommendation's (rows priced before it had one: the line's).
    bets = bets.merge(
        teams, on=["game_id", "player_id", "market", "line"], how="left", suffixes=("", "_line")
    )
    if "league_line" in bets.columns:
        bets["league"] = bets["league"].fillna(bets.pop("league_line"))
    bets = bets.sort_values(["game_date", "game_id", "player_id", "market", "line"])
    bets = bets.reset_index(drop=True)
    joint = np.full(len(bets), np.nan)
    messages = np.full(len(bets), None, dtype=object)
    if staking == "joint-kelly":
        sums = pair_sums(_settled(history))
        sum_dates = pd.to_datetime(sums["game_date"]).dt.date.to_numpy()
        for day, index in bets.groupby("game_date", sort=True).indices.items():
            slate = bets.iloc[index]
            before = sums[sum_dates < pd.Timestamp(day).date()]
            lookup = correlation_lookup(summarise_pair_sums(before, min_pairs))
            result = joint_kelly(
                slate["side_prob"].to_numpy(float),
                slate["price_decimal"].to_numpy(float),
                slate["game_id"].astype(str).to_numpy(),
                slate_correlation(slate, lookup),
                caps,
            )
            joint[index] = result.stakes
            messages[index] = result.message
    independent = bets["stake_fraction"].to_numpy(float)
    chosen = joint if staking == "joint-kelly" else independent
    out = pd.DataFrame(
        {
            "game_date": pd.to_datetime(bets["game_date"]).dt.date,
            "game_id": bets["game_id"],
            "player_id": bets["player_id"],
            "market": bets["market"],
            "line": bets["line"],
            "side": bets["side"],
            "league": bets.get("league"),
            "team_id": bets.get("team_id"),
            "side_prob": bets["side_prob"],
            "price_decimal": bets["price_decimal"],
            "stake_fraction_independent": independent,
            "stake_fraction_joint": joint,
            "stake_fraction": chosen,
            "stake": round_stake_down(bankroll * chosen, 2),
            "bankroll": float(bankroll),
            "staking": staking,
            "joint_solver_message": messages,
        }
    )
    return pa.Table.from_pandas(out, schema=STAKE_SCHEMA, preserve_index=False)


def _settled(history: pd.DataFrame | None) -> pd.DataFrame:
    if history is None or history.empty:
        return pd.DataFrame(columns=LINE_COLUMNS)
    return history.dropna(subset=["actual_value", "line"]).reset_index(drop=True)


def recommended_in(relation: Any, start: Any | None, end: Any | None) -> pd.DataFrame:
    """fct_bet_recommendations' recommended rows, dated in [start, end] when given."""
    where = "is_recommended" if start is None else f"is_recommended and {_between(start, end)}"
    if isinstance(relation, duckdb.DuckDBPyRelation):
        return relation.filter(where).df()
    from propcast.predictions import to_pandas

    frame = to_pandas(relation)
    frame = frame[frame["is_recommended"].fillna(False).astype(bool)]
    if start is not None:
        dates = pd.to_datetime(frame["game_date"]).dt.date
        frame = frame[(dates >= start) & (dates <= end)]
    return frame


def teams_of(relation: Any, start: Any | None, end: Any | None) -> pd.DataFrame:
    """(game_id, player_id, market, line) -> league, team_id of the offered lines dated in
    [start, end] (every date when start is None)."""
    where = None if start is None else _between(start, end)
    frame = _frame(relation, where, TEAM_COLUMNS + ", game_date")
    if start is not None and not isinstance(relation, duckdb.DuckDBPyRelation):
        dates = pd.to_datetime(frame["game_date"]).dt.date
        frame = frame[(dates >= start) & (dates <= end)]
    return frame.drop(columns="game_date").drop_duplicates(
        ["game_id", "player_id", "market", "line"], keep="last"
    )


def _between(start: Any, end: Any) -> str:
    """A game_date filter of two dates (date objects, never user text)."""
    return f"game_date between date '{start:%Y-%m-%d}' and date '{end:%Y-%m-%d}'"
