"""The game totals chain on a real DuckDB file and a real `dbt build` (docs/imports.md).

A CSV goes in through `propcast import totals FILE --no-build` (propcast.importer), one league
schedule final straight into raw.raw_schedule (the raw layer's contract); the module builds
the totals chain once and checks team mapping, consensus lines, a push, an NHL game, the
as-of window and the rerun.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from propcast.dbt_runner import Dbt
from propcast.importer import import_file
from propcast.settings import Home

SELECTION = [
    "+fct_game_total_features",
    "+fct_game_total_odds",
    "+stg_imports__prop_odds",
    "+dim_team",
]
COLUMNS = (
    "league, game_date, home_team, away_team, book, line_type, total_line, over_price, "
    "under_price, home_score, away_score"
)
D1, D2, D3, D4 = (date(2025, 11, day) for day in (1, 2, 3, 4))
#: (league, date, home, away, book, line_type, line, over, under, home_score, away_score)
ROWS = [
    # GSW-LAL on D1: two books close at 220.5, one at 221.5; opens tie 218.5/219.5 -> 218.5.
    ("NBA", D1, "GS", "LAL", "DK", "close", 220.5, -110, -110, 115, 110),
    ("NBA", D1, "Golden State", "Los Angeles Lakers", "FD", "CLOSE", 220.5, -105, -115, 115, 110),
    ("NBA", D1, "gsw", "lal", "MGM", "close", 221.5, -110, -110, 115, 110),
    ("NBA", D1, "GoldenState", "LALakers", "DK", "open", 218.5, -110, -110, None, None),
    ("nba", D1, "GS", "LAL", "FD", "open", 219.5, -110, -110, None, None),
    # BOS at GSW on D2: a push at 224, prices left empty (-110 assumed).
    ("NBA", D2, "Golden State", "Boston", None, None, 224.0, None, None, 120, 104),
    # LAC at NYK the same day: never in D2's features (league mean included).
    ("NBA", D2, "NewYork", "LAClippers", "DK", "close", 210.5, -110, -110, 100, 90),
    # GSW at LAL on D3: in the schedule too (the schedule's id wins); went under.
    ("NBA", D3, "LALakers", "gsw", "DK", "close", 230.5, -110, -110, 100, 105),
    # NYK at GSW on D4: not settled.
    ("NBA", D4, "gsw", "NY", "DK", "close", 228.5, -110, -110, None, None),
    # NHL: Rangers-Lightning on D2, 4-3 after a shootout (imported with the shootout goal).
    ("NHL", D2, "NYRangers", "TB", "DK", "close", 5.5, -120, 100, 4, 3),
    ("NHL", D2, "NY Rangers", "Tampa Bay", "FD", "close", 5.5, -115, -105, 4, 3),
    ("NHL", D2, "nyr", "TBL", "DK", "open", 6.5, -110, -110, None, None),
    ("NHL", D3, "TampaBay", "NYIslanders", "DK", "close", 6.5, -110, -110, 2, 1),
]
SCHEDULE_GAME = "0022500123"


def write_csv(path: Path, rows: list[tuple]) -> Path:
    """An import file as a user writes one (empty cells for no price, no score)."""
    lines = [COLUMNS.replace(" ", "")]
    for row in rows:
        lines.append(",".join("" if v is None else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def import_totals(home: Home, path: Path) -> None:
    """`propcast import totals FILE --no-build`: inbox copy and ingest, no dbt."""
    result = import_file(home, "totals", path, run_build=False)
    assert result.error is None, result.error


def table(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(sql).fetchall()


def build(dbt: Dbt, *, full_refresh: bool = False) -> None:
    command = ["build", "--indirect-selection", "cautious", "--select", *SELECTION]
    if full_refresh:
        command.append("--full-refresh")
    result = dbt.invoke(command, run_vars={"run_date": "2025-11-05"})
    problems = [f"{n.status} {n.unique_id}: {n.message}" for n in result.failed]
    assert result.success and not problems, problems or result.error


@pytest.fixture(scope="module")
def totals_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, Dbt]:
    home = Home(tmp_path_factory.mktemp("totals") / "home").ensure()
    import_totals(home, write_csv(home.root / "totals.csv", ROWS))
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "insert into raw.raw_schedule (payload_sha256, source_file, fetched_at, loaded_at, "
            "game_date, game_id, league, season, start_time_utc, home_team, away_team, status, "
            "home_score, away_score) values ('s1', 'schedule.csv', '2025-11-04 08:00:00', "
            "'2025-11-04 09:00:00', ?, ?, 'NBA', '2025-26', '2025-11-04 03:00:00', 'LAL', 'GS', "
            "'final', 100, 105)",
            [D3, SCHEDULE_GAME],
        )
    dbt = Dbt(home)
    build(dbt)
    return home, dbt


def features(home: Home) -> dict[str, dict]:
    with duckdb.connect(str(home.warehouse)) as con:
        cur = con.execute("select * from main.fct_game_total_features order by game_id")
        names = [d[0] for d in cur.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def test_messy_spellings_map_and_game_ids(totals_home):
    home, _ = totals_home
    assert table(
        home.warehouse,
        "select count(*) from main.stg_imports__game_totals "
        "where home_team_id is null or away_team_id is null",
    ) == [(0,)]
    got = features(home)
    assert set(got) == {
        "NBA-20251101-GSW-LAL",
        "NBA-20251102-GSW-BOS",
        "NBA-20251102-NYK-LAC",
        SCHEDULE_GAME,
        "NBA-20251104-GSW-NYK",
        "NHL-20251102-NYR-TBL",
        "NHL-20251103-TBL-NYI",
    }
    assert got[SCHEDULE_GAME]["home_team_id"] == "NBA-LAL"
    assert got[SCHEDULE_GAME]["away_team_id"] == "NBA-GSW"
    # One game per (league, date, home, away): the imported D3 game became the schedule's.
    assert table(home.warehouse, "select count(*) from main.int_game_results") == [(7,)]


def test_consensus_line_and_line_move(totals_home):
    home, _ = totals_home
    game = features(home)["NBA-20251101-GSW-LAL"]
    assert game["line"] == 220.5 and game["book_count"] == 2
    assert game["open_line"] == 218.5 and game["line_move"] == 2.0
    assert game["over_price"] == -105 and game["under_price"] == -110
    # Mean of the two books' de-vigged P(over) at 220.5: 0.5 and 0.5122 (multiplicative).
    assert game["market_prob_over"] == pytest.approx(
        (0.5 + (105 / 205) / (105 / 205 + 115 / 215)) / 2
    )
    assert game["prices_assumed"] is False
    assert game["actual_total"] == 225 and game["went_over"] is True
    odds = table(
        home.warehouse,
        "select book, line_type, line from main.fct_game_total_odds "
        "where game_id = 'NBA-20251101-GSW-LAL' order by line_type, book",
    )
    assert odds == [
        ("dk", "close", 220.5),
        ("fd", "close", 220.5),
        ("mgm", "close", 221.5),
        ("dk", "open", 218.5),
        ("fd", "open", 219.5),
    ]


def test_push_assumed_prices_and_unsettled(totals_home):
    home, _ = totals_home
    got = features(home)
    push = got["NBA-20251102-GSW-BOS"]
    assert push["actual_total"] == 224 and push["is_push"] is True and push["went_over"] is None
    assert push["prices_assumed"] is True and push["over_price"] == -110
    assert push["market_prob_over"] == pytest.approx(0.5)
    assert push["open_line"] is None and push["line_move"] is None
    under = got[SCHEDULE_GAME]
    assert under["actual_total"] == 205 and under["went_over"] is False
    unsettled = got["NBA-20251104-GSW-NYK"]
    assert unsettled["actual_total"] is None
    assert unsettled["is_push"] is None and unsettled["went_over"] is None


def test_nhl_game(totals_home):
    home, _ = totals_home
    nhl = features(home)["NHL-20251102-NYR-TBL"]
    assert nhl["league"] == "NHL" and nhl["market"] == "game_total"
    assert nhl["line"] == 5.5 and nhl["book_count"] == 2 and nhl["line_move"] == -1.0
    assert nhl["over_price"] == -115 and nhl["under_price"] == 100
    assert nhl["actual_total"] == 7 and nhl["went_over"] is True and nhl["is_push"] is False
    later = features(home)["NHL-20251103-TBL-NYI"]
    assert later["home_games_before"] == 1 and later["away_games_before"] == 0
    assert later["home_pts_for_avg_5"] == 3.0 and later["home_pts_against_avg_5"] == 4.0
    assert later["home_b2b"] is True and later["away_rest_days"] is None


def test_features_are_as_of(totals_home):
    home, _ = totals_home
    got = features(home)
    first = got["NBA-20251101-GSW-LAL"]
    assert first["home_games_before"] == 0 and first["home_pts_for_avg_5"] is None
    assert first["home_rest_days"] is None and first["home_b2b"] is False
    assert first["league_total_avg_30d"] is None
    # GSW on D2 sees D1 only (not itself, not LAL-NYK of the same day).
    d2 = got["NBA-20251102-GSW-BOS"]
    assert d2["home_games_before"] == 1 and d2["home_pts_for_avg_5"] == 115.0
    assert d2["home_pts_against_avg_10"] == 110.0 and d2["home_total_avg_10"] == 225.0
    assert d2["home_rest_days"] == 1 and d2["home_b2b"] is True
    assert d2["league_total_avg_30d"] == 225.0
    # LAL on D3 (the schedule's game) sees its D1 game only (rest 2 days), not D3 itself.
    d3 = got[SCHEDULE_GAME]
    assert d3["home_games_before"] == 1 and d3["home_rest_days"] == 2
    assert d3["home_pts_for_avg_5"] == 110.0 and d3["home_pts_against_avg_5"] == 115.0
    assert d3["league_total_avg_30d"] == pytest.approx((225 + 224 + 190) / 3)
    # GSW on D4 sees D1, D2 and D3 (105 away at LAL).
    d4 = got["NBA-20251104-GSW-NYK"]
    assert d4["home_games_before"] == 3
    assert d4["home_pts_for_avg_5"] == pytest.approx((115 + 120 + 105) / 3)
    assert d4["home_total_avg_10"] == pytest.approx((225 + 224 + 205) / 3)
    assert table(
        home.warehouse,
        "select count(*) from main.int_team_game_scoring_asof "
        "where scoring_through_date >= game_date",
    ) == [(0,)]


def test_rerun_with_the_same_rows_changes_nothing(totals_home):
    home, dbt = totals_home
    queries = {
        "features": "select * from main.fct_game_total_features order by game_id",
        "odds": "select * exclude (loaded_at) from main.fct_game_total_odds "
        "order by game_id, book, line_type",
        "results": "select * from main.int_game_results order by game_id",
    }
    before = {name: table(home.warehouse, sql) for name, sql in queries.items()}
    # The same file again (skipped by its hash), then the same rows in another order (a new
    # payload: the latest load wins), then a full refresh: nothing changes.
    import_totals(home, home.root / "totals.csv")
    import_totals(home, write_csv(home.root / "totals_again.csv", ROWS[::-1]))
    assert table(home.warehouse, "select count(*) from raw.raw_imports__game_totals") == [
        (2 * len(ROWS),)
    ]
    build(dbt, full_refresh=True)
    after = {name: table(home.warehouse, sql) for name, sql in queries.items()}
    assert after == before
    assert table(home.warehouse, "select count(*) from main.fct_game_total_odds") == [(len(ROWS),)]
