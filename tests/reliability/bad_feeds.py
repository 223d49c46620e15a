"""Hostile vendor files, and what ingest must make of every row written into them.

`BadFeeds` writes feed files the way each vendor publishes them (docs/ARCHITECTURE.md), one row
at a time: a good row gets a unique identity (the player, or the game for the schedule) and must
load; a bad row names the reason it must be refused with (a fragment of it). A whole file can
be expected quarantined whole, an inbox entry refused. The expectation is derived from the rows
written, never counted by hand. `CLASSES` builds each bad-input class of issue 12 item 4.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from propcast.ingest import IngestReport, quarantine_share_limit
from propcast.settings import Home
from propcast.vendors import csvfeed, decimalfeed, league, oddsapi
from propcast.vendors.base import UnparseablePayload
from propcast.warehouse import connect

SNAPSHOT = "2027-01-05T15:00:00Z"
GAME = "2027-01-06T00:30:00Z"  # 19:30 in New York on the 5th
LEAGUE_FETCHED = "2027-01-06T08:00:00Z"

TABLES = {
    "oddsapi": "raw_oddsapi__prop_odds",
    "csvfeed": "raw_csvfeed__prop_odds",
    "decimalfeed": "raw_decimalfeed__prop_odds",
    "boxscores": "raw_boxscores",
    "schedule": "raw_schedule",
}
#: The column that tells a table's rows apart (the identity a good row is written with).
IDENTITY = {
    "raw_oddsapi__prop_odds": "outcome_description",
    "raw_csvfeed__prop_odds": "player",
    "raw_decimalfeed__prop_odds": "participant",
    "raw_boxscores": "player_id",
    "raw_schedule": "game_id",
}
CSV_COLUMNS = {
    "csvfeed": "snapshot_time,league,game_start,home,away,book,player,stat,line,over_odds,"
    "under_odds",
    "boxscores": "game_id,league,game_date,team,opponent,player_id,player_name,starter,minutes,"
    "points,rebounds,assists,fetched_at",
    "schedule": "game_id,league,season,game_date,start_time_utc,home_team,away_team,status,"
    "home_score,away_score,fetched_at",
}
FOLDERS = {
    "oddsapi": "oddsapi/prop_odds",
    "csvfeed": "csvfeed/prop_odds",
    "decimalfeed": "decimalfeed/prop_odds",
    "boxscores": "league/boxscores",
    "schedule": "league/schedule",
}


#: A field value that leaves the key out of the JSON object.
DROP = "<drop this key>"


def _without_dropped(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not (isinstance(v, str) and v == DROP)}


def row(reason: str | None = None, *, at: str | None = None, value: object = None, **fields):
    """One row to write: `fields` override the good defaults; `reason` (a fragment) says why
    ingest must refuse it (None: it loads). JSON feeds only: `at` names an object or list of
    the document (event, bookmaker, market, outcome, bookmakers, markets, outcomes; fixture,
    offer, offers) written as `value` instead."""
    return {"reason": reason, "at": at, "value": value, "fields": fields}


@dataclass
class Expected:
    good: dict[str, list[str]] = field(default_factory=dict)  # file -> identities that load
    refused: dict[tuple[str, int], str] = field(default_factory=dict)  # (file, row) -> reason
    whole: dict[str, str] = field(default_factory=dict)  # file -> reason fragment
    entries: list[str] = field(default_factory=list)  # refused inbox entries: fragments
    tables: dict[str, str] = field(default_factory=dict)  # file -> its raw table

    @property
    def loaded(self) -> dict[str, list[str]]:
        """Per raw table, the identities of the rows that load."""
        tables: dict[str, list[str]] = {}
        for file, names in self.good.items():
            tables.setdefault(self.tables[file], []).extend(names)
        return tables

    def rows_quarantined(self) -> Counter:
        return Counter(self.tables[file] for file, _ in self.refused)


@dataclass
class BadFeeds:
    """The files of one bad-input class (paths relative to the inbox) and their expectation."""

    label: str
    files: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # link (relative) -> target
    expect: Expected = field(default_factory=Expected)
    _count: int = 0
    _row_starts: dict[str, list[int]] = field(default_factory=dict)

    def name(self, vendor: str) -> str:
        self._count += 1
        return f"{self.label} {vendor} good {self._count}"

    def path(self, vendor: str, name: str) -> str:
        return f"{FOLDERS[vendor]}/{self.label}__{name}"

    def _rows(self, vendor: str, file: str, rows: list[dict], first: int) -> list[str]:
        """The identities of `rows`, each good one expected loaded, each bad one refused."""
        self.expect.tables[file] = TABLES[vendor]
        good = self.expect.good.setdefault(file, [])
        names = []
        for number, spec in enumerate(rows, start=first):
            identity = spec["fields"].get(IDENTITY_FIELD[vendor]) or self.name(vendor)
            names.append(identity)
            if spec["reason"] is None:
                good.append(identity)
            else:
                self.expect.refused[(file, number)] = spec["reason"]
        return names

    # -- JSON feeds ----------------------------------------------------------------------------

    def oddsapi(self, name: str, rows: list[dict], *, timestamp: str = SNAPSHOT) -> str:
        file = self.path("oddsapi", name)
        names = self._rows("oddsapi", file, rows, 1)
        events = [
            _oddsapi_event(spec, player, timestamp)
            for spec, player in zip(rows, names, strict=True)
        ]
        self.write(file, json.dumps({"timestamp": timestamp, "data": events}))
        return file

    def decimalfeed(self, name: str, rows: list[dict], *, generated_at: str = SNAPSHOT) -> str:
        file = self.path("decimalfeed", name)
        names = self._rows("decimalfeed", file, rows, 1)
        fixtures = [
            _decimal_fixture(spec, player) for spec, player in zip(rows, names, strict=True)
        ]
        doc = {"generated_at": generated_at, "sport": "basketball/nba", "fixtures": fixtures}
        self.write(file, json.dumps(doc))
        return file

    # -- CSV feeds -----------------------------------------------------------------------------

    def csv(self, vendor: str, name: str, rows: list[dict]) -> str:
        """csvfeed (rows numbered from 2, the header being 1), boxscores or schedule (from 1)."""
        file = self.path(vendor, name)
        first = 2 if vendor == "csvfeed" else 1
        names = self._rows(vendor, file, rows, first)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        header = CSV_COLUMNS[vendor].split(",")
        writer.writerow(header)
        starts = []
        for spec, identity in zip(rows, names, strict=True):
            starts.append(len(out.getvalue().encode()))
            values = {**CSV_DEFAULTS[vendor], IDENTITY_FIELD[vendor]: identity}
            if vendor == "schedule":  # a matchup of its own (unknown teams): one game a date
                values.update(home_team=f"home of {identity}", away_team=f"away of {identity}")
            values.update(spec["fields"])
            writer.writerow([values[c] for c in header])
        self._row_starts[file] = starts
        self.write(file, out.getvalue())
        return file

    def cut_last_row(self, file: str, after: bytes, reason: str) -> None:
        """Cut `file` inside its last row, right after `after`: that row is refused."""
        start = self._row_starts[file][-1]
        self.files[file] = self.files[file][: self.files[file].index(after, start) + len(after)]
        number = len(self._row_starts[file]) + (1 if file.startswith("csvfeed") else 0)
        identity = self.expect.good[file].pop()  # the last row was written good
        assert identity.encode() not in self.files[file][start:], "cut before its identity"
        self.expect.refused[(file, number)] = reason

    # -- whole files, links --------------------------------------------------------------------

    def write(self, file: str, content: str | bytes) -> None:
        self.files[file] = content.encode() if isinstance(content, str) else content

    def broken(self, vendor: str, name: str, content: str | bytes, reason: str) -> str:
        """A file expected quarantined whole with `reason` (content made unique by the label)."""
        file = self.path(vendor, name)
        self.write(file, content)
        self.expect.tables[file] = TABLES[vendor]
        self.expect.whole[file] = reason
        return file

    def link(self, relative: str, target: str, refused: bool = True) -> None:
        """A symlink in the inbox; `refused`: ingest must refuse it (it leads outside)."""
        self.links[relative] = target
        if refused:
            self.expect.entries.append(relative)

    def materialise(self, inbox: Path) -> None:
        for relative, content in self.files.items():
            path = inbox / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        for relative, target in self.links.items():
            path = inbox / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(target)


IDENTITY_FIELD = {
    "oddsapi": "description",
    "decimalfeed": "participant",
    "csvfeed": "player",
    "boxscores": "player_id",
    "schedule": "game_id",
}
CSV_DEFAULTS = {
    "csvfeed": {
        "snapshot_time": SNAPSHOT, "league": "NBA", "game_start": GAME, "home": "GS",
        "away": "BOS", "book": "DK", "stat": "PTS", "line": "24.5", "over_odds": "-110",
        "under_odds": "-110",
    },
    "boxscores": {
        "game_id": "401000001", "league": "NBA", "game_date": "2027-01-05", "team": "GS",
        "opponent": "BOS", "player_name": "Some Player", "starter": "true", "minutes": "30.5",
        "points": "20", "rebounds": "5", "assists": "4", "fetched_at": LEAGUE_FETCHED,
    },
    "schedule": {
        "league": "NBA", "season": "2026-27", "game_date": "2027-01-05", "start_time_utc": GAME,
        "status": "final", "home_score": "110",
        "away_score": "104", "fetched_at": LEAGUE_FETCHED,
    },
}  # fmt: skip
_ODDSAPI_EVENT = ("id", "commence_time", "home_team", "away_team")
_DECIMAL_FIXTURE = ("fixture_id", "start", "home", "away")


def _placed(spec: dict, levels: dict[str, dict], lists: dict[str, tuple[dict, str]]) -> None:
    """Put `spec["value"]` where `spec["at"]` says (an object, or the list holding it)."""
    at = spec["at"]
    if at in lists:
        parent, key = lists[at]
        parent[key] = spec["value"]
    elif at is not None:
        parent, key = levels[at]["parent"], levels[at]["key"]
        parent[key] = [spec["value"]]


def _oddsapi_event(spec: dict, player: str, timestamp: str) -> object:
    fields = spec["fields"]
    outcome = {"name": "Over", "description": player, "price": -110, "point": 24.5}
    outcome.update({k: v for k, v in fields.items() if k not in _ODDSAPI_EVENT})
    outcome = _without_dropped(outcome)
    market = {"key": "player_points", "last_update": timestamp, "outcomes": [outcome]}
    book = {"key": "draftkings", "title": "DraftKings", "last_update": timestamp}
    book["markets"] = [market]
    event = {
        "id": "ev1", "sport_key": "basketball_nba", "sport_title": "NBA", "commence_time": GAME,
        "home_team": "Golden State Warriors", "away_team": "Boston Celtics", "bookmakers": [book],
    }  # fmt: skip
    event.update({k: v for k, v in fields.items() if k in _ODDSAPI_EVENT})
    event = _without_dropped(event)
    if spec["at"] == "event":
        return spec["value"]
    levels = {
        "bookmaker": {"parent": event, "key": "bookmakers"},
        "market": {"parent": book, "key": "markets"},
        "outcome": {"parent": market, "key": "outcomes"},
    }
    lists = {"bookmakers": (event, "bookmakers"), "markets": (book, "markets")}
    _placed(spec, levels, {**lists, "outcomes": (market, "outcomes")})
    return event


def _decimal_fixture(spec: dict, player: str) -> object:
    fields = spec["fields"]
    offer = {"bookmaker": "fanduel", "market": "points", "selection": "over",
             "participant": player, "handicap": 24.5, "odds": 1.91}  # fmt: skip
    offer = _without_dropped(
        {**offer, **{k: v for k, v in fields.items() if k not in _DECIMAL_FIXTURE}}
    )
    fixture = {
        "fixture_id": "fx1", "start": GAME, "home": {"name": "Warriors", "abbr": "GSW"},
        "away": {"name": "Celtics", "abbr": "BOS"}, "offers": [offer],
    }  # fmt: skip
    fixture = _without_dropped(
        {**fixture, **{k: v for k, v in fields.items() if k in _DECIMAL_FIXTURE}}
    )
    if spec["at"] == "fixture":
        return spec["value"]
    _placed(spec, {"offer": {"parent": fixture, "key": "offers"}}, {"offers": (fixture, "offers")})
    return fixture


# -- what ingest must have made of them --------------------------------------------------------

PARSERS = {
    "raw_oddsapi__prop_odds": oddsapi.parse,
    "raw_csvfeed__prop_odds": csvfeed.parse,
    "raw_decimalfeed__prop_odds": decimalfeed.parse,
    "raw_boxscores": league.parse_boxscores,
    "raw_schedule": league.parse_schedule,
}


def merged(classes: list[BadFeeds]) -> BadFeeds:
    """Several classes' files in one inbox (their file names are apart by their labels)."""
    whole = BadFeeds("all")
    for feeds in classes:
        whole.files.update(feeds.files)
        whole.links.update(feeds.links)
        whole.expect.good.update(feeds.expect.good)
        whole.expect.refused.update(feeds.expect.refused)
        whole.expect.whole.update(feeds.expect.whole)
        whole.expect.entries.extend(feeds.expect.entries)
        whole.expect.tables.update(feeds.expect.tables)
    return whole


def check_report(report: IngestReport, expect: Expected) -> None:
    """The ingest report counts exactly the rows and files written."""
    loaded = {table: len(names) for table, names in expect.loaded.items() if names}
    assert {t: n for t, n in report.rows_loaded.items() if n} == loaded
    assert {t: n for t, n in report.rows_quarantined.items() if n} == expect.rows_quarantined()
    assert report.payloads_quarantined == len(expect.whole)
    assert len(report.refused_files) == len(expect.entries), report.refused_files
    for fragment in expect.entries:
        assert any(fragment in line for line in report.refused_files), (fragment, report)
    bad = len(expect.refused)
    too_many = bad / max(bad + sum(map(len, expect.good.values())), 1) > quarantine_share_limit()
    degraded = report.quarantine_problem()
    assert (degraded is not None) == bool(expect.whole or expect.entries or too_many), degraded


def check_tables(home: Home, expect: Expected) -> None:
    """The raw tables hold exactly the good rows, the quarantine exactly the bad ones (with
    their reasons), the registry one row per payload whose counts match its rows."""
    with connect(home) as con:
        for table, column in IDENTITY.items():
            got = [v for (v,) in con.execute(f"select {column} from raw.{table}").fetchall()]
            assert Counter(got) == Counter(expect.loaded.get(table, [])), table
        quarantined = con.execute(
            "select source_file, row_number, reason from raw.raw_quarantine"
        ).fetchall()
        registry = con.execute(
            "select source_file, status, rows_loaded, rows_quarantined, payload_sha256 "
            "from raw.raw_odds_payloads"
        ).fetchall()
        counted = {
            sha: n
            for table in IDENTITY
            for sha, n in con.execute(
                f"select payload_sha256, count(*) from raw.{table} group by all"
            ).fetchall()
        }
    rows = {(f, n): why for f, n, why in quarantined if n is not None}
    whole = {f: why for f, n, why in quarantined if n is None}
    assert set(rows) == set(expect.refused), set(rows) ^ set(expect.refused)
    for key, fragment in expect.refused.items():
        assert fragment in rows[key], (key, rows[key], fragment)
    assert set(whole) == set(expect.whole)
    for file, fragment in expect.whole.items():
        assert fragment in whole[file], (file, whole[file], fragment)
    refused_in = Counter(file for file, _ in expect.refused)
    statuses = {f: s for f, s, *_ in registry}
    assert len(statuses) == len(registry) == len(expect.tables)  # one row per payload
    for file in expect.tables:
        status = "quarantined" if file in expect.whole else "loaded"
        status = "partial" if refused_in[file] else status
        assert statuses[file] == status, (file, statuses[file])
    for file, _, loaded, refused, sha in registry:
        assert (loaded, refused) == (counted.get(sha, 0), refused_in[file]), file


def check_alone(feeds: BadFeeds) -> None:
    """Each file parsed alone (the path a file the bulk reader cannot vouch for takes) loads
    and refuses the same rows as ingest did, whichever path ingest took."""
    for file, table in feeds.expect.tables.items():
        parse, content = PARSERS[table], feeds.files[file]
        if file in feeds.expect.whole:
            with pytest.raises(UnparseablePayload):
                parse(content)
            continue
        parsed = parse(content)
        refused = {(file, r.row_number): r.reason for r in parsed.rejected}
        assert set(refused) == {key for key in feeds.expect.refused if key[0] == file}, file
        for key, reason in refused.items():
            assert feeds.expect.refused[key] in reason, (key, reason)
        loaded = Counter(parsed.rows[IDENTITY[table]])
        assert loaded == Counter(feeds.expect.good.get(file, [])), file
