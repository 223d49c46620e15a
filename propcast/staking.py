"""Stakes for one slate's recommended bets: independent fractional Kelly (the SQL policy of
fct_bet_recommendations, reproduced) and joint Kelly (expected log growth of the whole slate,
maximised with scipy under the same caps).

Both policies work in fractions of the bankroll and share these rules:

- full Kelly of one bet at decimal price d with win probability p: k = max((p d - 1)/(d - 1), 0);
- the fractional multiplier λ (dbt var kelly_fraction) scales full Kelly: a stake is λ times
  a full-Kelly stake;
- the caps (vars max_bet_fraction, max_game_fraction, max_daily_fraction) bound the final
  stake, after the multiplier.

Independent: stake = cap_day(cap_game(min(λ k, max_bet))), where a cap scales the stakes of a
group (a game, the day) by cap / sum when their sum exceeds the cap (macros/pricing/bet_math.sql),
then rounded down to 6 decimals.

Joint: f = λ g, where g maximises E[log(1 + Σ g_i R_i)] over the slate's joint outcomes
(R_i = d_i - 1 if bet i wins, -1 if it loses) subject to g >= 0 and the caps on f = λ g:
λ g_i <= max_bet, λ Σ_game g_i <= max_game, λ Σ_day g_i <= max_daily. So with λ = 1 and no
binding cap it is the slate's full joint Kelly; with one bet it is exactly the independent
stake. The expectation is a mean over scenarios drawn from a Gaussian copula (seeded,
deterministic) of the bets' side probabilities and a correlation matrix built from
propcast.correlations (`outcome_correlations`, `slate_correlation`); each bet's win frequency
across the scenarios is its probability exactly (rank-based marginals), so sampling noise only
touches the dependence. Solved by
scipy.optimize.minimize (SLSQP) from the independent stakes; its answer is projected onto the
caps, rounded down to 6 decimals, and kept only when it scores at least as well as the
independent stakes in the same scenarios (else the independent stakes are kept;
`JointKelly.message` says so, `success` is the solver's own verdict).

Pushes and voids: a bet's side probability is treated as its probability of winning, with no
push (the optimiser and the simulator draw win or lose only). Settling, a push or void returns
the stake (return 0), as fct_bet_settlements does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

#: Scenarios joint Kelly optimises over, and their seed.
DEFAULT_SCENARIOS = 4000
DEFAULT_SEED = 20261206
#: Stakes are rounded down to this many decimals (as fct_bet_recommendations.stake_fraction).
STAKE_DECIMALS = 6
#: SLSQP's tolerance on the objective (1e3 x mean log growth).
FTOL = 1e-8
#: SLSQP iterations per slate (a 250-bet slate costs ~0.1 s an iteration on 2 cores).
MAX_ITER = 100


@dataclass(frozen=True)
class Caps:
    """The fractional multiplier and the caps, as the dbt vars of the same names."""

    kelly_fraction: float = 0.25
    max_bet_fraction: float = 0.02
    max_game_fraction: float = 0.05
    max_daily_fraction: float = 0.15


# --- one bet, and the caps --------------------------------------------------------------


def kelly_full(prob: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Full Kelly fraction (p d - 1)/(d - 1), floored at 0; NaN where the price is not > 1."""
    prob = np.asarray(prob, dtype=float)
    price = np.asarray(price, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        full = np.maximum((prob * price - 1.0) / (price - 1.0), 0.0)
    return np.where(price > 1.0, full, np.nan)


def cap_scale(total: np.ndarray, cap: float) -> np.ndarray:
    """1 while a group's total is within the cap (1e-12 tolerance), cap / total beyond it."""
    total = np.asarray(total, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > cap + 1e-12, cap / total, 1.0)


def round_stake_down(value: np.ndarray, decimals: int = STAKE_DECIMALS) -> np.ndarray:
    """floor(value * 10^decimals + 1e-6) / 10^decimals, as macros round_stake_down."""
    scale = 10.0**decimals
    return np.floor(np.asarray(value, dtype=float) * scale + 1e-6) / scale


def apply_caps(fractions: np.ndarray, game_id: np.ndarray, caps: Caps) -> np.ndarray:
    """Per-bet cap (min), then each game's and the day's total scaled down to its cap."""
    bet = np.minimum(np.nan_to_num(np.asarray(fractions, dtype=float)), caps.max_bet_fraction)
    games = pd.Series(bet).groupby(np.asarray(game_id)).transform("sum").to_numpy()
    game = bet * cap_scale(games, caps.max_game_fraction)
    return game * cap_scale(np.array(game.sum()), caps.max_daily_fraction)


def independent_kelly(
    prob: np.ndarray, price: np.ndarray, game_id: np.ndarray, caps: Caps
) -> np.ndarray:
    """fct_bet_recommendations' stake_fraction of one day's recommended bets: λ x full Kelly,
    capped per bet, per game and per day, rounded down to 6 decimals."""
    full = kelly_full(prob, price)
    return round_stake_down(apply_caps(caps.kelly_fraction * full, game_id, caps))


def flat_stakes(game_id: np.ndarray, caps: Caps) -> np.ndarray:
    """Every bet the per-bet cap, scaled down by the same game and day caps (the `flat`
    policy of `propcast simulate`)."""
    ones = np.full(len(game_id), caps.max_bet_fraction)
    return round_stake_down(apply_caps(ones, game_id, caps))


# --- scenarios and joint Kelly ------------------------------------------------------------


def copula_normals(corr: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws (n x k) of standard normals with correlation `corr`."""
    k = corr.shape[0]
    values, vectors = np.linalg.eigh(corr)
    root = vectors * np.sqrt(np.maximum(values, 0.0))
    return rng.standard_normal((n, k)) @ root.T


def win_scenarios(
    prob: np.ndarray,
    corr: np.ndarray,
    n: int,
    seed: int | np.random.Generator,
    exact_marginals: bool = True,
) -> np.ndarray:
    """n x k booleans (bet wins) from a Gaussian copula. `exact_marginals`: each bet wins in
    exactly round(p n) scenarios (its normals' ranks), else win iff Phi(z) < p."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    prob = np.asarray(prob, dtype=float)
    z = copula_normals(corr, n, rng)
    if not exact_marginals:
        return stats.norm.cdf(z) < prob[None, :]
    ranks = np.argsort(np.argsort(z, axis=0, kind="stable"), axis=0, kind="stable")
    return ranks < np.rint(prob * n)[None, :]


def unit_returns(wins: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Return per unit staked: price - 1 on a win, -1 on a loss."""
    return np.where(wins, np.asarray(price, dtype=float)[None, :] - 1.0, -1.0)


def expected_log_growth(stakes: np.ndarray, returns: np.ndarray) -> float:
    """Mean over scenarios of log(1 + returns @ stakes) (-inf when a scenario is ruined)."""
    wealth = 1.0 + returns @ np.asarray(stakes, dtype=float)
    if wealth.min() <= 0:
        return float("-inf")
    return float(np.log(wealth).mean())


@dataclass(frozen=True)
class JointKelly:
    """One slate's joint Kelly stakes and how the solve went."""

    stakes: np.ndarray
    independent: np.ndarray
    growth_joint: float  # mean log(1 + R f / λ) in the scenarios (the optimiser's objective)
    growth_independent: float  # the same for the independent stakes
    success: bool
    message: str


def joint_kelly(
    prob: np.ndarray,
    price: np.ndarray,
    game_id: np.ndarray,
    corr: np.ndarray,
    caps: Caps,
    scenarios: int = DEFAULT_SCENARIOS,
    seed: int = DEFAULT_SEED,
) -> JointKelly:
    """Joint fractional Kelly stakes of one slate's bets (module docstring): maximise the
    scenarios' mean log(1 + R f / λ) over f, 0 <= f <= max_bet, each game's sum <= max_game,
    the day's sum <= min(max_daily, 0.999 λ); SLSQP from the independent stakes."""
    prob = np.asarray(prob, dtype=float)
    price = np.asarray(price, dtype=float)
    game_id = np.asarray(game_id).astype(str)
    independent = independent_kelly(prob, price, game_id, caps)
    k = len(prob)
    if k == 0:
        return JointKelly(np.zeros(0), independent, 0.0, 0.0, True, "no bets")
    lam = caps.kelly_fraction
    with threadpool_limits(1):  # small matrices: BLAS threads only contend (10x slower)
        returns = unit_returns(win_scenarios(prob, corr, scenarios, seed), price)
    scaled = returns / lam
    edge = np.nan_to_num(kelly_full(prob, price)) > 0
    upper = np.where(edge, caps.max_bet_fraction, 0.0)

    def objective(f: np.ndarray) -> tuple[float, np.ndarray]:
        wealth = np.maximum(1.0 + scaled @ f, 1e-12)
        value = -np.log(wealth).mean()
        grad = -((1.0 / wealth) @ scaled) / len(wealth)
        return value * 1e3, grad * 1e3  # scaled: growths are ~1e-3 a slate

    games, game_index = np.unique(game_id, return_inverse=True)
    rows = np.zeros((len(games), k))
    rows[game_index, np.arange(k)] = 1.0
    day_cap = min(caps.max_daily_fraction, 0.999 * lam)
    constraints = [
        {
            "type": "ineq",
            "fun": lambda f: caps.max_game_fraction - rows @ f,
            "jac": lambda f: -rows,
        },
        {"type": "ineq", "fun": lambda f: day_cap - f.sum(), "jac": lambda f: -np.ones((1, k))},
    ]
    start = np.minimum(independent, upper)
    with threadpool_limits(1):  # small matrices: BLAS threads only contend (10x slower)
        result = _solve(objective, start, upper, constraints)

    capped = apply_caps(np.clip(result.x, 0.0, upper), game_id, caps)
    capped = capped * cap_scale(np.array(capped.sum()), day_cap)
    stakes = round_stake_down(capped)
    growth_joint = expected_log_growth(stakes, scaled)
    growth_independent = expected_log_growth(independent, scaled)
    message = str(result.message)
    if growth_joint < growth_independent - 1e-12:
        # kept only when at least as good as the independent stakes in its own scenarios
        stakes, growth_joint = independent.copy(), growth_independent
        message += "; kept the independent stakes (better in the scenarios)"
    return JointKelly(
        stakes, independent, growth_joint, growth_independent, bool(result.success), message
    )


def _solve(
    objective: object, start: np.ndarray, upper: np.ndarray, constraints: list[dict]
) -> optimize.OptimizeResult:
    return optimize.minimize(
        objective,
        start,
        jac=True,
        method="SLSQP",
        bounds=list(zip(np.zeros(len(start)), upper, strict=True)),
        constraints=constraints,
        options={"maxiter": MAX_ITER, "ftol": FTOL},
    )
