"""fct_game_total_features' as-of team columns computed in pandas, the dbt models' twin
(int_team_game_scoring_asof: a game's features use only the games strictly before its date),
for the quality bench and the predictor's unit tests, which run without a warehouse.
docs/imports.md has the column contract."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

#: Per team side: the columns fct_game_total_features carries as home_<c> and away_<c>.
TEAM_COLUMNS = ("pts_for_avg_5", "pts_for_avg_10", "pts_against_avg_5", "pts_against_avg_10",
                "total_avg_10", "games_before", "rest_days", "b2b")  # fmt: skip


def team_history(games: pd.DataFrame) -> pd.DataFrame:
    """One row per team and game (`games`: game_date as dates, home, away, home_score,
    away_score, row) with the team's as-of scoring: its previous 5/10 games' points for and
    against, the mean total of its previous 10, games before, rest days and back-to-back."""
    home = games.assign(team=games["home"], pts_for=games["home_score"],
                        pts_against=games["away_score"], side="home")  # fmt: skip
    away = games.assign(team=games["away"], pts_for=games["away_score"],
                        pts_against=games["home_score"], side="away")  # fmt: skip
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


def with_team_features(games: pd.DataFrame) -> pd.DataFrame:
    """`games` (one row per game: game_date as dates, home, away, home_score, away_score) with
    home_<c> and away_<c> for every TEAM_COLUMNS and league_total_avg_30d (the mean total of
    the games in the 30 days before the date)."""
    games = games.reset_index(drop=True).assign(row=lambda f: np.arange(len(f)))
    long = team_history(games)
    out = games.copy()
    for side in ("home", "away"):
        part = long[long["side"] == side].set_index("row")[list(TEAM_COLUMNS)]
        for column in TEAM_COLUMNS:
            out[f"{side}_{column}"] = part[column].reindex(out["row"]).to_numpy()
    totals = (games["home_score"] + games["away_score"]).to_numpy(dtype=float)
    dates = games["game_date"].to_numpy()
    out["league_total_avg_30d"] = [_window_mean(totals, dates, d) for d in games["game_date"]]
    return out.drop(columns="row")


def _window_mean(totals: np.ndarray, dates: np.ndarray, day: date) -> float:
    mask = (dates < day) & (dates >= day - timedelta(days=30))
    return float(totals[mask].mean()) if mask.any() else np.nan


def settle(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (home_score, away_score, line) with actual_total, is_push and went_over."""
    actual = (frame["home_score"] + frame["away_score"]).to_numpy(dtype=float)
    line = frame["line"].to_numpy(dtype=float)
    return frame.assign(
        actual_total=actual, is_push=actual == line,
        went_over=np.where(actual == line, np.nan, (actual > line).astype(float)),
    )  # fmt: skip
