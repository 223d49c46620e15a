"""bench/quality.py --bound: how far a generous public-information predictor gets, per family.

The reference is told what no warehouse has: each player's exact per-minute rate, his exact
expected minutes tonight and the game's exact context (pace, defence, home, back-to-back),
i.e. his true mean but for his hidden form. The form it must learn like anyone else, from his
box scores: an extended Kalman filter with the world's own AR(1) parameters (`form_phi`,
`form_sd`, one step per day, reset at each season's start), the stat's own variance (NB1's
`variance_ratio`, Poisson's 1) and his realised minutes. Its log mean is then stacked with the
close's (implied by the de-vigged close, the close's minutes lag taken out as the learnt close
does) by the linear fit of the truth's log mean on the two: the best weights, read off the
truth itself. P(over) comes from the world's own distribution at that mean.

A second reading takes one gift back: tonight's minutes come from public data
(`public_minutes`: a LightGBM regressor of the realised minutes on the bench's features, the
market's left out, trained on the earlier seasons), and the close is stacked as posted (taking
out its minutes lag needs the exact minutes). Rate, context, filter and stack stay generous.

What it measures: if this reference misses a target, the target is beyond what the world's
public information allows (every shortcut above is generous, and the books' remaining error is
their shared noise and the form they saw three days ago, which no box score shows). It is a
reference, not a proof: the filter and the linear stack are approximations. Seasons are
re-simulated in process (`Season` with the arguments `generate` got: the same nights, byte
for byte, as the feeds bench/quality.py read).
"""

from __future__ import annotations

import argparse
from datetime import date

import lightgbm as lgb
import numpy as np
import pandas as pd

from propcast.models.distribution import implied_mean, prob_over
from propcast.models.metrics import log_loss
from propcast.world import LEAGUES
from propcast.world.leagues import LeagueSpec
from propcast.world.market import ErrorModel, strength_multiplier
from propcast.world.season import Season

#: Poisson families are priced with NB1 at this ratio (models.distribution needs > 1).
POISSON_RATIO = 1.0001
#: The bench's frame columns a public minutes model reads besides the player's own box-score
#: means: what the market says is left out (`public_minutes`).
MINUTES_EXTRA = ("games_since_return", "team_games_missed", "minutes_avg_3", "minutes_last_1")
MARKET_COLUMNS = ("books_quoting", "line_move_from_open", "market_prob_move_from_open")


def predict_form(
    form: np.ndarray, var: np.ndarray, days: np.ndarray, phi: float, sd: float
) -> tuple[np.ndarray, np.ndarray]:
    """The AR(1) form `days` days on: its mean decays by phi**days, its variance relaxes
    toward the stationary sd**2."""
    decay = phi ** np.asarray(days, dtype=float)
    return decay * form, decay**2 * var + sd**2 * (1.0 - decay**2)


def observe_form(
    form: np.ndarray, var: np.ndarray, base_mean: np.ndarray, count: np.ndarray, ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """One game's count, mean base_mean * exp(form), variance ratio * mean: the extended
    Kalman update of the log form (the mean linearised at the prior form)."""
    mean = base_mean * np.exp(form)
    gain = var * mean / (mean**2 * var + ratio * mean)
    return form + gain * (count - mean), var * (1.0 - gain * mean)


def hidden_nights(league: str, args: argparse.Namespace, strength: str) -> pd.DataFrame:
    """Every active (season, game, player) row of bench/quality.py's worlds with what the
    reference is told: per stat the count, the true mean without form (`base_<stat>`) and
    the close's minutes lag in log mean (`lag_<stat>`: ErrorModel's term times the noise)."""
    spec = LEAGUES[league]
    parts = []
    for k in range(args.seasons):
        season = Season(spec, seed=args.seed, start=date(args.first_year + k, 10, 21),
                        books=args.books, market_noise=strength_multiplier(strength),
                        errors=ErrorModel(), season=k)  # fmt: skip
        ids = np.array(season.roster.player_ids)
        for d in range(args.days_per_season):
            night = season.simulate_day(d)
            active = night.expected_minutes > 0
            if not active.any():
                continue
            rows = night.row_player[active]
            game_ids = np.array([g.game_id for g in night.games])[night.row_game[active]]
            part = {"season": k, "day": d, "game_id": [f"s{k}:{g}" for g in game_ids],
                    "player": rows, "player_id": ids[rows], "played": night.played[active],
                    "minutes": night.minutes[active],
                    "expected_minutes": night.expected_minutes[active]}  # fmt: skip
            minutes_lag = night.minutes_lag[active]
            for s, stat in enumerate(spec.stats):
                part[f"count_{stat.column}"] = night.stats[active, s]
                part[f"base_{stat.column}"] = night.true_mean[active, s] / np.exp(
                    night.form[active, s]
                )
                part[f"lag_{stat.column}"] = season.market_noise[s] * minutes_lag
            parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def filtered_log_means(nights: pd.DataFrame, spec: LeagueSpec) -> pd.DataFrame:
    """`nights` with `own_<stat>`: the reference's log mean before each game (base mean times
    the filtered form), the filter fed every earlier game of the season in day order."""
    out = nights.copy()
    n_players = int(nights["player"].max()) + 1
    for stat in spec.stats:
        ratio = stat.variance_ratio  # 1 for the Poisson stats
        own = np.empty(len(nights))
        for _, season in nights.groupby("season", sort=True):
            form, var = np.zeros(n_players), np.full(n_players, spec.form_sd**2)
            last = np.zeros(n_players, dtype=int)
            for day, rows in season.groupby("day", sort=True):
                idx, player = rows.index.to_numpy(), rows["player"].to_numpy()
                prior, prior_var = predict_form(form[player], var[player], day - last[player],
                                                spec.form_phi, spec.form_sd)  # fmt: skip
                base = rows[f"base_{stat.column}"].to_numpy()
                own[idx] = np.log(base) + prior
                played = rows["played"].to_numpy()
                # Realised minutes scale the night's mean: the reference sees the box score.
                scale = np.maximum(rows["minutes"], 1) / np.maximum(rows["expected_minutes"], 1)
                posterior, posterior_var = observe_form(
                    prior, prior_var, base * scale.to_numpy(), rows[f"count_{stat.column}"], ratio
                )
                form[player] = np.where(played, posterior, prior)
                var[player] = np.where(played, posterior_var, prior_var)
                last[player] = day
        out[f"own_{stat.column}"] = own
    return out


def public_minutes(frame: pd.DataFrame, nights: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Tonight's minutes as public data gives them: a LightGBM regressor of the realised
    minutes on the frame's features (the market's left out) and MINUTES_EXTRA, trained on the
    earlier seasons; per (game, player) of the last season, `public_minutes`."""
    columns = [c for c in dict.fromkeys([*features, *MINUTES_EXTRA]) if c not in MARKET_COLUMNS]
    rows = frame.drop_duplicates(["game_id", "player_id"]).merge(
        nights[["game_id", "player_id", "minutes"]], on=["game_id", "player_id"]
    )
    last = rows["season"] == rows["season"].max()
    params = {"objective": "regression", "learning_rate": 0.05, "num_leaves": 15,
              "min_data_in_leaf": 100, "verbose": -1, "num_threads": 2, "seed": 7}  # fmt: skip
    booster = lgb.train(
        params, lgb.Dataset(rows.loc[~last, columns].astype(float), rows.loc[~last, "minutes"]), 400
    )
    scored = rows.loc[last, ["game_id", "player_id"]].copy()
    predicted = booster.predict(rows.loc[last, columns].astype(float))
    scored["public_minutes"] = np.maximum(predicted, 1.0)
    return scored


def _stacked(
    truth: np.ndarray,
    mine: np.ndarray,
    close: np.ndarray,
    y: np.ndarray,
    line: np.ndarray,
    ratio: float,
) -> tuple[float, np.ndarray]:
    """Log loss of the linear stack of two log means that fits the truth's best, its weights."""
    x = np.column_stack([np.ones(len(mine)), mine, close])
    weights, *_ = np.linalg.lstsq(x, truth, rcond=None)
    return log_loss(y, prob_over(np.exp(x @ weights), line, ratio)), weights


def reference_results(
    frame: pd.DataFrame, nights: pd.DataFrame, spec: LeagueSpec, minutes: pd.DataFrame
) -> dict:
    """Per family of `spec` on the frame's last season: the reference ÷ close and ÷ truth,
    its own mean alone ÷ close, the error sds of its log mean and the close's, the stack's
    weights; and `public_minutes_*`: the same reference told `minutes`' public estimate of
    tonight's minutes instead of the exact ones (stacked with the close as posted: taking out
    the books' minutes lag needs the exact minutes too)."""
    last = frame["season"].max()
    own = filtered_log_means(nights[nights["season"] == last].reset_index(drop=True), spec)
    own = own.merge(minutes, on=["game_id", "player_id"], how="left")
    results = {}
    for stat in spec.stats:
        rows = frame[(frame["season"] == last) & (frame["market"] == stat.market)]
        if rows.empty:
            continue
        told = ["game_id", "player_id", f"own_{stat.column}", f"lag_{stat.column}",
                f"count_{stat.column}", "expected_minutes", "public_minutes"]  # fmt: skip
        z = rows.merge(own[told], on=["game_id", "player_id"], validate="many_to_one")
        if len(z) != len(rows) or (z["stat_value"] != z[f"count_{stat.column}"]).any():
            raise RuntimeError(
                f"{stat.market}: the re-simulated nights are not the world the frame was read "
                f"from ({len(rows) - len(z)} lines unmatched, "
                f"{int((z['stat_value'] != z[f'count_{stat.column}']).sum())} counts differ)"
            )
        ratio = max(stat.variance_ratio, POISSON_RATIO)
        line, y = z["line"].to_numpy(dtype=float), (z["stat_value"] > z["line"]).to_numpy(float)
        truth = np.log(z["true_mean"].to_numpy(dtype=float))
        close = np.log(implied_mean(line, z["market_prob_over"].to_numpy(dtype=float), ratio))
        mine = z[f"own_{stat.column}"].to_numpy(dtype=float)
        learnt = close - z[f"lag_{stat.column}"].to_numpy(dtype=float)
        public = mine + np.log(z["public_minutes"] / z["expected_minutes"]).to_numpy(dtype=float)
        close_loss = log_loss(y, z["market_prob_over"].to_numpy())
        truth_loss = log_loss(y, z["true_p_over"].to_numpy())
        stacked, weights = _stacked(truth, mine, learnt, y, line, ratio)
        public_loss, _ = _stacked(truth, public, close, y, line, ratio)
        alone = log_loss(y, prob_over(np.exp(mine), line, ratio))
        results[stat.market] = {
            "reference_over_market": round(stacked / close_loss, 4),
            "reference_over_truth": round(stacked / truth_loss, 4),
            "own_mean_over_market": round(alone / close_loss, 4),
            "public_minutes_over_market": round(public_loss / close_loss, 4),
            "public_minutes_over_truth": round(public_loss / truth_loss, 4),
            "own_log_error_sd": round(float(np.std(mine - truth)), 4),
            "public_minutes_log_error_sd": round(float(np.std(public - truth)), 4),
            "close_log_error_sd": round(float(np.std(close - truth)), 4),
            "stack_weights": [round(float(w), 2) for w in weights[1:]],
            "n": len(z),
        }
    return results
