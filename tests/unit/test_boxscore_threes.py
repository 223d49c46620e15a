"""The league boxscores' threes on a real DuckDB file: loaded, checked as a count, optional in a
file (older feeds have no column), and added to a warehouse created before it existed."""

from __future__ import annotations

from propcast.ingest import ingest
from propcast.raw_schema import RAW_SCHEMA, TABLES, column_definitions, ensure_raw_schema
from propcast.settings import Home
from propcast.warehouse import connect
from tests.support.boxscore_files import quarantine_reasons as quarantined
from tests.support.boxscore_files import write_boxscores as write

HEADER = "game_id,league,game_date,team,opponent,player_id,player_name,starter,minutes,points,"
FETCHED = "2026-11-21T08:00:00Z"


def box_row(player: str, stats: str) -> str:
    return f"401000001,NBA,2026-11-20,GS,BOS,{player},Player {player},true,34,{stats},{FETCHED}"


def loaded(home: Home) -> dict[str, object]:
    with connect(home) as con:
        return dict(
            con.execute(f"select player_id, threes from {RAW_SCHEMA}.raw_boxscores").fetchall()
        )


def test_threes_load_and_are_checked_as_a_count(home: Home) -> None:
    header = HEADER + "rebounds,assists,threes,fetched_at"
    write(home, "2026-11-20__20261121T080000Z.csv", header, [
        box_row("P1", "31,5,7,4"),
        box_row("P2", "12,3,2,"),  # blank: not reported
        box_row("P3", "12,3,2,-1"),
        box_row("P4", "12,3,2,2.5"),
    ])  # fmt: skip
    ingest(home)
    assert loaded(home) == {"P1": 4, "P2": None}
    assert sorted(quarantined(home)) == ["threes is negative", "threes is not a whole number"]


def test_a_boxscore_file_without_threes_loads_them_as_null(home: Home) -> None:
    """An older feed's file (no threes column) loads, alone or next to a file with the column
    (the batch reader parses it apart)."""
    old = HEADER + "rebounds,assists,fetched_at"
    new = HEADER + "rebounds,assists,threes,fetched_at"
    write(home, "2026-11-20__20261121T080000Z.csv", old, [box_row("P1", "31,5,7")])
    write(home, "2026-11-20__20261121T090000Z.csv", new, [box_row("P2", "20,5,7,3")])
    report = ingest(home)
    assert report.payloads_quarantined == 0 and not quarantined(home)
    assert loaded(home) == {"P1": None, "P2": 3}


def test_a_warehouse_created_before_threes_gets_the_column(home: Home) -> None:
    """raw_boxscores as an older propcast created it (no threes) with a row: opening it for
    ingestion adds the column, the old row reads null, and a new file loads its threes."""
    columns = column_definitions(TABLES["raw_boxscores"])
    old = ", ".join(d for name, d in columns.items() if name != "threes")
    with connect(home) as con:
        con.execute(f"create schema {RAW_SCHEMA}")
        con.execute(f"create table {RAW_SCHEMA}.raw_boxscores ({old})")
        con.execute(
            f"insert into {RAW_SCHEMA}.raw_boxscores (payload_sha256, source_file, fetched_at, "
            "loaded_at, player_id, points) values ('old', 'old.csv', now(), now(), 'P0', 9)"
        )
    header = HEADER + "rebounds,assists,threes,fetched_at"
    write(home, "2026-11-20__20261121T080000Z.csv", header, [box_row("P1", "31,5,7,4")])
    ingest(home)
    assert loaded(home) == {"P0": None, "P1": 4}
    with connect(home) as con:
        ensure_raw_schema(con)  # a second opening adds nothing and keeps the rows
        names = [r[0] for r in con.execute(f"describe {RAW_SCHEMA}.raw_boxscores").fetchall()]
    assert names.count("threes") == 1 and names[-1] == "threes"
    assert loaded(home) == {"P0": None, "P1": 4}
