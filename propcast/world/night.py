"""A night's draws: every player's stats and minutes, overtime, the games' final scores."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from propcast.world import distributions as dist
from propcast.world.leagues import LeagueSpec
from propcast.world.market import BookSpec
from propcast.world.roster import spread_minutes
from propcast.world.schedule import Game
from propcast.world.totals import sudden_death


def draw_night(
    spec: LeagueSpec,
    books: tuple[BookSpec, ...],
    rng: np.random.Generator,
    games: list[Game],
    row_game: np.ndarray,
    row_player: np.ndarray,
    row_team: np.ndarray,
    active: np.ndarray,
    minutes_expected: np.ndarray,
    true_mean: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stats from their exact distributions, tied to minutes through a Gaussian copula.

    Each stat is the quantile, at Φ(rho·z_minutes + sqrt(1-rho^2)·z_own), of its true
    distribution, so its marginal is exactly that distribution while a long night shows up
    in minutes, points, rebounds and assists together.
    """
    n_rows, n_stats = true_mean.shape
    group = row_game * len(spec.teams) + row_team
    z_minutes = dist.teammate_shocks(rng.normal(size=(n_rows, 1)), group, active,
                                 spec.teammate_corr)[:, 0]  # fmt: skip
    z_own = dist.teammate_shocks(rng.normal(size=(n_rows, n_stats)), group, active,
                             spec.teammate_corr)  # fmt: skip
    stats = np.zeros((n_rows, n_stats), dtype=np.int64)
    for k, stat in enumerate(spec.stats):
        rho = stat.minutes_corr
        u = ndtr(rho * z_minutes + np.sqrt(1 - rho**2) * z_own[:, k])
        stats[active, k] = dist.quantile(stat, true_mean[active, k], u[active])

    a, b = spec.minutes_sd
    raw = minutes_expected + (a + b * minutes_expected) * z_minutes
    rotation = minutes_expected >= spec.rotation_minutes
    played = active & ((raw >= 0.5) | rotation)
    raw = np.where(rotation, np.maximum(raw, 3.0), raw)
    stats[~played] = 0

    score_k = next(k for k, s in enumerate(spec.stats) if s.column == spec.score_stat)
    # Only players no book can offer (expected under every book's threshold) take overtime
    # points, so every offered prop keeps its exact distribution.
    min_offer = min(b.min_minutes for b in books) * spec.offer_minutes_scale
    minutes = np.zeros(n_rows, dtype=np.int64)
    for g, game in enumerate(games):
        if game.postponed:
            continue
        sides = []
        for team in (game.home, game.away):
            idx = np.flatnonzero((row_game == g) & (row_team == team))
            sides.append(idx)
        totals = [int(stats[idx, score_k].sum()) for idx in sides]
        periods = 0
        while totals[0] == totals[1]:
            periods += 1
            decided = sudden_death(rng, spec.overtime_points) if spec.shootout else None
            for side, idx in enumerate(sides):
                if decided is None:
                    extra = int(rng.poisson(spec.overtime_points))
                elif decided == (side, True):
                    extra = 1  # the overtime's only goal
                else:
                    continue
                receivers = idx[active[idx] & (minutes_expected[idx] < min_offer)]
                if len(receivers) == 0:  # nobody unofferable dressed: the last man takes it
                    dressed = idx[active[idx]]
                    receivers = dressed[np.argsort(minutes_expected[dressed], kind="stable")[:1]]
                if not played[receivers].any():
                    first = receivers[np.argmax(minutes_expected[receivers])]
                    played[first] = True
                    raw[first] = max(raw[first], 1.0)
                receivers = receivers[played[receivers]]
                share = rng.multinomial(extra, np.full(len(receivers), 1 / len(receivers)))
                stats[receivers, score_k] += share
                totals[side] += extra
            if decided is not None and not decided[1]:
                totals[decided[0]] += 1  # the shootout: the winner's score, no player's
        game.home_score, game.away_score = totals
        length = spec.game_minutes + periods * spec.overtime_length
        budget = round(spec.on_floor * length)
        for idx in sides:
            on = idx[played[idx]]
            minutes[on] = dist.whole_minutes(
                spread_minutes(np.maximum(raw[on], 0.5), budget, length), budget
            )
    return played, minutes, stats
