"""Writers: the vendors' published files and the ground truth, in docs/ARCHITECTURE.md's formats.

File names carry `<game_date>__<fetched_at>` with fetched_at in UTC (`YYYYMMDDTHHMMSSZ`); the
fetch step publishes a file from that moment on, so the time in the name is when the vendor
produced it: odds snapshots at 10:00/14:00/18:00 US/Eastern on the game date, the season
schedule at noon the day before the first date, results and boxscores at 03:00 the next day.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO

import numpy as np

from propcast.world import distributions as dist
from propcast.world.leagues import LeagueSpec
from propcast.world.market import BookSpec
from propcast.world.roster import Roster
from propcast.world.schedule import Game, eastern_to_utc
from propcast.world.season import Day

SCHEDULE_HEADER = [
    "game_id", "league", "season", "game_date", "start_time_utc", "home_team", "away_team",
    "status", "home_score", "away_score", "fetched_at",
]  # fmt: skip
TRUTH_HEADER = [
    "game_id", "event_id", "game_date", "player_id", "market", "line", "true_mean", "true_p_over",
]  # fmt: skip
SEASON_PUBLISHED = time(12, 0)  # US/Eastern, the day before the first date
RESULTS_PUBLISHED = time(3, 0)  # US/Eastern, the day after the game date


def iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def compact(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def season_label(day: date) -> str:
    """`2026-27` for a date from July 2026 to June 2027 (a season spans the new year)."""
    first = day.year if day.month >= 7 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def boxscore_header(spec: LeagueSpec) -> list[str]:
    stats = [s.column for s in spec.stats]
    return [
        "game_id", "league", "game_date", "team", "opponent", "player_id", "player_name",
        "starter", "minutes", *stats, "fetched_at",
    ]  # fmt: skip


class FeedWriter:
    """Writes a world's files as its days are simulated; counts what it wrote."""

    def __init__(
        self, out_dir: Path, spec: LeagueSpec, roster: Roster, books: tuple[BookSpec, ...]
    ) -> None:
        self.spec, self.roster, self.books = spec, roster, books
        self.feeds = out_dir / "feeds"
        self.truth_dir = out_dir / "truth"
        self.odds_dir = self.feeds / "oddsapi" / "prop_odds"
        self.schedule_dir = self.feeds / "league" / "schedule"
        self.box_dir = self.feeds / "league" / "boxscores"
        for folder in (self.odds_dir, self.schedule_dir, self.box_dir, self.truth_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.files = 0
        self.quote_rows = 0
        self.truth_rows = 0
        self._truth: IO[str] = open(  # noqa: SIM115 - stays open while days stream in
            self.truth_dir / "prop_truth.csv", "w", newline="", encoding="utf-8"
        )
        self._truth_csv = csv.writer(self._truth, lineterminator="\n")
        self._truth_csv.writerow(TRUTH_HEADER)
        self.files += 1

    def close(self) -> None:
        self._truth.close()

    # -- per day ----------------------------------------------------------------------------

    def write_day(self, day: Day) -> None:
        if not day.games:
            return
        self._write_odds(day)
        self._write_truth(day)
        published = eastern_to_utc(day.day + timedelta(days=1), RESULTS_PUBLISHED)
        self._write_results(day, published)
        self._write_boxscores(day, published)

    def _write_odds(self, day: Day) -> None:
        spec, roster, q = self.spec, self.roster, day.quotes
        if len(q) == 0:
            return
        game_of = day.row_game[q.row]
        order = np.lexsort((q.row, q.stat, q.book, game_of, q.snapshot))
        snap, game, book = q.snapshot[order].tolist(), game_of[order].tolist(), q.book[order]
        book, stat = book.tolist(), q.stat[order].tolist()
        player = day.row_player[q.row[order]].tolist()
        line, over, under = q.line[order].tolist(), q.over[order].tolist(), q.under[order].tolist()
        stale = q.seconds_stale
        names = [n.vendor for n in roster.names]

        docs: dict[int, list[dict]] = {}
        event = bookmaker = outcomes = None
        current: tuple = ()
        for i in range(len(order)):
            k, g, b, s = snap[i], game[i], book[i], stat[i]
            if current[:2] != (k, g):
                match = day.games[g]
                event = {
                    "id": match.event_id,
                    "sport_key": spec.sport_key,
                    "sport_title": spec.sport_title,
                    "commence_time": iso_z(match.start_utc),
                    "home_team": spec.teams[match.home].vendor_name,
                    "away_team": spec.teams[match.away].vendor_name,
                    "bookmakers": [],
                }
                docs.setdefault(k, []).append(event)
                current = ()
            if current[:3] != (k, g, b):
                bookmaker = {"key": self.books[b].key, "title": self.books[b].title,
                             "last_update": "", "markets": []}  # fmt: skip
                event["bookmakers"].append(bookmaker)
            if current != (k, g, b, s):
                updated = iso_z(day.snapshot_times[k] - timedelta(seconds=int(stale[k, b, g, s])))
                outcomes = []
                bookmaker["markets"].append(
                    {"key": spec.stats[s].market, "last_update": updated, "outcomes": outcomes}
                )
                # A bookmaker's last_update is its most recently updated market's.
                bookmaker["last_update"] = max(bookmaker["last_update"], updated)
                current = (k, g, b, s)
            name = names[player[i]]
            outcomes.append({"name": "Over", "description": name, "price": over[i],
                             "point": line[i]})  # fmt: skip
            outcomes.append({"name": "Under", "description": name, "price": under[i],
                             "point": line[i]})  # fmt: skip
        self.quote_rows += 2 * len(order)

        taken = sorted(docs)
        stamps = [iso_z(day.snapshot_times[k]) for k in taken]
        for j, k in enumerate(taken):
            doc = {
                "timestamp": stamps[j],
                "previous_timestamp": stamps[j - 1] if j > 0 else None,
                "next_timestamp": stamps[j + 1] if j + 1 < len(taken) else None,
                "data": docs[k],
            }
            path = self.odds_dir / f"{day.day.isoformat()}__{compact(day.snapshot_times[k])}.json"
            path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
            self.files += 1

    def _write_truth(self, day: Day) -> None:
        q = day.quotes
        if len(q) == 0:
            return
        # One row per distinct offered line, whichever books and snapshots offered it.
        # One integer key per (row, stat, line) sorts like the tuple (lines stay under 5000).
        n_stats = len(self.spec.stats)
        half_points = np.round(q.line * 2).astype(np.int64)
        keys = np.unique((q.row * n_stats + q.stat) * 10_000 + half_points)
        rows, stats = np.divmod(keys // 10_000, n_stats)
        lines = (keys % 10_000) / 2.0
        means = day.true_mean[rows, stats]
        p_over = np.empty(len(rows))
        for s, stat in enumerate(self.spec.stats):
            sel = stats == s
            p_over[sel] = dist.p_over(stat, means[sel], lines[sel])
        games = day.row_game[rows].tolist()
        players = day.row_player[rows].tolist()
        game_date = day.day.isoformat()
        records = []
        for i in range(len(rows)):
            match = day.games[games[i]]
            records.append((
                match.game_id, match.event_id, game_date, self.roster.player_ids[players[i]],
                self.spec.stats[stats[i]].market, f"{lines[i]:.1f}", f"{means[i]:.4f}",
                f"{p_over[i]:.6f}",
            ))  # fmt: skip
        self._truth_csv.writerows(records)
        self.truth_rows += len(records)

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
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(boxscore_header(spec))
            writer.writerows(records)
        self.files += 1

    # -- once -------------------------------------------------------------------------------

    def write_season_schedule(self, games: list[Game], start: date) -> None:
        """All games as scheduled, published at noon the day before the world's first date."""
        if not games:
            return
        published = eastern_to_utc(start - timedelta(days=1), SEASON_PUBLISHED)
        first = min(g.game_date for g in games)
        path = self.schedule_dir / f"{first.isoformat()}__{compact(published)}.csv"
        self._write_schedule_file(path, games, published, final=False)

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

    def write_world_json(self, params: dict) -> None:
        path = self.truth_dir / "world.json"
        path.write_text(json.dumps(params, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self.files += 1
