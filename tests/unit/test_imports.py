"""The `imports` vendor (propcast import totals|props): messy real-world files parse, each bad
row is quarantined with its reason while the good rows of the same file load."""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import pandas as pd
import pytest

from propcast.backfill import BACKFILL_VENDORS
from propcast.config import FAILABLE_VENDORS
from propcast.ingest import FEEDS, ingest
from propcast.settings import Home
from propcast.timeutil import utc_now
from propcast.vendors import imports
from propcast.vendors.base import UnparseablePayload
from propcast.vendors.messycsv import header_columns, normalize_header
from propcast.warehouse import connect

TOTALS_HEADER = (
    "league,game_date,home_team,away_team,total_line,over_price,under_price,home_score,away_score"
)
PROPS_HEADER = (
    "league,game_date,player,team,opponent,market,line,book,over_price,under_price,actual_value"
)
GOOD_TOTAL = "nba,2017-01-05,Golden State,Boston,215.5,-110,-110,110,100"
GOOD_PROP = "nba,2017-01-05,Stephen Curry,GSW,BOS,player_points,27.5,draftkings,-115,-105,31"


def totals(*lines: str, header: str = TOTALS_HEADER) -> imports.ParsedPayload:
    return imports.parse_totals("\n".join([header, *lines]).encode())


def props(*lines: str, header: str = PROPS_HEADER) -> imports.ParsedPayload:
    return imports.parse_props("\n".join([header, *lines]).encode())


def reasons(parsed) -> dict[int, str]:
    return {r.row_number: r.reason for r in parsed.rejected}


def test_messy_totals_file_loads_every_row():
    """BOM, CRLF, header case and spaces, `;` delimiter, decimal commas, quoted fields with the
    delimiter inside, every date shape, empty prices, unsettled games, a push, several books,
    open and close of one game, games out of order, extra optional columns."""
    text = (
        "\ufeff League ;Game Date;HOME TEAM; Away-Team ;Total Line;Over Price;Under Price;"
        "Home Score;Away Score;Book;Line Type\r\n"
        'NBA;2017-01-06;"GSW; Golden State";Boston;215,5;-110;-110;110;100;dk;close\r\n'
        "nba;1/5/2017;Lakers;Knicks;210;+100;\u2212120;105;105;fd;Open\r\n"
        "nba;01/05/2017;Lakers;Knicks;211;;;105;105;fd;close\r\n"
        "Nhl;20170104;Bruins;Rangers;5,5;EVEN;-120;;;;\r\n"
        "\r\n"
        "nhl;2017-01-03 00:00:00;Montréal;Toronto;6;-105;-115;4;3;pinnacle;\r\n"
    )
    parsed = imports.parse_totals(text.encode("utf-8"))
    assert parsed.rejected == []
    rows = parsed.rows
    assert list(rows["row_number"]) == [2, 3, 4, 5, 7]  # the blank line keeps its number
    assert list(rows["game_date"]) == [
        date(2017, 1, 6),
        date(2017, 1, 5),
        date(2017, 1, 5),
        date(2017, 1, 4),
        date(2017, 1, 3),
    ]
    assert rows["home_team"].iloc[0] == "GSW; Golden State"
    assert rows["home_team"].iloc[4] == "Montréal"
    assert list(rows["total_line"]) == [215.5, 210.0, 211.0, 5.5, 6.0]
    assert rows["under_price"].iloc[1] == -120  # a typographic minus
    assert rows["over_price"].iloc[3] == 100  # EVEN
    assert math.isnan(rows["over_price"].iloc[2])  # empty: raw keeps null
    assert list(rows["line_type"].fillna("-")) == ["close", "open", "close", "-", "-"]
    assert list(rows["book"].fillna("-")) == ["dk", "fd", "fd", "-", "pinnacle"]
    assert rows["home_score"].isna().iloc[3] and rows["away_score"].isna().iloc[3]
    assert rows["home_score"].iloc[1] + rows["away_score"].iloc[1] == 210  # a push loads


@pytest.mark.parametrize("delimiter", ["\t", "|", ","])
def test_delimiters_are_sniffed(delimiter):
    lines = [TOTALS_HEADER, GOOD_TOTAL, '"nhl","2017-01-05","A","B","5.5","-110","-110","3","2"']
    parsed = imports.parse_totals("\n".join(lines).replace(",", delimiter).encode())
    assert parsed.rejected == [] and len(parsed.rows) == 2


def test_windows_1252_file_keeps_accents():
    text = f"{PROPS_HEADER}\nnhl,2017-01-05,Pierre-Édouard Bellemare,COL,VGK,player_shots_on_goal,1.5,fd,-110,-110,2\n"
    parsed = imports.parse_props(text.encode("cp1252"))
    assert parsed.rows["player"].iloc[0] == "Pierre-Édouard Bellemare"


def test_header_names_normalised():
    assert normalize_header("\ufeff Game Date ") == "game_date"
    assert normalize_header("OVER-PRICE") == "over_price"
    assert header_columns(b"\xef\xbb\xbfLeague;Game Date\r\nnba;2017-01-05\r\n") == [
        "league",
        "game_date",
    ]


def test_missing_required_column_refuses_the_file_naming_columns():
    header = TOTALS_HEADER.replace(",total_line", "").replace(",away_score", "")
    with pytest.raises(UnparseablePayload) as refused:
        imports.parse_totals(f"{header}\nnba,2017-01-05,A,B,-110,-110,1\n".encode())
    message = str(refused.value)
    assert "missing required columns total_line, away_score" in message
    assert "columns found: league, game_date, home_team" in message


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("mlb,2017-01-05,A,B,8.5,-110,-110,3,2", "league missing or not nba/nhl"),
        (",2017-01-05,A,B,215,-110,-110,3,2", "league missing or not nba/nhl"),
        ("nba,,A,B,215,-110,-110,100,99", "game_date missing"),
        ("nba,Jan 5th,A,B,215,-110,-110,100,99", "game_date is not a date"),
        ("nba,2/30/2017,A,B,215,-110,-110,100,99", "game_date is not a date"),
        ("nba,1/5/17,A,B,215,-110,-110,100,99", "game_date is ambiguous: a two-digit year"),
        ("nba,2017-01-05,,B,215,-110,-110,100,99", "home_team missing"),
        ("nba,2017-01-05,Boston,BOS TON,215,-110,-110,100,99", "are the same team"),
        ("nba,2017-01-05,A,B,,-110,-110,100,99", "total_line missing"),
        ("nba,2017-01-05,A,B,abc,-110,-110,100,99", "total_line is not a number"),
        (
            "nba,2017-01-05,A,B,5.5,-110,-110,100,99",
            "total_line implausible for an NBA game (100 to 350)",
        ),
        ("nba,2017-01-05,A,B,351,-110,-110,100,99", "implausible for an NBA game"),
        (
            "nhl,2017-01-05,A,B,215.5,-110,-110,3,2",
            "total_line implausible for an NHL game (2 to 15)",
        ),
        ("nhl,2017-01-05,A,B,1.5,-110,-110,3,2", "implausible for an NHL game"),
        ("nba,2017-01-05,A,B,215,1.91,-110,100,99", "over_price is not an American price"),
        ("nba,2017-01-05,A,B,215,-110,-99,100,99", "under_price is not an American price"),
        ("nba,2017-01-05,A,B,215,-110,n/a,100,99", "under_price is not a number"),
        ("nba,2017-01-05,A,B,215,-110,-110,-1,99", "home_score is negative"),
        ("nba,2017-01-05,A,B,215,-110,-110,100,99.5", "away_score is not a whole number"),
        ("nba,2017-01-05,A,B,215,-110,-110,100,x", "away_score is not a number"),
        ("nba,2017-01-05,A,B,215,-110,-110,100,", "only one score of the game given"),
        ("nba,2017-01-05,A,B,215,-110,-110,,99", "only one score of the game given"),
        ("nba,2017-01-05,A,B,215,-110,-110", "fewer fields than the header"),
        ("nba,2017-01-05,A,B,215,-110,-110,100,99,extra", "more fields than the header"),
    ],
)
def test_bad_totals_row_quarantined_and_good_rows_load(line, reason):
    parsed = totals(GOOD_TOTAL, line, "nhl,2017-01-06,C,D,5.5,-110,-110,3,2")
    assert len(parsed.rows) == 2, reasons(parsed)
    assert list(parsed.rows["row_number"]) == [2, 4]
    assert len(parsed.rejected) == 1
    assert parsed.rejected[0].row_number == 3
    assert reason in parsed.rejected[0].reason
    assert json.loads(parsed.rejected[0].row_text)["league"] == line.split(",")[0]


def test_bad_line_type_quarantined():
    parsed = totals(
        "nba,2017-01-05,A,B,215,-110,-110,100,99,dk,closing",
        "nba,2017-01-05,A,B,215,-110,-110,100,99,dk,",
        header=TOTALS_HEADER + ",book,line_type",
    )
    assert reasons(parsed) == {2: "line_type is not open or close"}
    assert len(parsed.rows) == 1


def test_exact_duplicates_name_the_earlier_row_and_lose_nothing():
    other_book = GOOD_TOTAL.replace("Boston", "Boston") + ""
    parsed = totals(
        GOOD_TOTAL,
        "nhl,2017-01-06,C,D,5.5,-110,-110,3,2",
        GOOD_TOTAL,
        " " + GOOD_TOTAL.replace(",", " , "),  # the same fields, spaced
        other_book.replace("-110,-110", "-105,-115"),  # another price: not an exact duplicate
    )
    assert reasons(parsed) == {
        4: "exact duplicate of row 2",
        5: "exact duplicate of row 2",
    }
    assert list(parsed.rows["row_number"]) == [2, 3, 6]


def test_day_first_file_and_mixed_order_file():
    day_first = totals(
        "nba,25/12/2016,A,B,215,-110,-110,100,99",
        "nba,1/2/2017,A,B,215,-110,-110,100,99",
    )
    assert list(day_first.rows["game_date"]) == [date(2016, 12, 25), date(2017, 2, 1)]
    mixed = totals(
        "nba,25/12/2016,A,B,215,-110,-110,100,99",
        "nba,12/26/2016,A,B,215,-110,-110,100,99",
        "nba,1/2/2017,A,B,215,-110,-110,100,99",
    )
    assert list(mixed.rows["game_date"]) == [date(2016, 12, 25), date(2016, 12, 26)]
    assert "both month/day and day/month" in reasons(mixed)[4]


def test_props_messy_names_markets_unsettled_and_quoted_at():
    parsed = props(
        GOOD_PROP + ",2017-01-05T18:30:00-05:00",
        'nba,2017-01-05,"Jaren Jackson Jr.",MEM,DAL,player_rebounds,6,fanduel,+105,-125,,2017-01-05 20:00',
        "nba,2017-01-05,P.J. Tucker,HOU,SAS,Rebounds + Assists,7.5,book a,-110,-110,7.5,",
        "nhl,2017-01-05,Auston Matthews,TOR,MTL,player_goals,0.5,pinnacle,+150,-180,1,",
        header=PROPS_HEADER + ",Quoted At",
    )
    assert parsed.rejected == []
    rows = parsed.rows
    assert list(rows["player"]) == [
        "Stephen Curry",
        "Jaren Jackson Jr.",
        "P.J. Tucker",
        "Auston Matthews",
    ]
    assert rows["market"].iloc[2] == "Rebounds + Assists"  # the user's own market name
    assert pd.isna(rows["actual_value"].iloc[1])  # unsettled, not an error
    assert rows["actual_value"].iloc[2] == 7.5  # a push
    assert rows["quoted_at"].iloc[0] == pd.Timestamp("2017-01-05 23:30:00")  # offset converted
    assert rows["quoted_at"].iloc[1] == pd.Timestamp("2017-01-05 20:00:00")  # as given
    assert pd.isna(rows["quoted_at"].iloc[2])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("nba,2017-01-05,,GSW,BOS,player_points,27.5,dk,-115,-105,31", "player missing"),
        ("nba,2017-01-05,Curry,GSW,BOS,,27.5,dk,-115,-105,31", "market missing"),
        ("nba,2017-01-05,Curry,GSW,BOS,player_points,,dk,-115,-105,31", "line missing"),
        (
            "nba,2017-01-05,Curry,GSW,BOS,player_points,101,dk,-115,-105,31",
            "line implausible for a prop (0 to 100)",
        ),
        ("nba,2017-01-05,Curry,GSW,BOS,player_points,-1,dk,-115,-105,31", "line implausible"),
        ("nba,2017-01-05,Curry,GSW,BOS,player_points,27.5,,-115,-105,31", "book missing"),
        (
            "nba,2017-01-05,Curry,GSW,BOS,player_points,27.5,dk,2.10,-105,31",
            "over_price is not an American price",
        ),
        (
            "nba,2017-01-05,Curry,GSW,BOS,player_points,27.5,dk,-115,-105,-3",
            "actual_value is negative",
        ),
        (
            "nba,2017-01-05,Curry,GSW,BOS,player_points,27.5,dk,-115,-105,DNP",
            "actual_value is not a number",
        ),
        (
            "wnba,2017-01-05,Curry,GSW,BOS,player_points,27.5,dk,-115,-105,31",
            "league missing or not nba/nhl",
        ),
        (
            "nba,05.01.2017,Curry,GSW,BOS,player_points,27.5,dk,-115,-105,31",
            "game_date is not a date",
        ),
    ],
)
def test_bad_props_row_quarantined_and_good_rows_load(line, reason):
    parsed = props(GOOD_PROP, line, GOOD_PROP.replace("27.5", "28.5"))
    assert list(parsed.rows["row_number"]) == [2, 4], reasons(parsed)
    assert [r.row_number for r in parsed.rejected] == [3]
    assert reason in parsed.rejected[0].reason


def test_bad_quoted_at_quarantined():
    parsed = props(GOOD_PROP + ",yesterday", GOOD_PROP + ",", header=PROPS_HEADER + ",quoted_at")
    assert "quoted_at is not a timestamp" in reasons(parsed)[2]
    assert len(parsed.rows) == 1


def test_imports_is_an_ingest_vendor_never_fetched():
    assert FEEDS[("imports", "game_totals")].table == "raw_imports__game_totals"
    assert FEEDS[("imports", "prop_odds")].table == "raw_imports__prop_odds"
    assert "imports" not in BACKFILL_VENDORS
    assert "imports" not in FAILABLE_VENDORS


def test_ingest_loads_rows_with_their_line_and_the_import_time(home: Home):
    folder = home.inbox / "imports" / "game_totals"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("\n".join([TOTALS_HEADER, GOOD_TOTAL, "\n", GOOD_TOTAL, "x"]))
    report = ingest(home, vendors={"imports"})
    assert report.rows_loaded["raw_imports__game_totals"] == 1
    assert report.rows_quarantined["raw_imports__game_totals"] == 2
    with connect(home) as con:
        row = con.execute(
            "select row_number, game_date, fetched_at, home_score from raw.raw_imports__game_totals"
        ).fetchone()
        quarantined = con.execute(
            "select row_number, reason from raw.raw_quarantine order by row_number"
        ).fetchall()
    assert row == (2, date(2017, 1, 5), utc_now(), 110)
    assert isinstance(row[2], datetime)
    assert quarantined == [  # lines 3 and 4 are blank
        (5, "exact duplicate of row 2"),
        (6, "row has fewer fields than the header (file cut short?)"),
    ]
