"""Synthetic props whose true P(Over) is known, for propcast.models: real LightGBM, no warehouse.

The stated world (`make_world`):
- player i has skill s_i ~ LogNormal(log 14, 0.45) points per game and plays a date w.p. 0.55;
- per player-game: home ~ Bernoulli(0.5), rest_days in {1,2,3,4} (p .25/.45/.2/.1),
  opp_allowed ~ N(0, 1); true mean mu = s_i * exp(0.08 home - 0.12 [rest_days == 1]
  + 0.10 opp_allowed); points ~ NegBin(mean mu, dispersion 6);
- observed features: pts_avg_10 = s_i * exp(N(0, 0.08)) (5 % missing), home, rest_days,
  opp_allowed, line_move = 0.3 log(mu / mu_m) + N(0, 0.05);
- the market believes mu_m = pts_avg_10 * exp(0.04 home + 0.05 opp_allowed + N(0, 0.06)): it
  under-weights context and is noisy; main line floor(mu_m) + 0.5, half the players also get an
  alternate line +-2; market_prob_over = expit(logit(P_mu_m(Over)) + N(0, 0.35)) (de-vigged,
  deliberately noisy), books_quoting ~ 1 + Poisson(1.5). true_p_over = P_mu(points > line)
  exactly.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import nbinom

from propcast.models import (
    TrainConfig,
)

OUTPUTS = ("prob_over", "predicted_mean", "model_version", "train_end")
FEATURES = ["pts_avg_10", "home", "rest_days", "opp_allowed", "line_move"]
START = date(2026, 1, 1)
DISPERSION = 6.0
N_DATES = 100
TRAIN_END = START + timedelta(days=69)  # 70 dates to learn from, 30 later dates held out


def nb_sf(line: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """P(points > line) for NegBin(mean mu, dispersion 6)."""
    return nbinom.sf(np.floor(line), DISPERSION, DISPERSION / (DISPERSION + mu))


def make_world(
    seed: int = 11, n_players: int = 600, n_dates: int = N_DATES, market_noise: float = 0.35
) -> pd.DataFrame:
    """One row per offered line, with `true_p_over`/`true_mean` (which models never see)."""
    rng = np.random.default_rng(seed)
    skill = rng.lognormal(math.log(14.0), 0.45, n_players)
    plays = rng.random((n_dates, n_players)) < 0.55
    day_idx, player = np.nonzero(plays)
    n = day_idx.size
    home = rng.integers(0, 2, n)
    rest = rng.choice([1, 2, 3, 4], n, p=[0.25, 0.45, 0.2, 0.1])
    opp = rng.normal(0.0, 1.0, n)
    mu = skill[player] * np.exp(0.08 * home - 0.12 * (rest == 1) + 0.10 * opp)
    avg = skill[player] * np.exp(rng.normal(0.0, 0.08, n))
    mu_m = avg * np.exp(0.04 * home + 0.05 * opp + rng.normal(0.0, 0.06, n))
    move = 0.3 * np.log(mu / mu_m) + rng.normal(0.0, 0.05, n)
    points = rng.negative_binomial(DISPERSION, DISPERSION / (DISPERSION + mu)).astype(float)
    avg_seen = np.where(rng.random(n) < 0.05, np.nan, avg)
    main = np.floor(mu_m) + 0.5
    alt = rng.random(n) < 0.5
    alt_line = np.maximum(0.5, main + rng.choice([-2.0, 2.0], n))
    # Rows: every main line, plus the alternates.
    idx = np.concatenate([np.arange(n), np.flatnonzero(alt)])
    line = np.concatenate([main, alt_line[alt]])
    p_market = nb_sf(line, mu_m[idx])
    p_market = expit(
        logit(np.clip(p_market, 1e-4, 1 - 1e-4)) + rng.normal(0, market_noise, idx.size)
    )
    dates = np.datetime64(START.isoformat(), "D") + day_idx[idx]
    frame = pd.DataFrame(
        {
            "game_date": pd.to_datetime(dates).astype("datetime64[us]"),  # as dbt gives DATEs
            "game_id": [
                f"g{d:03d}_{p // 2:03d}" for d, p in zip(day_idx[idx], player[idx], strict=True)
            ],
            "player_id": player[idx].astype(np.int64),
            "market": "player_points",
            "line": line,
            "market_prob_over": p_market,
            "stat_value": points[idx],
            "pts_avg_10": avg_seen[idx],
            "home": home[idx],
            "rest_days": rest[idx],
            "opp_allowed": opp[idx],
            "line_move": move[idx],
            "books_quoting": 1 + rng.poisson(1.5, idx.size),
            "true_p_over": nb_sf(line, mu[idx]),
            "true_mean": mu[idx],
        }
    )
    return frame.sort_values(["game_date", "game_id", "player_id", "line"]).reset_index(drop=True)


def config(**overrides: object) -> TrainConfig:
    base: dict[str, object] = {
        "market_family": "player_points",
        "feature_columns": FEATURES,
        "train_end": TRAIN_END,
        "calibration_days": 14,
        "validation_days": 14,
        "seed": 7,
    }
    base.update(overrides)
    return TrainConfig(**base)  # type: ignore[arg-type]


def later(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["game_date"] > pd.Timestamp(TRAIN_END)].reset_index(drop=True)


def went_over(frame: pd.DataFrame) -> np.ndarray:
    return (frame["stat_value"] > frame["line"]).to_numpy(dtype=float)
