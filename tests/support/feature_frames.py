"""fct_game_total_features-shaped frames built in Python from generated seasons.

The unit tests of the predictor and the backtest run on these frames (no warehouse, no dbt);
the columns and their as-of rule follow docs/imports.md: a game's features use only games
strictly before its date.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from propcast.totals import devig_prob_over
from tests.support.history_files import simulate_season


def _team_history(season: pd.DataFrame) -> pd.DataFrame:
    home = season.assign(team=season["home"], pts_for=season["home_score"],
                         pts_against=season["away_score"], side="home")  # fmt: skip
    away = season.assign(team=season["away"], pts_for=season["away_score"],
                         pts_against=season["home_score"], side="away")  # fmt: skip
    long = pd.concat([home, away]).sort_values(["team", "game_date", "side"], kind="stable")
    long["total"] = long["pts_for"] + long["pts_against"]
    grouped = long.groupby("team", sort=False)
    for n in (5, 10):
        for col in ("pts_for", "pts_against"):
            long[f"{col}_avg_{n}"] = grouped[col].transform(
                lambda s, n=n: s.shift(1).rolling(n, min_periods=1).mean()
            )
    long["total_avg_10"] = grouped["total"].transform(
        lambda s: s.shift(1).rolling(10, min_periods=1).mean()
    )
    long["games_before"] = grouped.cumcount()
    prev = grouped["game_date"].shift(1)
    long["rest_days"] = [
        (d - p).days if isinstance(p, date) else np.nan
        for d, p in zip(long["game_date"], prev, strict=True)
    ]
    long["b2b"] = (long["rest_days"] == 1).astype(float)
    return long


def feature_frame(season: pd.DataFrame) -> pd.DataFrame:
    """One row per game with the contract's columns (from `simulate_season` output)."""
    season = season.reset_index(drop=True).assign(row=lambda f: np.arange(len(f)))
    long = _team_history(season)
    cols = ["pts_for_avg_5", "pts_for_avg_10", "pts_against_avg_5", "pts_against_avg_10",
            "total_avg_10", "games_before", "rest_days", "b2b"]  # fmt: skip
    out = season.copy()
    for side in ("home", "away"):
        part = long[long["side"] == side].set_index("row")[cols]
        for c in cols:
            name = f"{side}_{c}".replace("pts_for_avg", "pts_for_avg")
            out[name] = part[c].reindex(out["row"]).to_numpy()
    totals = (season["home_score"] + season["away_score"]).to_numpy(dtype=float)
    dates = season["game_date"].to_numpy()
    out["league_total_avg_30d"] = [_window_mean(totals, dates, d) for d in season["game_date"]]
    actual = totals
    line = season["total_line"].to_numpy(dtype=float)
    return out.assign(
        game_id=[f"{lg}-{d:%Y%m%d}-{h}-{a}" for lg, d, h, a in
                 zip(out["league"], out["game_date"], out["home"], out["away"], strict=True)],
        market="game_total", line=line, line_move=line - out["open_line"].to_numpy(),
        market_prob_over=devig_prob_over(out["over_price"], out["under_price"]),
        actual_total=actual, is_push=actual == line,
        went_over=np.where(actual == line, np.nan, (actual > line).astype(float)),
    )  # fmt: skip


def _window_mean(totals: np.ndarray, dates: np.ndarray, day: date) -> float:
    mask = (dates < day) & (dates >= day - timedelta(days=30))
    return float(totals[mask].mean()) if mask.any() else np.nan


def season_frame(league: str, seed: int, *, days: int = 150, **kwargs) -> pd.DataFrame:
    """A generated season as a features frame."""
    return feature_frame(simulate_season(league, seed, days=days, **kwargs))
