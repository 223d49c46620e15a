"""Players and teams with latent skill: depth slots, minutes shares, per-minute rates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from propcast.world.leagues import LeagueSpec
from propcast.world.names import PlayerName, generate_names


@dataclass(frozen=True)
class Roster:
    """Everything fixed for a world's players (arrays indexed by player) and teams."""

    player_ids: list[str]
    names: list[PlayerName]
    team: np.ndarray  # (P,) team index
    slot: np.ndarray  # (P,) depth slot, 0 = the best player of the team
    base_minutes: np.ndarray  # (P,) minutes weight on a full-strength night
    rate: np.ndarray  # (P, S) per-minute rate of each stat before form and context
    team_pace: np.ndarray  # (T,) log multiplier of possessions, shared by both teams
    team_defence: np.ndarray  # (T, S) log multiplier the team's defence applies to opponents

    @property
    def size(self) -> int:
        return len(self.player_ids)


def spread_minutes(weights: np.ndarray, total: float, cap: float) -> np.ndarray:
    """Scale non-negative weights to sum to `total` with no entry above `cap`.

    A coach hands out a fixed number of player-minutes: when someone sits, the others share it.
    """
    out = np.zeros_like(weights, dtype=float)
    free = weights > 0
    remaining = total
    for _ in range(len(weights) + 1):
        if not free.any():
            break
        scaled = weights[free] * remaining / weights[free].sum()
        over = scaled > cap
        if not over.any():
            out[free] = scaled
            break
        idx = np.flatnonzero(free)[over]
        out[idx] = cap
        free[idx] = False
        remaining = total - out.sum()
    return out


def make_roster(spec: LeagueSpec, rng: np.random.Generator) -> Roster:
    n_teams, n_slots, n_stats = len(spec.teams), len(spec.slots), len(spec.stats)
    n = n_teams * n_slots
    team = np.repeat(np.arange(n_teams), n_slots)
    slot = np.tile(np.arange(n_slots), n_teams)

    slot_minutes = np.array([s.base_minutes for s in spec.slots])
    base = np.clip(slot_minutes[slot] + rng.normal(0.0, 1.5, n), 0.5, None)
    quality = np.array([s.quality_mean for s in spec.slots])[slot] + rng.normal(0.0, 0.5, n)

    rate = np.empty((n, n_stats))
    for k, stat in enumerate(spec.stats):
        per_minute = np.array([stat.per36[s.archetype] / 36.0 for s in spec.slots])[slot]
        rate[:, k] = per_minute * np.exp(stat.quality_weight * quality + rng.normal(0, 0.12, n))

    # Team identity: scale each roster so a full-strength team produces the league's average
    # totals times its own offensive strength (a good offence scores more, by every scorer).
    style = rng.normal(0.0, spec.offence_sd, (n_teams, n_stats))
    for t in range(n_teams):
        members = team == t
        minutes = spread_minutes(base[members], spec.team_minutes, spec.minutes_cap)
        for k, stat in enumerate(spec.stats):
            produced = float(minutes @ rate[members, k])
            rate[members, k] *= stat.team_total * np.exp(style[t, k]) / produced

    pace = rng.normal(0.0, spec.pace_sd, n_teams)
    defence = np.column_stack([rng.normal(0.0, stat.defence_sd, n_teams) for stat in spec.stats])
    numbers = rng.choice(900_000, size=n, replace=False) + 100_000
    return Roster(
        player_ids=[f"{spec.player_id_prefix}{int(x):06d}" for x in numbers],
        names=generate_names(rng, n),
        team=team,
        slot=slot,
        base_minutes=base,
        rate=rate,
        team_pace=pace,
        team_defence=defence,
    )
