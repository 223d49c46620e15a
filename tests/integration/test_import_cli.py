"""`propcast import totals|props FILE` through the real CLI on a real DuckDB file: an empty home
gets its warehouse, counts are reported, a re-import adds nothing, a file missing a column is
refused whole, unsettled props load, and one import builds what reads the imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.settings import Home
from propcast.warehouse import connect

runner = CliRunner()

TOTALS = (
    "\ufeffLeague,Game Date,Home Team,Away Team,Total Line,Over Price,Under Price,"
    "Home Score,Away Score,Book,Line Type\r\n"
    "nba,2017-01-05,Golden State,Boston,215.5,-110,-110,110,100,dk,close\r\n"
    "NBA,1/5/2017,GSW,BOS,214,,,110,100,dk,open\r\n"
    "nhl,20170106,Bruins,Rangers,5.5,+105,-125,3,2,,\r\n"
    "nhl,20170106,Bruins,Rangers,5.5,+105,-125,3,2,,\r\n"  # exact duplicate of line 4
    "mlb,2017-01-06,Yankees,Red Sox,8.5,-110,-110,5,4,,\r\n"
    "nba,2017-01-07,Lakers,Knicks,1.5,-110,-110,,,,\r\n"
)
PROPS = (
    "league;game_date;player;team;opponent;market;line;book;over_price;under_price;actual_value\n"
    "nba;2017-01-05;Stephen Curry;GSW;BOS;player_points;27,5;dk;-115;-105;31\n"
    "nba;2017-01-05;Jaren Jackson Jr.;MEM;DAL;player_rebounds;6;fd;+105;-125;\n"
    "nhl;2017-01-06;Auston Matthews;TOR;MTL;player_shots_on_goal;3.5;pinnacle;-110;-110;\n"
)


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    root = tmp_path / "fresh" / "home"  # does not exist yet
    monkeypatch.setenv("PROPCAST_HOME", str(root))
    # Fetched vendors down: an import is no fetch and must not care.
    monkeypatch.setenv("FORCE_VENDOR_FAILURE", "ODDSAPI,CSVFEED,DECIMALFEED,LEAGUE")
    return Home(root)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def run(*args: str) -> tuple[int, dict, str]:
    result = runner.invoke(app, [*args, "--json"])
    lines = result.stdout.strip().splitlines()
    return result.exit_code, json.loads(lines[-1]), result.stdout


def count(home: Home, table: str) -> int:
    with connect(home) as con:
        return con.execute(f"select count(*) from raw.{table}").fetchone()[0]


def test_import_totals_on_empty_home_counts_quarantine_and_reimport(
    empty_home: Home, tmp_path: Path
):
    path = write(tmp_path, "my totals 2017.csv", TOTALS)
    code, body, out = run("import", "totals", str(path), "--no-build")
    assert code == 3, out  # degraded: rows were quarantined
    assert empty_home.warehouse.exists()
    assert body["kind"] == "totals" and body["file"] == str(path)
    assert (body["rows_read"], body["rows_loaded"], body["rows_quarantined"]) == (6, 3, 3)
    assert body["already_imported"] is False and body["built"] is False
    assert body["quarantine_reasons"] == {
        "exact duplicate of an earlier row": 1,
        "league missing or not nba/nhl": 1,
        "total_line implausible for an NBA game (100 to 350)": 1,
    }
    assert "rows quarantined: 3" in out and "every quarantined row" in out
    listed = Path(body["quarantine_file"]).read_text()
    assert "exact duplicate of row 4" in listed
    assert count(empty_home, "raw_imports__game_totals") == 3
    assert count(empty_home, "raw_quarantine") == 3
    inbox = list((empty_home.inbox / "imports" / "game_totals").iterdir())
    assert [p.name for p in inbox] == [f"my_totals_2017.{body['payload_sha256'][:16]}.csv"]

    code, again, out = run("import", "totals", str(path), "--no-build")
    assert code == 0, out
    assert again["already_imported"] is True
    assert (again["rows_read"], again["rows_loaded"], again["rows_quarantined"]) == (6, 0, 0)
    assert count(empty_home, "raw_imports__game_totals") == 3
    assert count(empty_home, "raw_quarantine") == 3
    assert count(empty_home, "raw_odds_payloads") == 1


def test_missing_column_refuses_the_file_whole(empty_home: Home, tmp_path: Path):
    header, *rows = TOTALS.split("\r\n")
    broken = "\r\n".join([header.replace(",Total Line", "").replace(",Away Score", ""), *rows])
    code, body, out = run("import", "totals", str(write(tmp_path, "t.csv", broken)), "--no-build")
    assert code == 1, out
    assert "FAILED" in out and "refused" in body["message"]
    assert "lacks the required columns total_line, away_score" in body["message"]
    assert "columns found: league, game_date, home_team, away_team, over_price" in body["message"]
    assert "propcast import totals" in body["recover"]
    assert not (empty_home.inbox / "imports").exists()  # nothing written


def test_unreadable_file_fails_with_a_reason(empty_home: Home, tmp_path: Path):
    code, body, out = run("import", "props", str(tmp_path / "nope.csv"), "--no-build")
    assert code == 1, out
    assert "cannot read" in body["message"]


def test_import_props_with_unsettled_rows_loads_all(empty_home: Home, tmp_path: Path):
    code, body, out = run("import", "props", str(write(tmp_path, "p.csv", PROPS)), "--no-build")
    assert code == 0, out
    assert (body["rows_read"], body["rows_loaded"], body["rows_quarantined"]) == (3, 3, 0)
    assert body["quarantine_reasons"] == {}
    assert "OK import props" in out
    with connect(empty_home) as con:
        rows = con.execute(
            "select row_number, player, line, actual_value, fetched_at "
            "from raw.raw_imports__prop_odds order by row_number"
        ).fetchall()
    assert [r[:4] for r in rows] == [
        (2, "Stephen Curry", 27.5, 31.0),
        (3, "Jaren Jackson Jr.", 6.0, None),
        (4, "Auston Matthews", 3.5, None),
    ]
    assert {r[4] for r in rows} == {rows[0][4]}  # the import's time (the suite's pinned clock)


@pytest.mark.slow
def test_import_builds_what_reads_the_imports(empty_home: Home, tmp_path: Path):
    """The one import with its build: on an empty home the build must succeed, whether or not
    models read the imports yet (dbt's "nothing to do" is no error). Slow (a fresh home's full
    dbt parse, ~55 s): make test sees the same path in test_backtest_cli's and
    test_sbr_import's imports with their builds."""
    good = "\r\n".join(TOTALS.split("\r\n")[:4]) + "\r\n"
    code, body, out = run("import", "totals", str(write(tmp_path, "t.csv", good)))
    assert code == 0, out
    assert body["built"] is True
    assert body["rows_loaded"] == 3
    assert "built (" in body["message"]


def test_import_path_with_dotdot_writes_only_into_the_inbox(empty_home: Home, tmp_path: Path):
    """FILE may be any path (`..`, absolute): it is read, and the only thing written is its
    copy in inbox/imports/<feed>/ under a sanitised content-hashed name."""
    (tmp_path / "outside").mkdir()
    write(tmp_path / "outside", "..evil name;rm.csv", PROPS)
    path = tmp_path / "fresh" / ".." / "outside" / "..evil name;rm.csv"
    code, body, out = run("import", "props", str(path), "--no-build")
    assert code == 0, out
    copies = [p for p in empty_home.inbox.rglob("*") if p.is_file()]
    assert [p.relative_to(empty_home.inbox).parts[:2] for p in copies] == [("imports", "prop_odds")]
    assert copies[0].name == f"evil_name_rm.{body['payload_sha256'][:16]}.csv"
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["..evil name;rm.csv"]
