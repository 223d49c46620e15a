"""Game totals: the combined score's exact-enough distribution and the books' totals quotes.

The truth. A team's score is the sum of its players' points (`night.draw_night`): each active
player's points are the quantile, at Phi(rho * z_minutes + sqrt(1 - rho^2) * z_own), of his
negative binomial (NHL: goals, Poisson), the shocks correlated between teammates
(`distributions.teammate_shocks`), a deep-bench player who does not get on the floor scores
nothing, and a tie goes to overtime periods (Poisson `overtime_points` per team each) until it
is broken; in the NHL (`LeagueSpec.shootout`) one sudden-death overtime, then a shootout, so a
tie after regulation always ends one goal higher (`sudden_death`). The sum of such dependent
counts has no closed form, so `score_distribution` simulates the game with exactly that
machinery, `TOTAL_DRAWS` times (half of them antithetic: every normal negated, which halves the
variance of P(over) for this monotone total), from a random stream of its own
(`season.stream(seed, TOTALS_SIM, day)`), so the rest of the world, props, boxscores and prop
truth, is unchanged by it. The result is P(total > h) for every h:
`true_p_over` of a half-point line is accurate to about 0.002 (the Monte-Carlo standard error
at P = 0.5 is 0.5 / sqrt(TOTAL_DRAWS) = 0.0022 before the antithetic gain; two worlds drawn
with different streams agree to 0.0015 on average, tests/unit/world/test_totals.py).

The market, in the props' spirit (`market.py`): every book posts one total per game at every
snapshot while the game is on the board. Its view of the mean is

    log mean_book = log mean_true + noise * (shade + lag + e_market[snapshot] + s_book * e_book)

where `lag` is the books' lagged view of the players' points (the props' form and minutes
lag, summed over both rosters), `e_market` shared by the books and `e_book` each book's own,
shrinking toward the close (`correlated_errors`, the props' sds), and `noise` the error model's
`stat_noise["game_total"]` times the world's market strength. The book's distribution is the
true one shifted by its mean error; its line is the half point nearest its median and its price
its P(over) with its margin, rounded to 5 in its favour (`vig_prices`). At "realistic" the
de-vigged close's log loss is about 1.03-1.05 x the truth's (the unit test holds a 1.01-1.08
band over a season).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import stats as sps
from scipy.special import ndtri

from propcast.world.leagues import LeagueSpec, StatSpec
from propcast.world.market import ErrorModel, correlated_errors, vig_prices

#: Monte-Carlo draws per game (half of them antithetic), see the module doc.
TOTAL_DRAWS = 1 << 14
MARKET = "game_total"


@dataclass(frozen=True)
class TotalQuotes:
    """Posted game totals of a day, one entry per (snapshot, book, game)."""

    snapshot: np.ndarray
    book: np.ndarray
    game: np.ndarray
    line: np.ndarray
    over: np.ndarray  # American odds
    under: np.ndarray
    seconds_stale: np.ndarray  # (K, books, games) age of each total at the snapshot

    def __len__(self) -> int:
        return len(self.game)


@dataclass(frozen=True)
class DayTotals:
    """The day's games' combined-score distributions and the books' totals."""

    true_mean: np.ndarray  # (games,) E[total]
    survival: list[np.ndarray]  # per game: survival[h] = P(total > h), h = 0, 1, ...
    quotes: TotalQuotes

    def p_over(self, game: int, line: float) -> float:
        sf = self.survival[game]
        h = int(np.floor(line))
        return float(sf[h]) if 0 <= h < len(sf) else float(h < 0)


def no_totals(n_snaps: int, n_books: int, n_games: int) -> DayTotals:
    none = np.zeros(0, dtype=np.int64)
    stale = np.zeros((n_snaps, n_books, n_games), dtype=np.int64)
    return DayTotals(np.zeros(n_games), [np.zeros(1)] * n_games,
                     TotalQuotes(none, none, none, np.zeros(0), none, none, stale))  # fmt: skip


def _thresholds(stat: StatSpec, mean: float) -> np.ndarray:
    """Phi^-1 of the stat's CDF on 0..k_max (k_max reaching 1 - 1e-12): the count drawn at
    latent normal x is the number of thresholds below x, exactly `distributions.quantile` at
    u = Phi(x)."""
    mean = max(float(mean), 1e-6)
    if stat.family == "poisson":
        family, args = sps.poisson, (mean,)
    else:
        ratio = stat.variance_ratio
        family, args = sps.nbinom, (mean / (ratio - 1.0), 1.0 / ratio)
    top = int(family.ppf(1.0 - 1e-12, *args)) + 2
    cdf = np.clip(family.cdf(np.arange(top), *args), 1e-12, 1.0 - 1e-12)
    return ndtri(cdf)


# The latent normals' grid: a cell (1/1024 wide, far narrower than the gap between two
# thresholds) holds at most one threshold, so a count is its cell's plus one comparison.
_GRID_STEP, _GRID_LOW, _GRID_CELLS = 1.0 / 1024, -7.5, 15 * 1024


def _counts_below(tables: list[np.ndarray], latent: np.ndarray) -> np.ndarray:
    """Per column j, the number of `tables[j]` thresholds below each latent value (exact:
    the cell's count below its lower edge, plus one if the cell's threshold is below)."""
    edges = _GRID_LOW + _GRID_STEP * np.arange(_GRID_CELLS)
    below = np.empty((len(tables), _GRID_CELLS), dtype=np.int64)
    nxt = np.empty((len(tables), _GRID_CELLS), dtype=np.float32)
    for j, thr in enumerate(tables):
        below[j] = np.searchsorted(thr, edges, side="left")
        nxt[j] = np.append(thr, np.inf)[below[j]]
    x = np.clip(latent, _GRID_LOW, -_GRID_LOW - _GRID_STEP)
    cell = ((x - _GRID_LOW) * (1.0 / _GRID_STEP)).astype(np.int64)
    flat = cell + np.arange(len(tables)) * _GRID_CELLS
    return below.ravel()[flat] + (nxt.ravel()[flat] < x)


def _teammates(shocks: np.ndarray, corr: float) -> np.ndarray:
    """`distributions.teammate_shocks` for one team's active players (columns)."""
    if corr >= 0:
        return shocks
    n = shocks.shape[1]
    x = -corr / (1.0 - corr)
    lam = 1.0 - np.sqrt(max(1.0 - n * x, 0.0))
    spread = np.sqrt(1.0 - (2.0 * lam - lam**2) / n)
    return (shocks - np.float32(lam) * shocks.mean(axis=1, keepdims=True)) / np.float32(spread)


def _team_scores(
    spec: LeagueSpec,
    stat: StatSpec,
    rng: np.random.Generator,
    means: np.ndarray,
    minutes_expected: np.ndarray,
) -> np.ndarray:
    """TOTAL_DRAWS simulated scores of one team whose active players have these point means."""
    n, half = len(means), TOTAL_DRAWS // 2
    if n == 0:
        return np.zeros(TOTAL_DRAWS, dtype=np.int64)
    rho = stat.minutes_corr
    z_minutes = rng.standard_normal((half, n), dtype=np.float32)
    z_own = rng.standard_normal((half, n), dtype=np.float32)
    z_minutes = _teammates(np.concatenate([z_minutes, -z_minutes]), spec.teammate_corr)
    z_own = _teammates(np.concatenate([z_own, -z_own]), spec.teammate_corr)
    latent = np.float32(rho) * z_minutes + np.float32(np.sqrt(1 - rho**2)) * z_own
    points = _counts_below([_thresholds(stat, m) for m in means], latent)
    a, b = spec.minutes_sd
    raw = minutes_expected + np.float32(a + b * minutes_expected) * z_minutes
    played = (raw >= 0.5) | (minutes_expected >= spec.rotation_minutes)
    return np.where(played, points, 0).sum(axis=1)


def score_distribution(
    spec: LeagueSpec,
    rng: np.random.Generator,
    sides: list[np.ndarray],
    means: np.ndarray,
    minutes_expected: np.ndarray,
) -> np.ndarray:
    """Simulated combined scores (TOTAL_DRAWS of them) of a game whose two teams' active rows
    are `sides`, drawn as `night.draw_night` draws them (module doc)."""
    stat = next(s for s in spec.stats if s.column == spec.score_stat)
    home, away = (
        _team_scores(spec, stat, rng, means[idx], minutes_expected[idx].astype(np.float32))
        for idx in sides
    )
    tied = home == away
    if spec.shootout:  # sudden-death overtime or the shootout: one more goal either way
        return home + away + tied
    while tied.any():
        n = int(tied.sum())
        home[tied] += rng.poisson(spec.overtime_points, n)
        away[tied] += rng.poisson(spec.overtime_points, n)
        tied = home == away
    return home + away


def sudden_death(rng: np.random.Generator, overtime_goals: float) -> tuple[int, bool]:
    """A tied NHL game's end: (the winning side, 0 home or 1 away; whether it won in overtime).
    The overtime is sudden death with each side scoring at `overtime_goals` a period, so it
    ends on a goal with P = 1 - exp(-2 * overtime_goals), either side equally likely; else a
    shootout, a coin flip, adds one to the winner's score and to no player's goals."""
    side = int(rng.integers(2))
    return side, bool(rng.random() < -np.expm1(-2.0 * overtime_goals))


def survival(scores: np.ndarray) -> np.ndarray:
    """P(total > h) for h = 0..max."""
    counts = np.bincount(scores).astype(float)
    return 1.0 - np.cumsum(counts) / len(scores)


def _book_line(sf: np.ndarray, shift: float) -> tuple[float, float]:
    """The book's line and P(over) when it believes the total is the true one plus `shift`:
    the half point nearest its median, P(over) by the survival interpolated between half
    points (so a fractional shift moves the price smoothly)."""
    # S(x) at half points x = h + 0.5 is sf[h]; between them, linear.
    halves = np.arange(len(sf)) + 0.5
    median = float(np.interp(-0.5, -sf, halves)) + shift  # sf decreases: interpolate on -sf
    candidates = np.floor(median) + np.array([-1.5, -0.5, 0.5, 1.5])
    candidates = candidates[candidates > 0]
    p = np.interp(candidates - shift, halves, sf, left=1.0, right=0.0)
    best = int(np.argmin(np.abs(p - 0.5)))
    return float(candidates[best]), float(p[best])


def quote_totals(
    errors: ErrorModel,
    rng: np.random.Generator,
    n_books: int,
    noise: float,
    games_on_board: np.ndarray,  # (K, G) the game is on the board at snapshot k
    true_mean: np.ndarray,  # (G,)
    lag: np.ndarray,  # (G,) the books' lagged log view of the mean minus the true log mean
    sf: list[np.ndarray],
) -> TotalQuotes:
    """Every book's total for every game on the board at each snapshot (module doc)."""
    all_books = errors.books
    n_snaps, n_games = games_on_board.shape
    # Draws for every book the model knows, in a fixed order (as the props' market).
    e_market = correlated_errors(rng, errors.market_sd, errors.snapshot_corr, (n_games,))
    e_book = correlated_errors(rng, errors.book_sd, errors.snapshot_corr, (len(all_books), n_games))
    stale = rng.integers(5, 900, size=(n_snaps, len(all_books), n_games))
    sharp = np.array([b.sharpness for b in all_books])
    margin = np.array([b.margin for b in all_books])
    columns: list[list] = [[], [], [], [], [], []]
    for k in range(n_snaps):
        for g in np.flatnonzero(games_on_board[k]):
            for bk in range(n_books):
                log_error = noise * (
                    errors.over_shade + lag[g] + e_market[k, g] + sharp[bk] * e_book[k, bk, g]
                )
                shift = true_mean[g] * np.expm1(log_error)
                line, p_book = _book_line(sf[g], shift)
                for column, value in zip(columns, (k, bk, g, line, p_book, margin[bk]),
                                         strict=True):  # fmt: skip
                    column.append(value)
    snapshot, book, game = (np.array(c, dtype=np.int64) for c in columns[:3])
    line, p_book, book_margin = (np.array(c, dtype=float) for c in columns[3:])
    over, under = vig_prices(p_book, book_margin)
    return TotalQuotes(snapshot, book, game, line, over, under, stale[:, :n_books])


def lagged_log_ratio(rows: list[np.ndarray], log_mean: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Per game (its active rows): log(sum of the books' lagged means) - log(sum of the true)."""
    out = np.zeros(len(rows))
    for g, idx in enumerate(rows):
        if len(idx):
            true = np.exp(log_mean[idx])
            out[g] = np.log(np.sum(true * np.exp(lag[idx])) / np.sum(true))
    return out


def board(games: list, times: list[datetime]) -> np.ndarray:
    return np.array([[g.on_board(t) for g in games] for t in times], dtype=bool).reshape(
        len(times), len(games)
    )
