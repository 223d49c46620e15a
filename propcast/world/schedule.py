"""The schedule, built one night at a time so that a longer world extends a shorter one.

Each night draws a slate size from the weekday's weight (pulled back toward the league's
pace after a big or small night, as the real calendar is), then picks the teams most behind the
league's pace (about 3.5 games a week), with a cost for playing on consecutive nights (back-to-
backs happen, three nights in a row never) and pairs them avoiding recent rematches. The team
with fewer home games hosts. Tip-offs follow the home team's time zone; weekends have matinees;
there are no games on Thanksgiving, Christmas Eve and during the All-Star break, and five on
Christmas Day. About 0.5 % of games are postponed, announced on the day (some after the books
posted props, so a postponed game may have quotes to void).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from propcast.settings import SLATE_TZ
from propcast.world.leagues import LeagueSpec

POSTPONE_ANNOUNCED = (time(8, 0), time(12, 0), time(16, 0))


def eastern_to_utc(day: date, clock: time) -> datetime:
    """A US/Eastern wall-clock time on `day` as naive UTC (DST-aware)."""
    return datetime.combine(day, clock, SLATE_TZ).astimezone(UTC).replace(tzinfo=None)


@dataclass
class Game:
    game_id: str
    event_id: str
    game_date: date
    start_utc: datetime  # naive UTC
    home: int
    away: int
    postponed_at: datetime | None  # naive UTC; when the postponement became public
    home_score: int | None = None
    away_score: int | None = None

    @property
    def postponed(self) -> bool:
        return self.postponed_at is not None

    def on_board(self, at: datetime) -> bool:
        """Books show the game at `at` (naive UTC): not started, not pulled as postponed."""
        pulled = self.postponed_at is not None and self.postponed_at <= at
        return self.start_utc > at and not pulled


def is_off_day(day: date) -> bool:
    if day.month == 12 and day.day == 24:
        return True
    if day.month == 11 and day.weekday() == 3 and 22 <= day.day <= 28:  # Thanksgiving
        return True
    if day.month == 2:
        # All-Star Sunday is the third Sunday of February; no games Friday to Wednesday.
        first = date(day.year, 2, 1)
        sunday = first + timedelta(days=(6 - first.weekday()) % 7 + 14)
        return sunday - timedelta(days=2) <= day <= sunday + timedelta(days=3)
    return False


def is_christmas(day: date) -> bool:
    return day.month == 12 and day.day == 25


class Scheduler:
    """Stateful: call `slate` for consecutive days, starting at day 0."""

    def __init__(self, spec: LeagueSpec, seed: int, id_base: int) -> None:
        self.spec = spec
        self.seed = seed
        self.id_base = id_base
        n = len(spec.teams)
        self.played = np.zeros(n)
        self.home_games = np.zeros(n)
        self.away_games = np.zeros(n)
        self.last_day = np.full(n, -100)
        self.day_before_last = np.full(n, -100)
        self.meetings = np.zeros((n, n))
        self.last_meeting = np.full((n, n), -100)
        self.count = 0
        weights = np.array(spec.weekday_weights)
        self.weekday_weights = weights / weights.mean()
        self.pace = n * spec.games_per_team_week / 7 / 2  # games per night
        self.last_slate = self.pace

    def _slate_size(self, day: date, rng: np.random.Generator) -> int:
        if is_christmas(day):
            return len(self.spec.christmas_tipoffs)
        # Pulled back toward the league's pace after a big or small night: a slate much larger
        # than yesterday's can only be filled with back-to-backs.
        mean = self.pace * self.weekday_weights[day.weekday()]
        mean += self.spec.slate_reversion * (self.pace - self.last_slate)
        size = round(mean + rng.normal(0.0, self.spec.slate_sd))
        return int(np.clip(size, 1, len(self.spec.teams) // 2))

    def _tipoff(self, day: date, home: int, rng: np.random.Generator) -> time:
        spec = self.spec
        if day.weekday() >= 5 and rng.random() < spec.weekend_matinee_share:
            return spec.matinee_tipoffs[rng.integers(len(spec.matinee_tipoffs))]
        options = spec.zone_tipoffs[spec.teams[home].zone]
        weights = np.array([w for _, w in options])
        return options[rng.choice(len(options), p=weights / weights.sum())][0]

    def slate(self, d: int, day: date, rng: np.random.Generator) -> list[Game]:
        """The games of day index `d` (date `day`); empty on league off-days."""
        if is_off_day(day):
            self.last_slate = 0.0
            return []
        spec = self.spec
        played_yesterday = self.last_day == d - 1
        eligible = ~(played_yesterday & (self.day_before_last == d - 2))
        expected = (d + 1) * spec.games_per_team_week / 7
        priority = expected - self.played + rng.normal(0.0, 0.35, len(self.played))
        priority -= spec.back_to_back_penalty * played_yesterday
        candidates = np.flatnonzero(eligible)
        candidates = candidates[np.argsort(-priority[candidates], kind="stable")]
        n_games = min(self._slate_size(day, rng), len(candidates) // 2)
        self.last_slate = float(n_games)
        chosen = [int(t) for t in candidates[: 2 * n_games]]

        pairs: list[tuple[int, int]] = []
        while chosen:
            team = chosen.pop(0)
            costs = [
                self.meetings[team, other]
                + 2.0 * (d - self.last_meeting[team, other] < 10)
                + rng.uniform(0.0, 0.5)
                for other in chosen
            ]
            other = chosen.pop(int(np.argmin(costs)))
            balance = (self.home_games - self.away_games)[[team, other]]
            if balance[0] < balance[1] or (balance[0] == balance[1] and rng.random() < 0.5):
                pairs.append((team, other))
            else:
                pairs.append((other, team))

        tipoffs = [self._tipoff(day, home, rng) for home, _ in pairs]
        if is_christmas(day):  # the league's showcase: staggered national-TV tip-offs
            showcase = spec.christmas_tipoffs[: len(pairs)]
            tipoffs[: len(showcase)] = showcase
        postponed = rng.random(len(pairs)) < spec.postpone_rate
        announced = rng.integers(len(POSTPONE_ANNOUNCED), size=len(pairs))

        order = sorted(range(len(pairs)), key=lambda i: (tipoffs[i], pairs[i]))
        games = []
        for i in order:
            home, away = pairs[i]
            start = eastern_to_utc(day, tipoffs[i])
            postponed_at = None
            if postponed[i]:
                postponed_at = min(
                    eastern_to_utc(day, POSTPONE_ANNOUNCED[announced[i]]),
                    start - timedelta(hours=1),
                )
            self.count += 1
            game_id = f"{spec.game_id_prefix}{self.id_base + self.count:06d}"
            digest = hashlib.md5(f"{spec.name}:{self.seed}:{game_id}".encode()).hexdigest()
            games.append(Game(game_id, digest, day, start, home, away, postponed_at))
            self._record(d, home, away, played=not postponed[i])
        return games

    def _record(self, d: int, home: int, away: int, *, played: bool) -> None:
        self.home_games[home] += 1
        self.away_games[away] += 1
        self.meetings[home, away] += 1
        self.meetings[away, home] += 1
        self.last_meeting[home, away] = self.last_meeting[away, home] = d
        if not played:
            return  # a postponed game is owed: keep the team's deficit, no fatigue
        for team in (home, away):
            self.played[team] += 1
            self.day_before_last[team] = self.last_day[team]
            self.last_day[team] = d
