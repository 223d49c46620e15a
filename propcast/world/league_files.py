"""The league's own files: the season schedule (at noon the day before a season's first date),
and for each game date the availability report of who is out (09:00 US/Eastern on the date,
before the first odds), the results and the boxscores (03:00 the next day). File names carry
`<game_date>__<fetched_at>` (fetched_at in UTC, `YYYYMMDDTHHMMSSZ`), as every feed's do."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from propcast.world.leagues import LeagueSpec
from propcast.world.roster import Roster
from propcast.world.schedule import Game, eastern_to_utc
from propcast.world.season import OUT_INJURED, OUT_RESTING, Day

SCHEDULE_HEADER = [
    "game_id", "league", "season", "game_date", "start_time_utc", "home_team", "away_team",
    "status", "home_score", "away_score", "fetched_at",
]  # fmt: skip
AVAILABILITY_HEADER = [
    "game_id", "league", "game_date", "team", "player_id", "player_name", "status", "reason",
    "reported_at", "fetched_at",
]  # fmt: skip
#: `Day.out` code → the report's reason (every listed player's status is `out`).
OUT_REASONS = {OUT_INJURED: "injury", OUT_RESTING: "rest"}
AVAILABILITY_PUBLISHED = time(9, 0)  # US/Eastern, on the game date (before the first odds)
SEASON_PUBLISHED = time(12, 0)  # US/Eastern, the day before the first date
RESULTS_PUBLISHED = time(3, 0)  # US/Eastern, the day after the game date


def iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def compact(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def season_opening(day: date) -> date:
    """The first day of `day`'s season: July 1 (a season spans the new year)."""
    return date(day.year if day.month >= 7 else day.year - 1, 7, 1)


def season_label(day: date) -> str:
    """`2026-27` for a date from July 2026 to June 2027."""
    first = season_opening(day).year
    return f"{first}-{(first + 1) % 100:02d}"


def boxscore_header(spec: LeagueSpec) -> list[str]:
    stats = [s.column for s in spec.stats]
    return [
        "game_id", "league", "game_date", "team", "opponent", "player_id", "player_name",
        "starter", "minutes", *stats, "fetched_at",
    ]  # fmt: skip


class LeagueFiles:
    """Writes the league's files under `folder` (feeds/league); `files` counts them."""

    def __init__(self, folder: Path, spec: LeagueSpec, roster: Roster) -> None:
        self.spec, self.roster = spec, roster
        self.schedule_dir = folder / "schedule"
        self.box_dir = folder / "boxscores"
        self.availability_dir = folder / "availability"
        for path in (self.schedule_dir, self.box_dir, self.availability_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.files = 0

    def write_day(self, day: Day) -> int:
        """The date's report, results and boxscores; returns the files written."""
        before = self.files
        self._write_availability(day)
        published = eastern_to_utc(day.day + timedelta(days=1), RESULTS_PUBLISHED)
        self._write_results(day, published)
        self._write_boxscores(day, published)
        return self.files - before

    def _write_csv(self, path: Path, header: list[str], records: Iterable[tuple]) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(records)
        self.files += 1

    def _write_results(self, day: Day, published: datetime) -> None:
        path = self.schedule_dir / f"{day.day.isoformat()}__{compact(published)}.csv"
        self._write_schedule_file(path, day.games, published, final=True)

    def _write_boxscores(self, day: Day, published: datetime) -> None:
        spec, roster = self.spec, self.roster
        fetched = iso_z(published)
        records = []
        for g, match in enumerate(day.games):
            if match.postponed:
                continue
            for team, opponent in ((match.home, match.away), (match.away, match.home)):
                idx = np.flatnonzero((day.row_game == g) & (day.row_team == team) & day.played)
                players = day.row_player[idx]
                # Starters first, then by minutes, as a box score reads.
                idx = idx[np.lexsort((roster.slot[players], -day.minutes[idx], ~day.starter[idx]))]
                for r in idx.tolist():
                    p = int(day.row_player[r])
                    records.append((
                        match.game_id, spec.name, match.game_date.isoformat(),
                        spec.teams[team].feed_code, spec.teams[opponent].feed_code,
                        roster.player_ids[p], roster.names[p].league,
                        "true" if day.starter[r] else "false", int(day.minutes[r]),
                        *(int(x) for x in day.stats[r]), fetched,
                    ))  # fmt: skip
        if not records:  # every game postponed: nothing to publish
            return
        path = self.box_dir / f"{day.day.isoformat()}__{compact(published)}.csv"
        self._write_csv(path, boxscore_header(spec), records)

    def _write_availability(self, day: Day) -> None:
        """The league's report of the players out for the date's games (injured or resting),
        published the morning of the game date: what the books react to late (market.py)."""
        spec, roster = self.spec, self.roster
        published = eastern_to_utc(day.day, AVAILABILITY_PUBLISHED)
        stamp = iso_z(published)
        records = []
        for g, match in enumerate(day.games):
            if match.postponed:
                continue
            rows = np.flatnonzero((day.row_game == g) & (day.out != 0))
            for r in rows[np.lexsort((roster.slot[day.row_player[rows]], day.row_team[rows]))]:
                p = int(day.row_player[r])
                records.append((
                    match.game_id, spec.name, match.game_date.isoformat(),
                    spec.teams[int(day.row_team[r])].feed_code, roster.player_ids[p],
                    roster.names[p].league, "out", OUT_REASONS[int(day.out[r])], stamp, stamp,
                ))  # fmt: skip
        if not records:
            return
        path = self.availability_dir / f"{day.day.isoformat()}__{compact(published)}.csv"
        self._write_csv(path, AVAILABILITY_HEADER, records)

    def write_season_schedule(self, games: list[Game], start: date) -> int:
        """Each season's games as scheduled, one file per season (`season_opening`), published at
        noon the day before the season's first date in the world (the first season's: the day
        before the world's first date). One file for a multi-season world would list games
        over a year past its publication, which ingest refuses as a schedule row. Returns the
        files written."""
        before = self.files
        by_season: dict[date, list[Game]] = {}
        for game in games:
            by_season.setdefault(season_opening(game.game_date), []).append(game)
        for opening, season_games in by_season.items():
            opens = max(start, opening)
            published = eastern_to_utc(opens - timedelta(days=1), SEASON_PUBLISHED)
            first = min(g.game_date for g in season_games)
            path = self.schedule_dir / f"{first.isoformat()}__{compact(published)}.csv"
            self._write_schedule_file(path, season_games, published, final=False)
        return self.files - before

    def _write_schedule_file(
        self, path: Path, games: list[Game], published: datetime, *, final: bool
    ) -> None:
        spec = self.spec
        fetched = iso_z(published)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(SCHEDULE_HEADER)
            for g in games:
                if not final:
                    status, home_score, away_score = "scheduled", "", ""
                elif g.postponed:
                    status, home_score, away_score = "postponed", "", ""
                else:
                    status, home_score, away_score = "final", g.home_score, g.away_score
                writer.writerow((
                    g.game_id, spec.name, season_label(g.game_date), g.game_date.isoformat(),
                    iso_z(g.start_utc), spec.teams[g.home].feed_code,
                    spec.teams[g.away].feed_code, status, home_score, away_score, fetched,
                ))  # fmt: skip
        self.files += 1
