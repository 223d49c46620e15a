"""Ingestion on a real DuckDB file: idempotent by hash, quarantine whole payloads and bad rows."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from propcast.ingest import ingest
from propcast.settings import Home
from propcast.warehouse import connect


def _outcome(name: str, player: str, price: float, point: float = 24.5) -> dict:
    return {"name": name, "description": player, "price": price, "point": point}


def oddsapi_snapshot(
    timestamp: str, outcomes: list[dict], commence: str = "2026-11-21T00:30:00Z"
) -> dict:
    return {
        "timestamp": timestamp,
        "previous_timestamp": None,
        "next_timestamp": None,
        "data": [
            {
                "id": "ev1",
                "sport_key": "basketball_nba",
                "sport_title": "NBA",
                "commence_time": commence,
                "home_team": "Golden State Warriors",
                "away_team": "Boston Celtics",
                "bookmakers": [
                    {
                        "key": "draftkings",
                        "title": "DraftKings",
                        "last_update": timestamp,
                        "markets": [
                            {"key": "player_points", "last_update": timestamp, "outcomes": outcomes}
                        ],
                    }
                ],
            }
        ],
    }


def write(home: Home, relative: str, content: str | bytes) -> Path:
    path = home.inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def count(home: Home, table: str) -> int:
    with connect(home) as con:
        return con.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_rerun_adds_nothing_and_game_date_is_eastern(home: Home) -> None:
    good = [_outcome("Over", "Stephen Curry", -115), _outcome("Under", "Stephen Curry", -105)]
    write(home, "oddsapi/prop_odds/2026-11-20__20261120T150000Z.json",
          json.dumps(oddsapi_snapshot("2026-11-20T15:00:00Z", good)))  # fmt: skip
    first = ingest(home)
    assert first.payloads_loaded == 1 and first.rows_loaded["raw_oddsapi__prop_odds"] == 2
    second = ingest(home)
    assert second.payloads_loaded == 0 and second.files_skipped == 1
    assert count(home, "raw_oddsapi__prop_odds") == 2
    assert count(home, "raw_odds_payloads") == 1
    with connect(home) as con:
        # 00:30 UTC on the 21st is 19:30 on the 20th in New York: the slate of the 20th.
        (game_date,) = con.execute(
            "select distinct game_date from raw.raw_oddsapi__prop_odds"
        ).fetchone()
    assert game_date == date(2026, 11, 20)


def test_a_loaded_file_is_not_read_again_until_it_changes(home: Home) -> None:
    """The inbox keeps every file: a file examined before with the same size and mtime is
    skipped unread (not even hashed); one rewritten in place is hashed and loaded again."""
    snapshot = [_outcome("Over", "A B", 110)]
    path = write(home, "oddsapi/prop_odds/a__20261120T150000Z.json",
                 json.dumps(oddsapi_snapshot("2026-11-20T15:00:00Z", snapshot)))  # fmt: skip
    assert ingest(home).payloads_loaded == 1
    loaded_mtime_ns = path.stat().st_mtime_ns
    # Same size, same mtime, other bytes: judged unchanged, as make and rsync judge a file.
    path.write_bytes(b"{" + b" " * (path.stat().st_size - 2) + b"}")
    os.utime(path, ns=(loaded_mtime_ns, loaded_mtime_ns))
    unread = ingest(home)
    assert unread.files_skipped == 1 and unread.payloads_quarantined == 0
    path.write_text(
        json.dumps(
            oddsapi_snapshot("2026-11-20T15:00:00Z", [*snapshot, _outcome("Under", "A B", -130)])
        )
    )
    reread = ingest(home)
    assert reread.payloads_loaded == 1 and count(home, "raw_oddsapi__prop_odds") == 3


def test_a_corrected_file_with_an_older_preserved_mtime_is_read(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A corrected snapshot delivered with its original mtime kept (rsync -t, cp -p, an
    unzipped archive), by a process whose clock runs a day ahead of the filesystem's: its
    mtime is older than the first load, yet its size changed, so it is read and loaded."""
    monkeypatch.setenv("PROPCAST_NOW", "2026-11-22T09:00:00-05:00")  # a day past the files
    original = [_outcome("Over", "A B", 110)]
    path = write(home, "oddsapi/prop_odds/a__20261120T150000Z.json",
                 json.dumps(oddsapi_snapshot("2026-11-20T15:00:00Z", original)))  # fmt: skip
    vendor_mtime = datetime(2026, 11, 20, 15, 0, tzinfo=UTC).timestamp()
    os.utime(path, (vendor_mtime, vendor_mtime))
    assert ingest(home).payloads_loaded == 1
    corrected = [_outcome("Over", "A B", 120), _outcome("Under", "A B", -140)]
    path.write_text(json.dumps(oddsapi_snapshot("2026-11-20T15:00:00Z", corrected)))
    os.utime(path, (vendor_mtime, vendor_mtime))  # the vendor's mtime, preserved
    report = ingest(home)
    assert report.payloads_loaded == 1 and report.files_skipped == 0
    with connect(home) as con:
        prices = sorted(
            p
            for (p,) in con.execute(
                "select outcome_price from raw.raw_oddsapi__prop_odds"
            ).fetchall()
        )
        loaded_at = {
            t for (t,) in con.execute("select loaded_at from raw.raw_odds_payloads").fetchall()
        }
    assert prices == [-140.0, 110.0, 120.0]
    assert loaded_at == {datetime(2026, 11, 22, 14, 0)}  # the product clock, not the wall's
    assert ingest(home).files_skipped == 1  # and then unchanged again: skipped unread


def test_a_touched_file_is_hashed_once_then_skipped_unread(home: Home) -> None:
    """Same content with a new mtime (touched, re-synced): hashed, found known, recorded, so
    the next morning skips it unread instead of hashing it again every day."""
    path = write(home, "oddsapi/prop_odds/a__20261120T150000Z.json",
                 json.dumps(oddsapi_snapshot("2026-11-20T15:00:00Z", [_outcome("Over", "A B", 110)])))  # fmt: skip
    ingest(home)
    later = path.stat().st_mtime_ns + 3_600 * 10**9
    os.utime(path, ns=(later, later))
    assert ingest(home).files_skipped == 1
    with connect(home) as con:
        (recorded,) = con.execute("select file_mtime_ns from raw.raw_inbox_files").fetchone()
    assert recorded == later
    assert count(home, "raw_odds_payloads") == 1


def test_same_content_under_another_name_is_not_loaded_twice(home: Home) -> None:
    body = json.dumps(oddsapi_snapshot("2026-11-20T15:00:00Z", [_outcome("Over", "A B", 110)]))
    write(home, "oddsapi/prop_odds/a__20261120T150000Z.json", body)
    write(home, "oddsapi/prop_odds/b__20261120T150000Z.json", body)
    report = ingest(home)
    assert report.payloads_loaded == 1 and report.files_skipped == 1
    assert count(home, "raw_oddsapi__prop_odds") == 1


def test_unparseable_file_is_quarantined_and_the_run_goes_on(home: Home) -> None:
    write(home, "oddsapi/prop_odds/broken__20261120T150000Z.json", "{not json")
    write(home, "oddsapi/prop_odds/ok__20261120T160000Z.json",
          json.dumps(oddsapi_snapshot("2026-11-20T16:00:00Z", [_outcome("Over", "A B", -120)])))  # fmt: skip
    report = ingest(home)
    assert report.payloads_quarantined == 1 and report.payloads_loaded == 1
    assert count(home, "raw_oddsapi__prop_odds") == 1
    with connect(home) as con:
        reason, row_number = con.execute(
            "select reason, row_number from raw.raw_quarantine"
        ).fetchone()
        status = con.execute(
            "select status from raw.raw_odds_payloads where source_file like '%broken%'"
        ).fetchone()[0]
    assert "not an oddsapi snapshot" in reason and row_number is None
    assert status == "quarantined"
    assert ingest(home).payloads_quarantined == 0  # a quarantined payload is not retried


def test_bad_rows_are_quarantined_while_good_rows_load(home: Home) -> None:
    outcomes = [
        _outcome("Over", "Stephen Curry", -115),
        _outcome("Over", "Stephen Curry", 50),  # |American odds| < 100 is impossible
        {"name": "Under", "description": "", "price": -110, "point": 24.5},
        _outcome("Sideways", "Stephen Curry", -110),
    ]
    write(home, "oddsapi/prop_odds/mixed__20261120T150000Z.json",
          json.dumps(oddsapi_snapshot("2026-11-20T15:00:00Z", outcomes)))  # fmt: skip
    report = ingest(home)
    assert report.rows_loaded["raw_oddsapi__prop_odds"] == 1
    assert report.rows_quarantined["raw_oddsapi__prop_odds"] == 3
    with connect(home) as con:
        reasons = [r for (r,) in con.execute("select reason from raw.raw_quarantine").fetchall()]
        status = con.execute("select status from raw.raw_odds_payloads").fetchone()[0]
    assert any("American odds" in r for r in reasons)
    assert any("player name" in r for r in reasons)
    assert any("Over/Under" in r for r in reasons)
    assert status == "partial"


def test_league_csvs_load_with_types(home: Home) -> None:
    write(home, "league/schedule/2026-11-20__20261119T170000Z.csv",
          "game_id,league,season,game_date,start_time_utc,home_team,away_team,status,home_score,away_score,fetched_at\n"
          "401000001,NBA,2026-27,2026-11-20,2026-11-21T00:30:00Z,GS,BOS,final,112,108,2026-11-21T08:00:00Z\n"
          "401000002,NBA,2026-27,2026-11-20,2026-11-21T03:00:00Z,LAL,NY,final,,99,2026-11-21T08:00:00Z\n")  # fmt: skip
    write(home, "league/boxscores/2026-11-20__20261121T080000Z.csv",
          "game_id,league,game_date,team,opponent,player_id,player_name,starter,minutes,points,rebounds,assists,fetched_at\n"
          "401000001,NBA,2026-11-20,GS,BOS,P000001,Stephen Curry,true,34.5,31,5,7,2026-11-21T08:00:00Z\n"
          "401000001,NBA,2026-11-20,GS,BOS,P000002,Someone Else,false,81,2,1,0,2026-11-21T08:00:00Z\n")  # fmt: skip
    report = ingest(home)
    assert report.rows_loaded["raw_schedule"] == 1  # the final without a home score is quarantined
    assert report.rows_loaded["raw_boxscores"] == 1  # 81 minutes is impossible
    assert sum(report.rows_quarantined.values()) == 2
    with connect(home) as con:
        row = con.execute(
            "select points, minutes, starter, game_date, fetched_at from raw.raw_boxscores"
        ).fetchone()
    assert row[0] == 31 and row[1] == 34.5 and row[2] is True and row[3] == date(2026, 11, 20)
    assert str(row[4]) == "2026-11-21 08:00:00"


def test_quarantine_degrades_only_above_the_tolerated_share(home: Home, monkeypatch) -> None:
    from propcast.ingest import IngestReport
    from propcast.settings import SettingsError

    report = IngestReport()
    report.rows_loaded["raw_csvfeed__prop_odds"] = 999
    report.rows_quarantined["raw_csvfeed__prop_odds"] = 1
    assert report.quarantine_problem() is None  # 0.1 % is vendor noise
    report.rows_quarantined["raw_csvfeed__prop_odds"] = 50
    assert "tolerated" in report.quarantine_problem()
    monkeypatch.setenv("PROPCAST_MAX_QUARANTINE_SHARE", "0.10")
    assert report.quarantine_problem() is None
    report.payloads_quarantined = 1
    assert "quarantined whole" in report.quarantine_problem()
    monkeypatch.setenv("PROPCAST_MAX_QUARANTINE_SHARE", "lots")
    with pytest.raises(SettingsError, match="between 0 and 1"):
        report.quarantine_problem()


def test_a_bad_setting_stops_the_cli_before_any_work(home: Home, monkeypatch) -> None:
    from propcast.cli.main import app
    from typer.testing import CliRunner

    monkeypatch.setenv("PROPCAST_MAX_QUARANTINE_SHARE", "2")
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 1
    assert "PROPCAST_MAX_QUARANTINE_SHARE" in result.output
    assert not home.warehouse.exists()


def test_one_batch_of_good_broken_and_repeated_files(home: Home) -> None:
    """Files of several feeds load in one batch: a broken file is quarantined alone, bytes seen
    under two names load once, bad rows are refused row by row, progress reaches the end."""
    good = json.dumps(oddsapi_snapshot("2026-11-20T15:00:00Z", [_outcome("Over", "A B", -115)]))
    write(home, "oddsapi/prop_odds/a__20261120T150000Z.json", good)
    write(home, "oddsapi/prop_odds/b__20261120T150000Z.json", good)  # same bytes again
    write(home, "oddsapi/prop_odds/c__20261120T160000Z.json", "{not json")
    holes = oddsapi_snapshot("2026-11-20T17:00:00Z", [_outcome("Over", "A B", -110)])
    write(home, "oddsapi/prop_odds/d__20261120T170000Z.json", json.dumps({**holes, "data": {}}))
    write(home, "oddsapi/prop_odds/e__20261120T180000Z.json",
          json.dumps(oddsapi_snapshot("2026-11-20T18:00:00Z", [_outcome("Under", "A B", 50)])))  # fmt: skip
    write(home, "csvfeed/prop_odds/2026-11-20__20261120T150500Z.csv",
          "snapshot_time,league,game_start,home,away,book,player,stat,line,over_odds,under_odds\n"
          "2026-11-20T15:05:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,A B,PTS,28.5,-115,-105\n"
          "2026-11-20T15:05:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,,PTS,28.5,-115,-105\n")  # fmt: skip
    calls: list[tuple[int, int]] = []
    report = ingest(home, progress=lambda done, total: calls.append((done, total)))
    assert report.files_seen == 6 and report.files_skipped == 1
    assert report.payloads_loaded == 3 and report.payloads_quarantined == 2
    assert report.rows_loaded == {"raw_oddsapi__prop_odds": 1, "raw_csvfeed__prop_odds": 1}
    assert report.rows_quarantined == {"raw_oddsapi__prop_odds": 1, "raw_csvfeed__prop_odds": 1}
    assert calls[-1] == (6, 6)
    with connect(home) as con:
        statuses = dict(
            con.execute("select source_file, status from raw.raw_odds_payloads").fetchall()
        )
        refused = con.execute(
            "select source_file, row_number, reason from raw.raw_quarantine order by 1"
        ).fetchall()
    assert statuses == {
        "csvfeed/prop_odds/2026-11-20__20261120T150500Z.csv": "partial",
        "oddsapi/prop_odds/a__20261120T150000Z.json": "loaded",
        "oddsapi/prop_odds/c__20261120T160000Z.json": "quarantined",
        "oddsapi/prop_odds/d__20261120T170000Z.json": "quarantined",
        "oddsapi/prop_odds/e__20261120T180000Z.json": "partial",
    }
    assert refused[0] == ("csvfeed/prop_odds/2026-11-20__20261120T150500Z.csv", 3, "player missing")
    assert [r[1] for r in refused[1:3]] == [None, None]
    assert "American odds" in refused[3][2]
    again = ingest(home)
    assert again.payloads_loaded == 0 and again.files_skipped == 6


def test_bulk_read_baseline_reads_the_feeds(home: Home) -> None:
    from propcast.ingest import bulk_read_baseline

    paths = [
        write(home, f"oddsapi/prop_odds/{i}__20261120T150000Z.json",
              json.dumps(oddsapi_snapshot(f"2026-11-20T1{i}:00:00Z",
                                          [_outcome("Over", "A B", -115)] * 3)))
        for i in range(2)
    ]  # fmt: skip
    assert bulk_read_baseline(paths) > 0
