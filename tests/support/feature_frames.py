"""fct_game_total_features-shaped frames built in Python from generated seasons.

The unit tests of the predictor and the backtest run on these frames (no warehouse, no dbt);
the columns and their as-of rule follow docs/imports.md (propcast.totals_frames: a game's
features use only games strictly before its date).
"""

from __future__ import annotations

import pandas as pd

from propcast.totals import devig_prob_over
from propcast.totals_frames import settle, with_team_features
from tests.support.history_files import simulate_season


def feature_frame(season: pd.DataFrame) -> pd.DataFrame:
    """One row per game with the contract's columns (from `simulate_season` output)."""
    out = with_team_features(season)
    line = out["total_line"].to_numpy(dtype=float)
    out = out.assign(
        game_id=[f"{lg}-{d:%Y%m%d}-{h}-{a}" for lg, d, h, a in
                 zip(out["league"], out["game_date"], out["home"], out["away"], strict=True)],
        market="game_total", line=line, line_move=line - out["open_line"].to_numpy(),
        market_prob_over=devig_prob_over(out["over_price"], out["under_price"]),
    )  # fmt: skip
    return settle(out)


def season_frame(league: str, seed: int, *, days: int = 150, **kwargs) -> pd.DataFrame:
    """A generated season as a features frame."""
    return feature_frame(simulate_season(league, seed, days=days, **kwargs))
