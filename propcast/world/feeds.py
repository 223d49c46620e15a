"""Writers: the vendors' published files and the ground truth, in docs/ARCHITECTURE.md's formats.

File names carry `<game_date>__<fetched_at>` with fetched_at in UTC (`YYYYMMDDTHHMMSSZ`); the
fetch step publishes a file from that moment on, so the time in the name is when the vendor
produced it: odds snapshots at each vendor's clock on the game date (oddsapi 10:00/14:00/18:00
US/Eastern, csvfeed five minutes later, decimalfeed half an hour earlier: `vendors.py`), and
the league's own files when league_files.py says.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from propcast.settings import SLATE_TZ
from propcast.world.league_files import LeagueFiles, compact, iso_z
from propcast.world.leagues import LeagueSpec
from propcast.world.market import BookSpec
from propcast.world.roster import Roster
from propcast.world.schedule import Game
from propcast.world.season import VENDOR_ERRORS, VENDOR_NAMES, Day, stream
from propcast.world.truth_files import TruthFiles
from propcast.world.vendors import (
    CSV_BOOK_CODES,
    CSV_STAT_CODES,
    CSV_TEAM_CODES,
    CSV_TOTAL_CODE,
    DECIMAL_TOTAL_MARKET,
    ODDSAPI_TOTAL_MARKET,
    VENDOR_KEYS,
    american_to_decimal,
    carriage,
    vendor_names,
    vendor_spec,
)

CSVFEED_HEADER = [
    "snapshot_time", "league", "game_start", "home", "away", "book", "player", "stat", "line",
    "over_odds", "under_odds",
]  # fmt: skip


def iso_eastern(moment: datetime) -> str:
    """Naive UTC → ISO with the US/Eastern offset: `2026-11-22T19:30:00-05:00`."""
    return moment.replace(tzinfo=UTC).astimezone(SLATE_TZ).isoformat()


class FeedWriter:
    """Writes a world's files as its days are simulated; counts what it wrote."""

    def __init__(
        self,
        out_dir: Path,
        spec: LeagueSpec,
        roster: Roster,
        books: tuple[BookSpec, ...],
        *,
        seed: int = 0,
        vendors: tuple[str, ...] = VENDOR_KEYS,
    ) -> None:
        self.spec, self.roster, self.books, self.seed = spec, roster, books, seed
        self.feeds = out_dir / "feeds"
        self.truth_dir = out_dir / "truth"
        self.vendors = vendors
        self.carried = carriage(books, vendors)
        self.odds_dirs = {v: self.feeds / v / "prop_odds" for v in vendors}
        self.league = LeagueFiles(self.feeds / "league", spec, roster)
        for folder in (*self.odds_dirs.values(), self.truth_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.names, self.nicknamed = vendor_names(
            roster.names, roster.slot, spec.starters, stream(seed, VENDOR_NAMES)
        )
        self.files = 0
        self.quote_rows = 0  # Over/Under outcome rows, every vendor
        self.vendor_rows = dict.fromkeys(vendors, 0)  # rows in the vendor's own unit
        self.bad_rows = dict.fromkeys(vendors, 0)
        self.truth = TruthFiles(self.truth_dir, spec, roster)
        self.files += 2

    def close(self) -> None:
        self.truth.close()

    # -- per day ----------------------------------------------------------------------------

    def write_day(self, day: Day) -> None:
        if not day.games:
            return
        writers = {
            "oddsapi": self._write_oddsapi,
            "csvfeed": self._write_csvfeed,
            "decimalfeed": self._write_decimalfeed,
        }
        for v, vendor in enumerate(self.vendors):
            if (len(day.quotes) or len(day.totals.quotes)) and self.carried[vendor]:
                order, times = self._published(day, vendor)
                totals = self._published_totals(day, vendor, times)
                if len(order) or len(totals):
                    errors = stream(self.seed, VENDOR_ERRORS, day.day.toordinal(), v)
                    writers[vendor](day, order, times, errors, totals)
        self.truth.write_day(day)
        self.files += self.league.write_day(day)

    def _published(self, day: Day, vendor: str) -> tuple[np.ndarray, list[datetime]]:
        """The day's quotes the vendor publishes, in file order, and its snapshot times.

        Its books only, and only games still on the board at the vendor's own snapshot time.
        """
        q = day.quotes
        offset = timedelta(minutes=vendor_spec(vendor).offset_minutes)
        times = [t + offset for t in day.snapshot_times]
        game_of = day.row_game[q.row]
        on_board = np.array([[g.on_board(t) for g in day.games] for t in times])  # (K, G)
        keep = np.isin(q.book, self.carried[vendor]) & on_board[q.snapshot, game_of]
        idx = np.flatnonzero(keep)
        order = idx[np.lexsort((q.row[idx], q.stat[idx], q.book[idx], game_of[idx],
                                q.snapshot[idx]))]  # fmt: skip
        return order, times

    def _published_totals(self, day: Day, vendor: str, times: list[datetime]) -> np.ndarray:
        """The day's game totals the vendor publishes (its books, games on the board at its own
        snapshot times), in file order: snapshot, game, book."""
        t = day.totals.quotes
        if not len(t):
            return np.zeros(0, dtype=np.int64)
        on_board = np.array([[g.on_board(at) for g in day.games] for at in times])  # (K, G)
        keep = np.isin(t.book, self.carried[vendor]) & on_board[t.snapshot, t.game]
        idx = np.flatnonzero(keep)
        return idx[np.lexsort((t.book[idx], t.game[idx], t.snapshot[idx]))]

    def _total_updated(self, day: Day, k: int, b: int, g: int, at: datetime) -> datetime:
        """When a book's total last moved: before any of its props of the game (a total hangs
        longer than a prop), so a bookmaker's last_update stays its props' latest."""
        props = int(day.quotes.seconds_stale[k, b, g].max()) if day.quotes.seconds_stale.size else 0
        return at - timedelta(seconds=props + int(day.totals.quotes.seconds_stale[k, b, g]))

    def _write_oddsapi(
        self,
        day: Day,
        order: np.ndarray,
        times: list[datetime],
        errors: np.random.Generator,
        totals: np.ndarray,
    ) -> None:
        """The public odds API's historical snapshot: events → bookmakers → markets → outcomes.

        A game total is the API's `totals` market: outcomes Over and Under with `point`, no
        `description`; it comes first in its bookmaker's markets."""
        spec, q = self.spec, day.quotes
        game_of = day.row_game[q.row]
        snap, game, book = q.snapshot[order].tolist(), game_of[order].tolist(), q.book[order]
        book, stat = book.tolist(), q.stat[order].tolist()
        player = day.row_player[q.row[order]].tolist()
        line, over, under = q.line[order].tolist(), q.over[order].tolist(), q.under[order].tolist()
        stale = q.seconds_stale
        names = self.names["oddsapi"]

        events: dict[tuple[int, int], dict] = {}
        bookmakers: dict[tuple[int, int, int], dict] = {}

        def bookmaker_of(k: int, g: int, b: int) -> dict:
            if (k, g) not in events:
                match = day.games[g]
                events[k, g] = {
                    "id": match.event_id,
                    "sport_key": spec.sport_key,
                    "sport_title": spec.sport_title,
                    "commence_time": iso_z(match.start_utc),
                    "home_team": spec.teams[match.home].vendor_name,
                    "away_team": spec.teams[match.away].vendor_name,
                    "bookmakers": [],
                }
            if (k, g, b) not in bookmakers:
                bookmakers[k, g, b] = {"key": self.books[b].key, "title": self.books[b].title,
                                       "last_update": "", "markets": []}  # fmt: skip
            return bookmakers[k, g, b]

        self._oddsapi_totals(day, totals, times, bookmaker_of)
        outcomes: list = []
        current: tuple = ()
        for i in range(len(order)):
            k, g, b, s = snap[i], game[i], book[i], stat[i]
            bookmaker = bookmaker_of(k, g, b)
            if current != (k, g, b, s):
                updated = iso_z(times[k] - timedelta(seconds=int(stale[k, b, g, s])))
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
        rows = 2 * (len(order) + len(totals))
        self.quote_rows += rows
        self.vendor_rows["oddsapi"] += rows
        self._write_oddsapi_snapshots(day, times, events, bookmakers)

    def _oddsapi_totals(
        self,
        day: Day,
        totals: np.ndarray,
        times: list[datetime],
        bookmaker_of: Callable[[int, int, int], dict],
    ) -> None:
        """The game totals into their bookmakers (`bookmaker_of(snapshot, game, book)`)."""
        t = day.totals.quotes
        for i in totals.tolist():
            k, g, b = int(t.snapshot[i]), int(t.game[i]), int(t.book[i])
            bookmaker = bookmaker_of(k, g, b)
            updated = iso_z(self._total_updated(day, k, b, g, times[k]))
            point = float(t.line[i])
            bookmaker["markets"].append({
                "key": ODDSAPI_TOTAL_MARKET, "last_update": updated, "outcomes": [
                    {"name": "Over", "price": int(t.over[i]), "point": point},
                    {"name": "Under", "price": int(t.under[i]), "point": point},
                ],
            })  # fmt: skip
            bookmaker["last_update"] = max(bookmaker["last_update"], updated)

    def _write_oddsapi_snapshots(
        self,
        day: Day,
        times: list[datetime],
        events: dict[tuple[int, int], dict],
        bookmakers: dict[tuple[int, int, int], dict],
    ) -> None:
        """One file per snapshot: its events (bookmakers in book order), linked to the day's
        previous and next snapshot as the API links them."""
        for key, bookmaker in bookmakers.items():
            events[key[:2]]["bookmakers"].append((key[2], bookmaker))
        docs: dict[int, list[dict]] = {}
        for (k, _g), event in sorted(events.items()):
            event["bookmakers"] = [b for _, b in sorted(event["bookmakers"], key=lambda x: x[0])]
            docs.setdefault(k, []).append(event)
        taken = sorted(docs)
        stamps = [iso_z(times[k]) for k in taken]
        for j, k in enumerate(taken):
            doc = {
                "timestamp": stamps[j],
                "previous_timestamp": stamps[j - 1] if j > 0 else None,
                "next_timestamp": stamps[j + 1] if j + 1 < len(taken) else None,
                "data": docs[k],
            }
            self._write_json("oddsapi", day, times[k], doc)

    def _write_json(self, vendor: str, day: Day, at: datetime, doc: dict) -> None:
        path = self.odds_dirs[vendor] / f"{day.day.isoformat()}__{compact(at)}.json"
        path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
        self.files += 1

    def _write_csvfeed(
        self,
        day: Day,
        order: np.ndarray,
        times: list[datetime],
        errors: np.random.Generator,
        totals: np.ndarray,
    ) -> None:
        """A flat CSV per snapshot: one row per (game, player, stat, book, line), both sides.

        A share of prop rows goes out broken (player missing or an impossible price). A game
        total is a row with stat `TOT` and no player, after the file's props.
        """
        spec, q = self.spec, day.quotes
        teams = [CSV_TEAM_CODES.get(t.code, t.code) for t in spec.teams]
        books = [CSV_BOOK_CODES[b.key] for b in self.books]
        stats = [CSV_STAT_CODES[s.column] for s in spec.stats]
        names = self.names["csvfeed"]
        games = [(iso_eastern(g.start_utc), teams[g.home], teams[g.away]) for g in day.games]
        stamps = [iso_z(t) for t in times]
        bad = errors.random(len(order)) < vendor_spec("csvfeed").bad_row_share
        no_player = errors.random(len(order)) < 0.5
        snap, game = q.snapshot[order].tolist(), day.row_game[q.row[order]].tolist()
        book, stat = q.book[order].tolist(), q.stat[order].tolist()
        player = day.row_player[q.row[order]].tolist()
        line, over, under = q.line[order].tolist(), q.over[order].tolist(), q.under[order].tolist()

        files: dict[int, list[tuple]] = {}
        for i in range(len(order)):
            name, over_odds = names[player[i]], over[i]
            if bad[i]:
                if no_player[i]:
                    name = ""
                else:  # a digit lost on the way: |odds| under 100 is no American price
                    over_odds = 50 if over_odds > 0 else -50
            start, home, away = games[game[i]]
            files.setdefault(snap[i], []).append((
                stamps[snap[i]], spec.name, start, home, away, books[book[i]], name,
                stats[stat[i]], f"{line[i]:.1f}", over_odds, under[i],
            ))  # fmt: skip
        t = day.totals.quotes
        for i in totals.tolist():
            k = int(t.snapshot[i])
            start, home, away = games[int(t.game[i])]
            files.setdefault(k, []).append((
                stamps[k], spec.name, start, home, away, books[int(t.book[i])], "",
                CSV_TOTAL_CODE, f"{float(t.line[i]):.1f}", int(t.over[i]), int(t.under[i]),
            ))  # fmt: skip
        for k, records in sorted(files.items()):
            path = self.odds_dirs["csvfeed"] / f"{day.day.isoformat()}__{compact(times[k])}.csv"
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(CSVFEED_HEADER)
                writer.writerows(records)
            self.files += 1
        self.quote_rows += 2 * (len(order) + len(totals))
        self.vendor_rows["csvfeed"] += len(order) + len(totals)
        self.bad_rows["csvfeed"] += int(bad.sum())

    def _write_decimalfeed(
        self,
        day: Day,
        order: np.ndarray,
        times: list[datetime],
        errors: np.random.Generator,
        totals: np.ndarray,
    ) -> None:
        """JSON fixtures with one offer per side in decimal odds (2 decimals).

        A share of prop offers goes out with odds of 1.0 (no decimal price is that low). A game
        total is a pair of offers with market `total` and no participant, after the fixture's
        props.
        """
        spec, q = self.spec, day.quotes
        names = self.names["decimalfeed"]
        n = len(order)
        odds = np.empty(2 * n)
        odds[0::2] = american_to_decimal(q.over[order])
        odds[1::2] = american_to_decimal(q.under[order])
        bad = errors.random(2 * n) < vendor_spec("decimalfeed").bad_row_share
        odds[bad] = 1.0
        odds = odds.tolist()
        snap, game = q.snapshot[order].tolist(), day.row_game[q.row[order]].tolist()
        book, stat = q.book[order].tolist(), q.stat[order].tolist()
        player, line = day.row_player[q.row[order]].tolist(), q.line[order].tolist()

        def side(team: int) -> dict:
            return {"name": spec.teams[team].nickname, "abbr": spec.teams[team].code}

        fixtures: dict[tuple[int, int], dict] = {}

        def fixture_of(k: int, g: int) -> dict:
            if (k, g) not in fixtures:
                match = day.games[g]
                fixtures[k, g] = {
                    "fixture_id": str(int(match.event_id[:7], 16)),
                    "start": iso_z(match.start_utc),
                    "home": side(match.home),
                    "away": side(match.away),
                    "offers": [],
                }
            return fixtures[k, g]

        for i in range(n):
            fixture = fixture_of(snap[i], game[i])
            common = {"bookmaker": self.books[book[i]].key, "market": spec.stats[stat[i]].column}
            for j, selection in enumerate(("over", "under")):
                fixture["offers"].append({
                    **common, "selection": selection, "participant": names[player[i]],
                    "handicap": line[i], "odds": odds[2 * i + j],
                })  # fmt: skip
        t = day.totals.quotes
        total_odds = [american_to_decimal(t.over[totals]).tolist(),
                      american_to_decimal(t.under[totals]).tolist()]  # fmt: skip
        for j, i in enumerate(totals.tolist()):
            fixture = fixture_of(int(t.snapshot[i]), int(t.game[i]))
            for side_odds, selection in zip(total_odds, ("over", "under"), strict=True):
                fixture["offers"].append({
                    "bookmaker": self.books[int(t.book[i])].key, "market": DECIMAL_TOTAL_MARKET,
                    "selection": selection, "handicap": float(t.line[i]), "odds": side_odds[j],
                })  # fmt: skip
        docs: dict[int, list[dict]] = {}
        for (k, _g), fixture in sorted(fixtures.items()):
            docs.setdefault(k, []).append(fixture)
        sport = spec.sport_key.replace("_", "/", 1)
        for k, listed in sorted(docs.items()):
            doc = {"generated_at": iso_z(times[k]), "sport": sport, "fixtures": listed}
            self._write_json("decimalfeed", day, times[k], doc)
        self.quote_rows += 2 * (n + len(totals))
        self.vendor_rows["decimalfeed"] += 2 * (n + len(totals))
        self.bad_rows["decimalfeed"] += int(bad.sum())

    # -- once -------------------------------------------------------------------------------

    def write_season_schedule(self, games: list[Game], start: date) -> None:
        self.files += self.league.write_season_schedule(games, start)

    def write_world_json(self, params: dict) -> None:
        path = self.truth_dir / "world.json"
        path.write_text(json.dumps(params, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self.files += 1
