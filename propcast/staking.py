"""Stakes for one slate's recommended bets: independent fractional Kelly (the SQL policy of
fct_bet_recommendations, reproduced) and joint Kelly (expected log growth of the whole slate,
maximised with scipy under the same caps), and the outcome correlations joint Kelly needs.

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
`outcome_correlations`; each bet's win frequency across the scenarios is its probability
exactly (rank-based marginals), so sampling noise only touches the dependence. Solved by
scipy.optimize.minimize (SLSQP) from the independent stakes; its answer is projected onto the
caps, rounded down to 6 decimals, and kept only when it scores at least as well as the
independent stakes in the same scenarios (else the independent stakes are kept;
`JointKelly.message` says so, `success` is the solver's own verdict).

Pushes and voids: a bet's side probability is treated as its probability of winning, with no
push (the optimiser and the simulator draw win or lose only). Settling, a push or void returns
the stake (return 0), as fct_bet_settlements does.

Correlations (`outcome_correlations`): pairs of settled lines of the same game, by relation
(`RELATIONS`), per league. Each line's residual is z = (stat - line) / sqrt(max(line, 1)) (a
Poisson-like scale, so markets of different sizes pool); the estimate is the Pearson
correlation of the two residuals over all pairs (a game's lines ordered by player, market and
line, so that a pair's roles match from game to game), read as the
latent (Gaussian copula) correlation of the two overs. The correlation of the over indicators
themselves is reported beside it. Fewer than `MIN_PAIRS` pairs: the estimate used is 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

#: Pairs of lines of one game, by how they relate (lines of different games: independent).
RELATIONS = (
    "same_subject_market",  # the same player's (or game's) market at two lines
    "same_player",  # one player, two markets (points and assists)
    "teammates",  # two players of one team
    "opponents",  # two players of opposite teams
    "player_vs_game_total",  # a player's prop and the game's total
    "same_game",  # anything else in one game (e.g. a player whose team is unknown)
)
CORRELATION_COLUMNS = [
    "league",
    "relation_type",
    "n_pairs",
    "n_games",
    "first_game_date",
    "last_game_date",
    "residual_correlation",
    "over_correlation",
    "min_pairs",
    "correlation",
]
PAIR_COLUMNS = ["league", "game_id", "game_date", "relation_type", "z_a", "z_b", "over_a", "over_b"]
#: Fewer settled pairs than this for a league and relation: correlation 0.
MIN_PAIRS = 200
#: line_pairs pairs this many games at a time (a game of n lines makes n * n candidates).
PAIR_CHUNK_GAMES = 256
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


# --- correlations ----------------------------------------------------------------------


def _missing(values: pd.Series) -> np.ndarray:
    return values.isna().to_numpy() | values.astype(str).isin(["", "None", "nan"]).to_numpy()


def relation_matrix(lines: pd.DataFrame) -> np.ndarray:
    """k x k relation names (object array; None off-game and on the diagonal) of lines with
    game_id, player_id (null for a game total), market and team_id (null when unknown)."""
    game = lines["game_id"].astype(str).to_numpy()
    player_missing = _missing(lines["player_id"])
    player = lines["player_id"].astype(str).to_numpy()
    market = lines["market"].astype(str).to_numpy()
    team_missing = _missing(lines["team_id"]) if "team_id" in lines else np.ones(len(lines), bool)
    team = lines["team_id"].astype(str).to_numpy() if "team_id" in lines else player
    same_game = game[:, None] == game[None, :]
    both_players = ~player_missing[:, None] & ~player_missing[None, :]
    one_total = player_missing[:, None] ^ player_missing[None, :]
    same_player = both_players & (player[:, None] == player[None, :])
    same_subject = same_player | (player_missing[:, None] & player_missing[None, :])
    same_market = market[:, None] == market[None, :]
    teams_known = ~team_missing[:, None] & ~team_missing[None, :]
    same_team = teams_known & (team[:, None] == team[None, :])
    out = np.full(same_game.shape, None, dtype=object)
    out[same_game] = "same_game"
    out[same_game & both_players & teams_known & ~same_team] = "opponents"
    out[same_game & both_players & same_team] = "teammates"
    out[same_game & one_total] = "player_vs_game_total"
    out[same_game & same_player] = "same_player"
    out[same_game & same_subject & same_market] = "same_subject_market"
    np.fill_diagonal(out, None)
    return out


def residual_z(actual: np.ndarray, line: np.ndarray) -> np.ndarray:
    """(stat - line) / sqrt(max(line, 1)): the residual on a Poisson-like scale."""
    line = np.asarray(line, dtype=float)
    return (np.asarray(actual, dtype=float) - line) / np.sqrt(np.maximum(line, 1.0))


def outcome_correlations(settled: pd.DataFrame, min_pairs: int = MIN_PAIRS) -> pd.DataFrame:
    """Per league x relation: n_pairs, n_games, first/last game_date, the residual and
    over-indicator correlations over the pairs, and `correlation` (the residual one, 0 when
    n_pairs < min_pairs). `settled`: one row per settled line (push or not, no voids) with
    game_date, league, game_id, player_id, market, line, team_id, actual_value."""
    settled = settled.dropna(subset=["actual_value", "line"]).reset_index(drop=True)
    return summarise_pairs(line_pairs(settled), min_pairs)


def summarise_pairs(pairs: pd.DataFrame, min_pairs: int = MIN_PAIRS) -> pd.DataFrame:
    """outcome_correlations' table from line_pairs' pairs (e.g. those before a slate)."""
    rows = []
    for (league, relation), group in pairs.groupby(["league", "relation_type"], sort=True):
        n = len(group)
        residual = _pearson(group["z_a"].to_numpy(), group["z_b"].to_numpy())
        over = _pearson(group["over_a"].to_numpy(), group["over_b"].to_numpy())
        usable = n >= min_pairs and np.isfinite(residual)
        rows.append(
            {
                "league": league,
                "relation_type": relation,
                "n_pairs": int(n),
                "n_games": int(group["game_id"].nunique()),
                "first_game_date": pd.Timestamp(group["game_date"].min()).date(),
                "last_game_date": pd.Timestamp(group["game_date"].max()).date(),
                "residual_correlation": residual,
                "over_correlation": over,
                "min_pairs": int(min_pairs),
                "correlation": float(np.clip(residual, -0.99, 0.99)) if usable else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)


def line_pairs(settled: pd.DataFrame, chunk_games: int = PAIR_CHUNK_GAMES) -> pd.DataFrame:
    """Every unordered pair of lines of one game, with their relation and residuals; the
    lines of a game ordered by (player, market, line), so that a pair's first line is the
    same role in every game (the lower of two alternative lines comes first). Paired
    `chunk_games` games at a time: merged at once, five seasons' candidates held ~20 GB."""
    lines = settled.assign(
        _player=settled["player_id"].astype(str).where(~_missing(settled["player_id"]), ""),
        z=residual_z(settled["actual_value"], settled["line"]),
        over=(settled["actual_value"].astype(float) > settled["line"].astype(float)) * 1.0,
    )
    lines = lines.sort_values(["game_id", "_player", "market", "line"], kind="stable")
    keep = ["game_id", "game_date", "league", "player_id", "market", "team_id", "z", "over"]
    lines = lines[keep].reset_index(drop=True).reset_index(names="_row")
    game_starts = np.flatnonzero(lines["game_id"].ne(lines["game_id"].shift()).to_numpy())
    bounds = [*game_starts[::chunk_games], len(lines)] if len(lines) else [0]
    parts = [_game_pairs(lines.iloc[a:b]) for a, b in pairwise(bounds)]
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def _game_pairs(lines: pd.DataFrame) -> pd.DataFrame:
    """line_pairs' pairs of whole games' lines."""
    pairs = lines.merge(lines, on="game_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["_row_a"] < pairs["_row_b"]]
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    relation = _pair_relations(pairs)
    return pd.DataFrame(
        {
            "league": pairs["league_a"].to_numpy(),
            "game_id": pairs["game_id"].to_numpy(),
            "game_date": pairs["game_date_a"].to_numpy(),
            "relation_type": relation,
            "z_a": pairs["z_a"].to_numpy(),
            "z_b": pairs["z_b"].to_numpy(),
            "over_a": pairs["over_a"].to_numpy(),
            "over_b": pairs["over_b"].to_numpy(),
        }
    )


def _pair_relations(pairs: pd.DataFrame) -> np.ndarray:
    """relation_matrix's rules, pair by pair (columns <name>_a / <name>_b; one game each)."""
    pa, pb = _missing(pairs["player_id_a"]), _missing(pairs["player_id_b"])
    ta, tb = _missing(pairs["team_id_a"]), _missing(pairs["team_id_b"])
    same_player = (
        ~pa
        & ~pb
        & (pairs["player_id_a"].astype(str) == pairs["player_id_b"].astype(str)).to_numpy()
    )
    same_subject = same_player | (pa & pb)
    same_market = (pairs["market_a"].astype(str) == pairs["market_b"].astype(str)).to_numpy()
    known = ~pa & ~pb & ~ta & ~tb
    same_team = (
        known & (pairs["team_id_a"].astype(str) == pairs["team_id_b"].astype(str)).to_numpy()
    )
    out = np.full(len(pairs), "same_game", dtype=object)
    out[known & ~same_team] = "opponents"
    out[same_team] = "teammates"
    out[pa ^ pb] = "player_vs_game_total"
    out[same_player] = "same_player"
    out[same_subject & same_market] = "same_subject_market"
    return out


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of the pairs' first and second residuals (NaN when degenerate)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def correlation_lookup(table: pd.DataFrame) -> dict[tuple[str, str], float]:
    """{(league, relation_type): correlation} of an outcome_correlations table."""
    return {
        (str(r.league), str(r.relation_type)): float(r.correlation)
        for r in table.itertuples(index=False)
    }


def slate_correlation(bets: pd.DataFrame, lookup: Mapping[tuple[str, str], float]) -> np.ndarray:
    """The k x k latent correlation of the bets' wins: for two bets of one game, the league's
    estimate for their relation, signed by their sides (an over and an under move against each
    other); 0 across games; made positive semi-definite (eigenvalues clipped, unit diagonal)."""
    k = len(bets)
    if k == 0:
        return np.zeros((0, 0))
    relation = relation_matrix(bets)
    league = bets["league"].astype(str).to_numpy() if "league" in bets else np.full(k, "")
    rho = np.zeros((k, k))
    i, j = np.nonzero(relation != None)  # noqa: E711  (object array: elementwise)
    rho[i, j] = [lookup.get((league[a], relation[a, b]), 0.0) for a, b in zip(i, j, strict=True)]
    sign = np.where(bets["side"].astype(str).to_numpy() == "under", -1.0, 1.0)
    rho = rho * sign[:, None] * sign[None, :]
    np.fill_diagonal(rho, 1.0)
    return nearest_correlation(rho)


def nearest_correlation(matrix: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """A symmetric matrix made a correlation matrix: eigenvalues clipped at `floor`, then
    rescaled to a unit diagonal (unchanged when it already is one)."""
    sym = (matrix + matrix.T) / 2.0
    values, vectors = np.linalg.eigh(sym)
    if values.min() >= floor:
        return sym
    fixed = (vectors * np.maximum(values, floor)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / scale[:, None] / scale[None, :]


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
