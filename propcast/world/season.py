"""Day-by-day simulation: who plays, their true stat distributions, the books' quotes, results.

Random streams are derived from (seed, purpose, day), so the games, players and stats do not
depend on how many books there are or how noisy the market is: two worlds that differ only in
`books` or `market_noise` share their boxscores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from propcast.world import distributions as dist
from propcast.world import totals as game_totals
from propcast.world.leagues import LeagueSpec
from propcast.world.market import ErrorModel, correlated_errors, vig_prices
from propcast.world.night import draw_night
from propcast.world.roster import Roster, make_roster, spread_minutes
from propcast.world.schedule import Game, Scheduler, eastern_to_utc

# Purposes of the random streams; never renumber (it would change every world), only append.
_ROSTER, _META, _INIT, _SCHEDULE, _SIM, _MARKET, VENDOR_NAMES, VENDOR_ERRORS = range(8)
# Game totals (world/totals.py): the combined score's simulation and the books' totals.
TOTALS_SIM, TOTALS_MARKET = 8, 9
ROSTER_STREAM = _ROSTER


def stream(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


#: Marks the season's key in a stream's entropy (appended after the purpose's own keys).
_SEASON = 1_000_003


@dataclass(frozen=True)
class Quotes:
    """Posted two-way quotes of a day, one entry per (snapshot, book, player row, stat)."""

    snapshot: np.ndarray
    book: np.ndarray
    row: np.ndarray
    stat: np.ndarray
    line: np.ndarray
    over: np.ndarray  # American odds
    under: np.ndarray
    seconds_stale: np.ndarray  # (K, books, games, stats) age of each market at the snapshot

    def __len__(self) -> int:
        return len(self.row)


@dataclass(frozen=True)
class Day:
    """One simulated date. Rows are (game, player) pairs: home roster then away roster."""

    day: date
    games: list[Game]
    snapshot_times: list[datetime]  # naive UTC
    row_game: np.ndarray
    row_player: np.ndarray
    row_team: np.ndarray
    row_opponent: np.ndarray
    played: np.ndarray  # appears in the boxscore
    starter: np.ndarray
    minutes: np.ndarray
    stats: np.ndarray  # (rows, stats)
    true_mean: np.ndarray  # (rows, stats)
    quotes: Quotes
    totals: game_totals.DayTotals
    # Why a rostered player sits the night out (the league's availability report): OUT_* codes.
    out: np.ndarray
    # The hidden state behind true_mean, written to the truth only (bench/quality's oracle):
    # each row's expected minutes tonight and log form per stat.
    expected_minutes: np.ndarray
    form: np.ndarray  # (rows, stats)
    # The books' minutes lag (`Season._minutes_lag`, 0 for inactive rows): bench/quality_bound.
    minutes_lag: np.ndarray


#: `Day.out` codes: available, out injured, out resting (a top player's back-to-back night).
AVAILABLE, OUT_INJURED, OUT_RESTING = 0, 1, 2


class Season:
    def __init__(
        self,
        spec: LeagueSpec,
        *,
        seed: int,
        start: date,
        books: int,
        market_noise: float,
        errors: ErrorModel,
        season: int = 0,
    ) -> None:
        self.spec, self.seed, self.start, self.season = spec, seed, start, season
        self.n_books, self.errors = books, errors
        # Per stat: market_noise times the error model's calibration of that market.
        self.market_noise = market_noise * np.array([errors.noise_of(s.market) for s in spec.stats])
        self.totals_noise = market_noise * errors.noise_of(
            f"{game_totals.MARKET}_{spec.score_stat}"
        )
        self.roster: Roster = make_roster(spec, stream(seed, _ROSTER))
        id_base = int(stream(seed, _META).integers(100, 800)) * 1000
        self.scheduler = Scheduler(spec, seed, id_base)

        init = self._stream(_INIT)
        n, n_stats = self.roster.size, len(spec.stats)
        self.form = init.normal(0.0, spec.form_sd, (n, n_stats))
        self.role = init.normal(0.0, spec.role_sd, n)
        self.form_history = [self.form.copy()]
        # The world starts mid-stream: some players are already hurt.
        self.out_until = np.where(init.random(n) < 0.1, init.integers(1, 25, n), 0)
        self.missed = np.zeros(n, dtype=np.int64)
        self.ramp_left = np.zeros(n, dtype=np.int64)
        self.team_last_played = np.full(len(spec.teams), -100)
        self.minutes_ema = np.zeros(n)
        for t in range(len(spec.teams)):
            members = self.roster.team == t
            self.minutes_ema[members] = spread_minutes(
                self.roster.base_minutes[members] * np.exp(self.role[members]),
                spec.team_minutes,
                spec.minutes_cap,
            )
        self.games: list[Game] = []

    def _stream(self, purpose: int, *keys: int) -> np.random.Generator:
        """The stream of a purpose in this season. Season 0 keeps the streams every world was
        generated from before seasons existed (the same bytes); a later season of the same
        seed keeps its players (roster and ids are the seed's) but lives its own nights: its
        form, minutes roles, injuries, schedule, draws and books' errors are drawn anew."""
        season = (_SEASON, self.season) if self.season else ()
        return stream(self.seed, purpose, *keys, *season)

    # -- one day --------------------------------------------------------------------------

    def simulate_day(self, d: int) -> Day:
        spec, roster = self.spec, self.roster
        day = self.start + timedelta(days=d)
        sim = self._stream(_SIM, d)
        self._drift(sim)
        games = self.scheduler.slate(d, day, self._stream(_SCHEDULE, d))
        self.games.extend(games)
        snapshot_times = [eastern_to_utc(day, t) for t in self.errors.snapshots_et]
        if not games:
            return self._empty_day(day, snapshot_times)

        n_slots = len(spec.slots)
        row_game = np.repeat(np.arange(len(games)), 2 * n_slots)
        sides = np.array([[g.home, g.away] for g in games])  # (G, 2)
        row_team = np.repeat(sides.ravel(), n_slots)
        row_opponent = np.repeat(sides[:, ::-1].ravel(), n_slots)
        row_home = np.tile(np.repeat([True, False], n_slots), len(games))
        # Rosters are stored team by team, one player per depth slot.
        row_player = row_team * n_slots + np.tile(np.arange(n_slots), 2 * len(games))
        postponed = np.array([g.postponed for g in games])[row_game]

        back_to_back = (self.team_last_played == d - 1)[row_team]
        active = self.out_until[row_player] <= d
        top = roster.slot[row_player] < spec.rest_top
        rested = back_to_back & top & (sim.random(len(row_player)) < spec.rest_share)
        out = np.where(active, np.where(rested, OUT_RESTING, AVAILABLE), OUT_INJURED)
        active &= ~rested
        # A player back after missing games plays on a minutes restriction.
        returning = active & (self.missed[row_player] >= 2)
        self.ramp_left[row_player[returning]] = len(spec.return_ramp)
        self.missed[row_player[returning]] = 0

        minutes_expected, starter = self._expected_minutes(
            row_player, row_team, row_game, active, back_to_back
        )
        log_mean = self._log_true_mean(
            row_player, row_team, row_opponent, row_home, back_to_back, minutes_expected
        )
        true_mean = np.exp(log_mean)
        true_mean[~active] = 0.0

        # Draw the night (stats first: the market must not move the draws).
        played, minutes, stats = draw_night(
            spec, self.errors.books, sim, games, row_game, row_player, row_team, active,
            minutes_expected, true_mean,
        )  # fmt: skip
        minutes_lag = np.where(active, self._minutes_lag(row_player, minutes_expected), 0.0)
        lag = self._lag(row_player, active, minutes_lag)
        quotes = self._quote(
            d, games, snapshot_times, row_game, active, minutes_expected, log_mean, lag
        )
        totals = self._totals(
            d, games, snapshot_times, row_game, row_team, active, minutes_expected,
            log_mean, true_mean, lag,
        )  # fmt: skip
        self._settle_state(d, games, row_game, row_player, row_team, active, played,
                           postponed, minutes_expected, sim)  # fmt: skip
        return Day(
            day, games, snapshot_times, row_game, row_player, row_team, row_opponent,
            played & ~postponed, starter & played & ~postponed, minutes, stats, true_mean,
            quotes, totals, out.astype(np.int8), minutes_expected, self.form[row_player],
            minutes_lag,
        )  # fmt: skip

    def _drift(self, rng: np.random.Generator) -> None:
        """Form and minutes role follow stationary AR(1) processes, one step per day."""
        spec = self.spec
        phi, sd = spec.form_phi, spec.form_sd
        self.form = phi * self.form + np.sqrt(1 - phi**2) * sd * rng.normal(size=self.form.shape)
        phi, sd = spec.role_phi, spec.role_sd
        self.role = phi * self.role + np.sqrt(1 - phi**2) * sd * rng.normal(size=self.role.shape)
        self.form_history.append(self.form.copy())
        keep = self.errors.form_lag_days + 1
        if len(self.form_history) > keep:
            del self.form_history[0]

    def _expected_minutes(
        self,
        row_player: np.ndarray,
        row_team: np.ndarray,
        row_game: np.ndarray,
        active: np.ndarray,
        back_to_back: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        spec, roster = self.spec, self.roster
        ramp = np.ones(len(row_player))
        left = self.ramp_left[row_player]
        for k, factor in enumerate(spec.return_ramp):
            ramp[left == len(spec.return_ramp) - k] = factor
        weight = roster.base_minutes[row_player] * np.exp(self.role[row_player]) * ramp
        weight *= np.where(back_to_back & (roster.slot[row_player] < spec.starters),
                           spec.back_to_back_minutes, 1.0)  # fmt: skip
        weight[~active] = 0.0
        minutes = np.zeros(len(row_player))
        starter = np.zeros(len(row_player), dtype=bool)
        group = row_game * len(spec.teams) + row_team
        for key in np.unique(group):
            idx = np.flatnonzero(group == key)
            minutes[idx] = spread_minutes(weight[idx], spec.team_minutes, spec.minutes_cap)
            order = idx[np.lexsort((roster.slot[row_player[idx]], -minutes[idx]))]
            starter[order[: spec.starters]] = active[order[: spec.starters]]
        return minutes, starter

    def _log_true_mean(
        self,
        row_player: np.ndarray,
        row_team: np.ndarray,
        row_opponent: np.ndarray,
        row_home: np.ndarray,
        back_to_back: np.ndarray,
        minutes: np.ndarray,
    ) -> np.ndarray:
        spec, roster = self.spec, self.roster
        pace = 0.5 * (roster.team_pace[row_team] + roster.team_pace[row_opponent])
        home_edge = np.array([s.home_log_edge for s in spec.stats])
        b2b = np.log([s.back_to_back for s in spec.stats])
        with np.errstate(divide="ignore"):
            log_minutes = np.log(minutes)
        return (
            log_minutes[:, None]
            + np.log(roster.rate[row_player])
            + self.form[row_player]
            + pace[:, None]
            + roster.team_defence[row_opponent]
            + np.where(row_home, 1.0, -1.0)[:, None] * home_edge[None, :]
            + back_to_back[:, None] * b2b[None, :]
        )

    def _quote(
        self,
        d: int,
        games: list[Game],
        snapshot_times: list[datetime],
        row_game: np.ndarray,
        active: np.ndarray,
        minutes_expected: np.ndarray,
        log_mean: np.ndarray,
        lag: np.ndarray,
    ) -> Quotes:
        spec, errors = self.spec, self.errors
        rng = self._stream(_MARKET, d)
        all_books = errors.books
        n_books, n_rows, n_stats = len(all_books), *log_mean.shape
        n_snaps = len(snapshot_times)

        # Draws are made for every book the model knows, in a fixed order, so that a world
        # with fewer books quotes exactly like the first books of a world with more.
        skip_player = rng.random((n_books, n_rows)) < errors.skip_player
        skip_market = rng.random((n_books, n_rows, n_stats)) < errors.skip_market
        first = rng.choice(n_snaps, size=(n_books, n_rows), p=errors.first_posted)
        e_market = correlated_errors(
            rng, errors.market_sd, errors.snapshot_corr, (n_rows, n_stats)
        )  # (K, R, S)
        e_book = correlated_errors(
            rng, errors.book_sd, errors.snapshot_corr, (n_books, n_rows, n_stats)
        )  # (K, B, R, S)
        stale = rng.integers(5, 900, size=(n_snaps, n_books, len(games), n_stats))

        min_minutes = np.array([b.min_minutes for b in all_books]) * spec.offer_minutes_scale
        offered = (
            active[None, :]
            & (minutes_expected[None, :] >= np.maximum(min_minutes[:, None], spec.rotation_minutes))
            & ~skip_player
        )[:, :, None] & ~skip_market  # (B, R, S)
        offered = offered[: self.n_books]

        sharp = np.array([b.sharpness for b in all_books])
        margin = np.array([b.margin for b in all_books])
        parts = []
        for k, at in enumerate(snapshot_times):
            showing = np.array([g.on_board(at) for g in games])[row_game]
            posted = offered & showing[None, :, None] & (first[: self.n_books] <= k)[:, :, None]
            b_idx, r_idx, s_idx = np.nonzero(posted)
            if len(b_idx) == 0:
                continue
            noise = (
                errors.over_shade
                + lag[r_idx, s_idx]
                + e_market[k, r_idx, s_idx]
                + sharp[b_idx] * e_book[k, b_idx, r_idx, s_idx]
            )
            book_mean = np.exp(log_mean[r_idx, s_idx] + self.market_noise[s_idx] * noise)
            line = np.zeros(len(b_idx))
            p_book = np.zeros(len(b_idx))
            for s, stat in enumerate(spec.stats):
                sel = s_idx == s
                line[sel], p_book[sel] = dist.median_line(stat, book_mean[sel])
            keep = np.abs(p_book - 0.5) <= errors.max_p_over - 0.5
            over, under = vig_prices(p_book[keep], margin[b_idx[keep]])
            parts.append((np.full(keep.sum(), k), b_idx[keep], r_idx[keep], s_idx[keep],
                          line[keep], over, under))  # fmt: skip
        if not parts:
            return _no_quotes(stale[:, : self.n_books])
        columns = [np.concatenate(c) for c in zip(*parts, strict=True)]
        return Quotes(*columns, seconds_stale=stale[:, : self.n_books])

    def _lag(
        self, row_player: np.ndarray, active: np.ndarray, minutes_lag: np.ndarray
    ) -> np.ndarray:
        """(rows, stats): the books' lagged log view of each mean minus the true log mean
        (`minutes_lag`: `_minutes_lag` of the rows)."""
        lagged_form = self.form_history[0][row_player]
        return np.where(active[:, None], minutes_lag[:, None] + lagged_form - self.form[row_player],
                        0.0)  # fmt: skip

    def _minutes_lag(self, row_player: np.ndarray, minutes_expected: np.ndarray) -> np.ndarray:
        """(rows,): the books' log view of tonight's minutes minus the true log minutes, before
        the market's noise multiplier (market.py: a blend of the truth and the players' EMA)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.errors.minutes_lag_weight * (
                np.log(self.minutes_ema[row_player]) - np.log(minutes_expected)
            )

    def _totals(
        self,
        d: int,
        games: list[Game],
        snapshot_times: list[datetime],
        row_game: np.ndarray,
        row_team: np.ndarray,
        active: np.ndarray,
        minutes_expected: np.ndarray,
        log_mean: np.ndarray,
        true_mean: np.ndarray,
        lag: np.ndarray,
    ) -> game_totals.DayTotals:
        """The games' combined-score distributions and the books' totals (world/totals.py),
        from streams of their own: nothing else of the world moves."""
        spec = self.spec
        score_k = next(k for k, s in enumerate(spec.stats) if s.column == spec.score_stat)
        sim = self._stream(TOTALS_SIM, d)
        survival, means, game_rows = [], [], []
        for g, game in enumerate(games):
            sides = [np.flatnonzero((row_game == g) & (row_team == t) & active)
                     for t in (game.home, game.away)]  # fmt: skip
            scores = game_totals.score_distribution(
                spec, sim, sides, true_mean[:, score_k], minutes_expected
            )
            survival.append(game_totals.survival(scores))
            means.append(float(scores.mean()))
            game_rows.append(np.concatenate(sides))
        with np.errstate(divide="ignore"):
            log_points = log_mean[:, score_k]
        quotes = game_totals.quote_totals(
            self.errors,
            self._stream(TOTALS_MARKET, d),
            self.n_books,
            self.totals_noise,
            game_totals.board(games, snapshot_times),
            np.array(means),
            game_totals.lagged_log_ratio(game_rows, log_points, lag[:, score_k]),
            survival,
        )
        return game_totals.DayTotals(np.array(means), survival, quotes)

    def _settle_state(
        self,
        d: int,
        games: list[Game],
        row_game: np.ndarray,
        row_player: np.ndarray,
        row_team: np.ndarray,
        active: np.ndarray,
        played: np.ndarray,
        postponed: np.ndarray,
        minutes_expected: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        """After the night: fatigue, missed-game counts, injuries, the books' memory."""
        spec, errors = self.spec, self.errors
        held = ~postponed
        for g in games:
            if not g.postponed:
                self.team_last_played[[g.home, g.away]] = d
        players = row_player[held]
        was_active, did_play = active[held], played[held]
        self.missed[players[~was_active]] += 1
        self.missed[players[was_active]] = 0
        self.ramp_left[players[did_play]] = np.maximum(self.ramp_left[players[did_play]] - 1, 0)
        alpha = errors.minutes_ema_alpha
        on = players[was_active]
        self.minutes_ema[on] += alpha * (minutes_expected[held][was_active] - self.minutes_ema[on])

        hurt = rng.random(len(players)) < spec.injury_hazard
        length = np.exp(rng.normal(np.log(spec.injury_median_days), spec.injury_log_sd,
                                   len(players)))  # fmt: skip
        length = np.clip(np.round(length), 1, spec.injury_max_days).astype(np.int64)
        for i in np.flatnonzero(hurt & did_play):
            team = row_team[held][i]
            out_now = np.count_nonzero((self.out_until > d + 1) & (self.roster.team == team))
            if out_now < spec.max_out_per_team:
                self.out_until[players[i]] = d + 1 + length[i]

    def _empty_day(self, day: date, snapshot_times: list[datetime]) -> Day:
        n_stats = len(self.spec.stats)
        empty_i = np.zeros(0, dtype=np.int64)
        quotes = _no_quotes(np.zeros((len(snapshot_times), self.n_books, 0, n_stats)))
        no = np.zeros(0, dtype=bool)
        stats = np.zeros((0, n_stats), dtype=np.int64)
        totals = game_totals.no_totals(len(snapshot_times), self.n_books, 0)
        no_out = np.zeros(0, dtype=np.int8)
        return Day(day, [], snapshot_times, empty_i, empty_i, empty_i, empty_i, no, no, empty_i,
                   stats, np.zeros((0, n_stats)), quotes, totals, no_out, np.zeros(0),
                   np.zeros((0, n_stats)), np.zeros(0))  # fmt: skip


def _no_quotes(stale: np.ndarray) -> Quotes:
    none = np.zeros(0, dtype=np.int64)
    return Quotes(none, none, none, none, np.zeros(0), none, none, stale)
