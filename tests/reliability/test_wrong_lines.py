"""Wrong lines that look valid (issue 18, "Risk before money"): a swapped line, a stale price and
a decimal price read as American, injected into one oddsapi snapshot of the built world, are
flagged with their reasons, never make a best line, are counted in fct_odds_coverage_daily, and
leave every other quote's best line as it was. A clean world flags nothing.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from propcast.ingest import ingest
from propcast.pipeline import build as dbt_build
from propcast.reports import write_daily_report, wrong_lines_section
from propcast.settings import Home
from propcast.warehouse import connect
from propcast.wrong_lines import EXPECTED_REASON, WrongLine, decimal_as_american, faulted_snapshot
from tests.integration.conftest import BuiltWorld, DemoWorld

DELAY = timedelta(minutes=1)
FLAGGED_SQL = """
    select vendor, book_id, vendor_event_id, market, vendor_player_name, wrong_line_reason
    from main.int_prop_quote_outliers where is_wrong_line order by all
"""


def snapshot_doc(book: str = "draftkings") -> dict:
    """A two-event oddsapi snapshot: three players' points in one event, one in the other."""

    def outcomes(players: list[tuple[str, float]]) -> list[dict]:
        return [{"name": side, "description": name, "price": -110, "point": line}
                for name, line in players for side in ("Over", "Under")]  # fmt: skip

    def event(event_id: str, players: list[tuple[str, float]]) -> dict:
        market = {"key": "player_points", "last_update": "", "outcomes": outcomes(players)}
        return {"id": event_id, "commence_time": "2027-01-06T00:30:00Z", "home_team": "H",
                "away_team": "A", "bookmakers": [{"key": book, "title": book,
                                                 "last_update": "", "markets": [market]}]}  # fmt: skip

    return {
        "timestamp": "2027-01-05T15:00:00Z",
        "previous_timestamp": None,
        "next_timestamp": "2027-01-05T19:00:00Z",
        "data": [
            event("E1", [("Al One", 28.5), ("Bo Two", 12.5), ("Cy Three", 8.5)]),
            event("E2", [("Di Four", 9.5)]),
        ],
    }


def test_decimal_as_american_drops_the_decimal_point() -> None:
    assert [decimal_as_american(p) for p in (-110, 150, -200, 100)] == [191, 250, 150, 200]


def test_a_faulted_snapshot_holds_only_the_faulted_quotes_with_the_faults_applied() -> None:
    doc = snapshot_doc()
    faults = [
        WrongLine(
            "swapped_line",
            "E1",
            "draftkings",
            "player_points",
            "Al One",
            other_event_id="E2",
            other_player="Di Four",
        ),
        WrongLine("stale_price", "E1", "draftkings", "player_points", "Bo Two", stale_over=False),
    ]
    delta = faulted_snapshot(doc, faults, DELAY)
    assert delta["timestamp"] == "2027-01-05T15:01:00Z"
    assert delta["previous_timestamp"] == doc["timestamp"]
    quotes = {
        (event["id"], o["description"], o["name"]): (o["point"], o["price"])
        for event in delta["data"]
        for bookmaker in event["bookmakers"]
        for market in bookmaker["markets"]
        for o in market["outcomes"]
    }
    assert quotes == {
        ("E1", "Al One", "Over"): (9.5, -110),
        ("E1", "Al One", "Under"): (9.5, -110),
        ("E2", "Di Four", "Over"): (28.5, -110),
        ("E2", "Di Four", "Under"): (28.5, -110),
        ("E1", "Bo Two", "Over"): (12.5, 500),
        ("E1", "Bo Two", "Under"): (12.5, -800),
    }
    assert doc == snapshot_doc()  # the original snapshot is left as it was
    with pytest.raises(KeyError, match="no outcome"):
        faulted_snapshot(doc, [WrongLine("stale_price", "E1", "draftkings",
                                         "player_points", "Nobody")], DELAY)  # fmt: skip


def flag_counts(home: Home) -> tuple[int, int, int, int]:
    """Quotes judged on a consensus; flagged in the judge, in fct_prop_odds, in monitoring."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        judged, flagged = con.execute(
            "select count_if(is_judged_on_consensus), count_if(is_wrong_line) "
            "from main.int_prop_quote_outliers"
        ).fetchone()
        (in_mart,) = con.execute(
            "select count(*) from main.fct_prop_odds where is_wrong_line"
        ).fetchone()
        (counted,) = con.execute(
            "select sum(wrong_lines_flagged) from main.fct_odds_coverage_daily"
        ).fetchone()
    return judged, flagged, in_mart, counted


def test_a_clean_world_flags_no_quote(built_world: BuiltWorld) -> None:
    """Thresholds (seed wrong_line_thresholds) are set so that the demo books' own spread flags
    nothing: 0 of the 24-day built world's 162,383 quotes judged."""
    judged, *flagged = flag_counts(built_world.home)
    assert judged > 100_000
    assert flagged == [0, 0, 0]


def test_the_demo_season_flags_no_quote(demo_world: DemoWorld) -> None:
    """The `propcast demo` season (another seed): 0 of its 153,598 quotes judged."""
    judged, *flagged = flag_counts(demo_world.home)
    assert judged > 100_000
    assert flagged == [0, 0, 0]


def test_the_daily_report_line_counts_flagged_quotes_per_vendor_and_book() -> None:
    day = date(2027, 1, 5)
    with duckdb.connect() as con:
        assert wrong_lines_section(con, day) == ""  # the mart not built: no line, no error
        con.execute(
            "create table fct_odds_coverage_daily as select * from (values"
            " (date '2027-01-05', 'oddsapi', 'draftkings', 2, 0, 2, 0),"
            " (date '2027-01-05', 'oddsapi', 'fanduel', 1, 1, 0, 0),"
            " (date '2027-01-05', 'csvfeed', 'espnbet', 0, 0, 0, 0),"
            " (date '2027-01-04', 'csvfeed', 'espnbet', 5, 5, 0, 0))"
            " as t(game_date, vendor, book_id, wrong_lines_flagged, wrong_lines_implausible_price,"
            " wrong_lines_line_off_consensus, wrong_lines_prob_off_consensus)"
        )
        text = wrong_lines_section(con, day)
        assert wrong_lines_section(con, date(2027, 1, 6)) == ""
    assert "**Wrong lines: 3 quotes flagged**" in text
    assert "| oddsapi | draftkings | 2 | 0 | 2 | 0 |" in text
    assert "| oddsapi | fanduel | 1 | 1 | 0 | 0 |" in text
    assert "espnbet" not in text


def pick_faults(con: duckdb.DuckDBPyConnection, day: object, fetched: object) -> list[WrongLine]:
    """Three faults on the day's first oddsapi snapshot, on three books and distinct players:
    draftkings' highest and lowest points lines (two games) swapped, a fanduel price stale at a
    line two other books quote near 50 %, betmgm's rebounds in decimal."""
    base = """
        select o.vendor_event_id, o.vendor_player_name, o.market, o.line,
               o.consensus_fair_prob_over
        from main.int_prop_quote_outliers as o
        where o.game_date = ? and o.vendor = 'oddsapi' and o.fetched_at = ?
          and o.book_id = ? and o.market = ? and o.game_id is not null
    """
    points = con.execute(
        base + " and o.consensus_line_books >= 2 order by o.line, o.vendor_player_name",
        [day, fetched, "draftkings", "player_points"],
    ).fetchall()
    low = points[0]
    high = next(row for row in reversed(points) if row[0] != low[0])  # another game
    assert high[3] - low[3] >= 12, (high, low)
    taken = {low[1], high[1]}
    stale = next(
        row
        for market in ("player_points", "player_threes", "player_assists", "player_rebounds")
        for row in con.execute(
            base + " and o.consensus_prob_books >= 2"
            " and o.consensus_fair_prob_over between 0.35 and 0.65 order by all",
            [day, fetched, "fanduel", market],
        ).fetchall()
        if row[1] not in taken
    )
    taken.add(stale[1])
    decimal = next(
        row
        for row in con.execute(
            base + " order by all", [day, fetched, "betmgm", "player_rebounds"]
        ).fetchall()
        if row[1] not in taken
    )
    return [
        WrongLine(
            "swapped_line",
            high[0],
            "draftkings",
            "player_points",
            high[1],
            other_event_id=low[0],
            other_player=low[1],
        ),
        WrongLine(
            "stale_price", stale[0], "fanduel", stale[2], stale[1], stale_over=stale[4] < 0.5
        ),
        WrongLine("decimal_as_american", decimal[0], "betmgm", "player_rebounds", decimal[1]),
    ]


def openings_closings(con: duckdb.DuckDBPyConnection, day: object) -> set[tuple]:
    return set(
        con.execute(
            "select * from main.int_prop_odds_opening_closing where game_date = ?", [day]
        ).fetchall()
    )


def best_lines(con: duckdb.DuckDBPyConnection, day: object) -> set[tuple]:
    return set(
        con.execute(
            "select * exclude (books_quoting) from main.int_prop_odds_best_line "
            "where game_date = ?",
            [day],
        ).fetchall()
    )


# About 14 s past the session's built world (one build of the faulted day's
# +fct_odds_coverage_daily +fct_prop_odds): in make test, not marked slow.
def test_three_wrong_lines_in_a_vendor_feed_are_flagged_kept_out_and_counted(
    world_home: Home, built_world: BuiltWorld
) -> None:
    day = built_world.last_day
    with connect(world_home) as con:
        fetched = con.execute(
            "select min(fetched_at) from main.fct_prop_odds "
            "where game_date = ? and vendor = 'oddsapi'",
            [day],
        ).fetchone()[0]
        faults = pick_faults(con, day, fetched)
        before = best_lines(con, day)
        opened_closed = openings_closings(con, day)
        assert con.execute(FLAGGED_SQL).fetchall() == []
    name = f"{day.isoformat()}__{fetched:%Y%m%dT%H%M%SZ}.json"
    original = json.loads((world_home.world / "feeds" / "oddsapi" / "prop_odds" / name).read_text())
    # A minute before the snapshot it copies: the first of the day for draftkings and fanduel,
    # so it would open their faulted markets were flagged quotes not skipped.
    delta = faulted_snapshot(original, faults, -DELAY)
    at = fetched - DELAY
    inbox = (
        world_home.inbox / "oddsapi" / "prop_odds" / f"{day.isoformat()}__{at:%Y%m%dT%H%M%SZ}.json"
    )
    Path(inbox).write_text(json.dumps(delta))

    report = ingest(world_home)
    assert report.rows_loaded == {"raw_oddsapi__prop_odds": 2 * 4}  # 4 quotes, both sides
    summary = dbt_build(world_home, day, select=["+fct_odds_coverage_daily", "+fct_prop_odds"])
    assert summary.result.success, summary.problems()

    wanted = sorted(
        ("oddsapi", fault.book, event, fault.market, player, EXPECTED_REASON[fault.kind])
        for fault in faults
        for event, player in fault.quotes()
    )
    with connect(world_home) as con:
        # Exactly the four faulted quotes (the swap makes two wrong), each with its reason.
        assert con.execute(FLAGGED_SQL).fetchall() == wanted
        flagged_at = con.execute(
            "select distinct fetched_at, is_wrong_line from main.fct_prop_odds "
            "where is_wrong_line or fetched_at = ?",
            [at],
        ).fetchall()
        assert flagged_at == [(at, True)]
        # None of them is any line's best price, at any time.
        assert con.execute(
            "select count(*) from main.int_prop_odds_best_line where best_quote_fetched_at = ?",
            [at],
        ).fetchone() == (0,)
        # Counted in monitoring: one row per book, per reason.
        counted = con.execute(
            "select book_id, wrong_lines_flagged, wrong_lines_implausible_price,"
            " wrong_lines_line_off_consensus, wrong_lines_prob_off_consensus"
            " from main.fct_odds_coverage_daily"
            " where game_date = ? and wrong_lines_flagged > 0 order by book_id",
            [day],
        ).fetchall()
        assert counted == [
            ("betmgm", 1, 1, 0, 0),
            ("draftkings", 2, 0, 2, 0),
            ("fanduel", 1, 0, 0, 1),
        ]
        assert con.execute(
            "select sum(wrong_lines_flagged) from main.fct_odds_coverage_daily "
            "where vendor = 'oddsapi' and game_date = ?",
            [day],
        ).fetchone() == (4,)
        # Every other player market's best lines are exactly as before the faults.
        faulted = {
            (event, player, fault.market) for fault in faults for event, player in fault.quotes()
        }
        markets = set(
            con.execute(
                "select distinct game_id, player_id, market from main.int_prop_quote_outliers "
                "where is_wrong_line"
            ).fetchall()
        )
        assert len(markets) == len(faulted) == 4
        after = best_lines(con, day)
        # No flagged quote opens or closes a line: the delta holds only flagged quotes, and
        # every book's opening and closing, snapshot_count included, is as before the faults.
        assert openings_closings(con, day) == opened_closed
        assert con.execute(
            "select count(*) from main.int_prop_odds_opening_closing "
            "where ? in (opening_fetched_at, closing_fetched_at)",
            [at],
        ).fetchone() == (0,)

    def untouched(rows: set[tuple]) -> set[tuple]:
        return {row for row in rows if (row[1], row[2], row[3]) not in markets}

    assert untouched(after) == untouched(before)
    assert len(untouched(before)) > 1000
    # The faulted markets' best lines change only from the delta's time on.
    assert min(row[6] for row in after ^ before) >= at
    # The daily report says so.
    report_text = write_daily_report(world_home, day).read_text()
    assert "**Wrong lines: 4 quotes flagged**" in report_text
