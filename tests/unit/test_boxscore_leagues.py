"""A league's boxscores carry that league's counts (seeds/markets.csv): NHL files report shots on
goal and goals, NBA files points, rebounds, assists (and threes); each is checked for its own
league's rows, loads on a real DuckDB file, and files of both leagues read in one batch."""

from __future__ import annotations

import re

from propcast.ingest import ingest
from propcast.markets import league_counts
from propcast.raw_schema import RAW_SCHEMA
from propcast.settings import PROJECT_DIR, Home
from propcast.vendors import league
from propcast.vendors.csv_batch import read_csv_table
from propcast.warehouse import connect
from tests.support.boxscore_files import quarantine_reasons as quarantined
from tests.support.boxscore_files import write_boxscores as write

BASE = "game_id,league,game_date,team,opponent,player_id,player_name,starter,minutes"
NHL_HEADER = f"{BASE},shots_on_goal,goals,fetched_at"
NBA_HEADER = f"{BASE},points,rebounds,assists,threes,fetched_at"
FETCHED = "2026-11-21T08:00:00Z"


def row(player: str, stats: str, league_name: str = "NHL") -> str:
    return (
        f"402000001,{league_name},2026-11-20,BOS,TOR,{player},Player {player},true,19,{stats},"
        f"{FETCHED}"
    )


def loaded(home: Home) -> dict[str, tuple]:
    with connect(home) as con:
        rows = con.execute(
            f"select player_id, league, shots_on_goal, goals, points from {RAW_SCHEMA}."
            "raw_boxscores"
        ).fetchall()
    return {player: tuple(rest) for player, *rest in rows}


def test_nhl_counts_load_and_are_checked_for_nhl_rows(home: Home) -> None:
    write(home, "2026-11-20__20261121T080000Z.csv", NHL_HEADER, [
        row("N1", "4,1"),
        row("N2", "0,0"),
        row("N3", "3,"),  # an NHL row must report goals
        row("N4", "-1,0"),
        row("N5", "2.5,0"),
        row("W1", "3,1", league_name="WNBA"),  # no such league in seeds/markets.csv
    ])  # fmt: skip
    ingest(home)
    assert loaded(home) == {"N1": ("NHL", 4, 1, None), "N2": ("NHL", 0, 0, None)}
    assert quarantined(home) == [
        "goals missing",
        "league not one of ['NBA', 'NHL']",
        "shots_on_goal is negative",
        "shots_on_goal is not a whole number",
    ]


def test_a_file_lacking_a_count_of_its_league_is_refused_whole(home: Home) -> None:
    """An NHL file need not carry the NBA's columns, but one without `goals` is refused, as an
    NBA file without `points` is (the message names the column)."""
    write(home, "2026-11-20__20261121T080000Z.csv", f"{BASE},shots_on_goal,fetched_at",
          [row("N1", "4")])  # fmt: skip
    write(home, "2026-11-20__20261121T090000Z.csv", f"{BASE},rebounds,assists,fetched_at",
          [row("B1", "5,7", league_name="NBA")])  # fmt: skip
    # Rows naming no league: the file is held to the league its columns come closest to.
    write(home, "2026-11-20__20261121T100000Z.csv", f"{BASE},shots_on_goal,fetched_at",
          [row("X1", "4", league_name="")])  # fmt: skip
    report = ingest(home)
    assert report.payloads_quarantined == 3 and loaded(home) == {}
    reasons = quarantined(home)
    assert sum("lacks columns ['goals']" in r for r in reasons) == 2, reasons
    assert any("lacks columns ['points']" in r for r in reasons), reasons


def test_files_of_both_leagues_read_in_one_batch(home: Home) -> None:
    """An NBA file (no NHL columns) and an NHL file (no NBA columns) are read by the batch
    reader itself, not parsed apart one by one, and load side by side."""
    nba = write(home, "2026-11-20__20261121T080000Z.csv", NBA_HEADER,
                [row("B1", "31,5,7,4", league_name="NBA")])  # fmt: skip
    nhl = write(home, "2026-11-20__20261121T090000Z.csv", NHL_HEADER, [row("N1", "5,2")])
    _, refused = read_csv_table(
        [nba.read_bytes(), nhl.read_bytes()],
        league.BOXSCORE_COLUMNS,
        league.BOXSCORES.optional,
        league.BOXSCORES.needed,
    )
    assert refused == []
    report = ingest(home)
    assert report.payloads_quarantined == 0 and not quarantined(home)
    assert loaded(home) == {"B1": ("NBA", None, None, 31), "N1": ("NHL", 5, 2, None)}


def test_the_warehouse_macro_lists_every_leagues_counts() -> None:
    """macro player_count_stats (the warehouse's count columns) names exactly the counts of
    seeds/markets.csv's player markets, so a new count market cannot reach one side only."""
    text = (PROJECT_DIR / "macros" / "players" / "player_count_stats.sql").read_text()
    listed = re.findall(r"'(\w+)'", text.split("return(", 1)[1])
    seeded = [stat for stats in league_counts().values() for stat in stats]
    assert listed == seeded == list(league.COUNT_STATS)
    assert league_counts() == {
        "NBA": ("points", "rebounds", "assists", "threes"),
        "NHL": ("shots_on_goal", "goals"),
    }
