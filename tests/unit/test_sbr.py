"""SBR season workbooks (issue 16): layouts read by header and position, the year from the row
order, one game per two rows, every game loaded or quarantined with its reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from propcast.vendors.sbr import PARTNER_REASON, parse
from propcast.vendors.sbr_workbook import SbrRefused, parse_season, read_sbr
from tests.support.sbr_books import (
    NBA_HEADER,
    NHL_HEADER_14,
    NHL_HEADER_15,
    NHL_HEADER_16,
    nba_game,
    nhl_game,
    write_book,
)


def games(path: Path, **options):
    parsed = parse(read_sbr(path, **options).payload())
    return parsed.rows, {r.row_number: r.reason for r in parsed.rejected}


def test_nba_trailing_columns_pk_neutral_site_and_the_january_turn(tmp_path: Path) -> None:
    rows = [
        *nba_game(1025, 501, "NewYork", "Cleveland", total=205.5, spread=9.5),
        *nba_game(1231, 503, "LAClippers", "GoldenState", spread="pk"),
        *nba_game(105, 505, "Boston", "Charlotte", sides=("N", "N")),
        *nba_game(611, 507, "GoldenState", "Cleveland"),
    ]
    # a visitor favoured: the spread on the visitor's row, the total on the home row
    rows[6][9:11], rows[7][9:11] = [3, 3.5], [212, 213]
    header = (*NBA_HEADER, None, None)
    path = write_book(tmp_path / "nba odds 2016-17.xlsx", header, [[*r, None, None] for r in rows])
    frame, rejected = games(path)
    assert rejected == {}
    assert frame["game_date"].tolist() == [
        date(2016, 10, 25), date(2016, 12, 31), date(2017, 1, 5), date(2017, 6, 11)
    ]  # fmt: skip
    first = frame.iloc[0]
    assert (first.league, first.season, first.visitor_team, first.home_team) == (
        "nba", "2016-17", "NewYork", "Cleveland")  # fmt: skip
    assert (first.open_total, first.close_total, first.close_spread_home) == (205.5, 205.5, -9.5)
    assert first.close_over_price is None or first.close_over_price != first.close_over_price
    assert frame.iloc[1].close_spread_home == 0  # pk
    assert frame["neutral_site"].tolist() == [False, False, True, False]
    assert (frame.iloc[3].close_total, frame.iloc[3].close_spread_home) == (213, 3.5)
    assert frame.iloc[0].ending == "regulation"


def test_nba_bad_games_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    rows = [
        *nba_game(1101, 501, "Utah", "Portland"),
        *nba_game(1101, 503, "Chicago", "Utah", total=1955.5),  # impossible total
        *nba_game(1102, 505, "Miami", "Orlando", total=None),  # blank total
        *nba_game(1102, 507, "Dallas", "Denver"),
        *nba_game(1103, 509, "Boston", "Brooklyn"),
    ]
    rows[6][10] = -110  # a price pasted into the Close column
    del rows[8]  # the Boston row without its partner... its home row is the last row
    overtime = nba_game(1104, 511, "Atlanta", "Detroit",
                        scores=((25, 25, 25, 25), (25, 25, 25, 25)))  # fmt: skip
    overtime[0][8], overtime[1][8] = 112, 108
    path = write_book(tmp_path / "nba odds 2016-17.xlsx", NBA_HEADER, [*rows, *overtime])
    frame, rejected = games(path)
    assert frame["visitor_team"].tolist() == ["Utah", "Atlanta"]
    assert frame.iloc[1].past_regulation and frame.iloc[1].ending == "overtime"
    assert rejected[4] == "open total implausible for an NBA game (100 to 350): 1955.5"
    assert rejected[6] == "open total missing (a blank open cell)"
    assert rejected[8] == "close holds a price (-110), not a total or spread"
    assert rejected[10] == PARTNER_REASON
    assert len(frame) + 4 == 6  # every game of the sheet loaded or refused


def _nhl_book(tmp_path: Path, header, layout: int, name: str = "nhl odds 2016-17.xlsx"):
    rows = [
        *nhl_game(1012, 1, "Toronto", "Ottawa", layout=layout),
        *nhl_game(1013, 3, "St.Louis", "NYRangers", periods=((1, 0, 1), (0, 2, 0)),
                  finals=(2, 3), layout=layout),  # shootout or overtime: +1 to the winner
        *nhl_game(1014, 5, "Arizona", "Chicago", total=-110, layout=layout),
        *nhl_game(1015, 7, "Boston", "Buffalo", periods=((0, 1, 0), (1, 0, 0)),
                  finals=(1, 0), layout=layout),  # the winner's final is not reg + 1
        *nhl_game(1016, 9, "Dallas", "Detroit", over=-20, layout=layout),
    ]  # fmt: skip
    return write_book(tmp_path / name, header, rows)


@pytest.mark.parametrize(
    ("header", "layout"),
    [
        (NHL_HEADER_16, 16),
        (NHL_HEADER_15, 15),
        (NHL_HEADER_14, 14),
        # the header names fewer columns than the rows fill, without the blank cells
        ([h for h in NHL_HEADER_16 if h], 16),
        (
            [
                "Date",
                "Rot",
                "VH",
                "Team",
                "1st",
                "2nd",
                "3rd",
                "Final",
                "Open",
                "Close",
                "PuckLine",
                "OpenOU",
                "CloseOU",
            ],
            16,
        ),
    ],
)
def test_nhl_layouts(tmp_path: Path, header, layout: int) -> None:
    frame, rejected = games(_nhl_book(tmp_path, header, layout))
    assert frame["home_team"].tolist() == ["Ottawa", "NYRangers"]
    first, shootout = frame.iloc[0], frame.iloc[1]
    assert (first.close_total, first.close_over_price, first.close_under_price) == (5.5, -105, -115)
    assert first.visitor_close_ml == 125 and first.home_close_ml == -145
    assert (first.past_regulation, first.ending) == (False, "regulation")
    assert (shootout.visitor_final, shootout.home_final) == (2, 3)  # not added twice
    assert (shootout.past_regulation, shootout.ending) == (True, "overtime_or_shootout")
    assert rejected == {
        6: "open total holds a price (-110): a price in the line column",
        8: "final score 1-0 after a 1-1 regulation tie (the winner's final is its regulation "
        "goals plus one)",
        10: "open over price is not an American price (-20)",
    }


def test_nhl_shootout_column_tells(tmp_path: Path) -> None:
    header = ("Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "SO", "Final", "Open", "Close",
              "Open OU", None, "Close OU", None)  # fmt: skip
    rows = nhl_game(1012, 1, "Toronto", "Ottawa", periods=((1, 1, 0), (0, 2, 0)),
                    finals=(3, 2), layout=14)  # fmt: skip
    rows = [[*r[:7], so, *r[7:]] for r, so in zip(rows, (1, 0), strict=True)]
    frame, rejected = games(write_book(tmp_path / "nhl odds 2016-17.xlsx", header, rows))
    assert rejected == {}
    assert (frame.iloc[0].ending, frame.iloc[0].visitor_final) == ("shootout", 3)


@pytest.mark.parametrize(
    ("name", "dates", "expected"),
    [
        # a season starting in December (as the NBA's 2020-21), the turn at January
        ("nhl odds 2020-21.xlsx", [1222, 1231, 105], ["2020-12-22", "2020-12-31", "2021-01-05"]),
        # SBR's own name for a season played in one calendar year (NHL 2020-21)
        ("nhl odds 2021.xlsx", [113, 430, 707], ["2021-01-13", "2021-04-30", "2021-07-07"]),
        # a lockout season starting in January
        ("nhl odds 2012-13.xlsx", [119, 624], ["2013-01-19", "2013-06-24"]),
        # 2019-20: stopped in March, resumed in August 2020, ended in October 2020
        (
            "nhl odds 2019-20.xlsx",
            [1002, 311, 801, 928],
            ["2019-10-02", "2020-03-11", "2020-08-01", "2020-09-28"],
        ),
    ],
)
def test_year_from_the_row_order(tmp_path: Path, name: str, dates, expected) -> None:
    rows = [row for i, d in enumerate(dates) for row in nhl_game(d, 1 + 2 * i, "Boston", "Ottawa")]
    frame, rejected = games(write_book(tmp_path / name, NHL_HEADER_16, rows))
    assert rejected == {}
    assert [str(d) for d in frame["game_date"]] == expected


def test_a_second_month_drop_is_a_date_out_of_order(tmp_path: Path) -> None:
    dates = [1020, 1101, 1025, 1231, 105]
    rows = [row for i, d in enumerate(dates) for row in nhl_game(d, 1 + 2 * i, "Boston", "Ottawa")]
    frame, rejected = games(write_book(tmp_path / "nhl odds 2016-17.xlsx", NHL_HEADER_16, rows))
    assert rejected == {6: "date out of order (1025: the month drops twice)"}
    assert str(frame["game_date"].iloc[-1]) == "2017-01-05"


def test_options_override_the_file_name(tmp_path: Path) -> None:
    path = write_book(tmp_path / "history.xlsx", NHL_HEADER_16, nhl_game(1012, 1, "A", "B"))
    with pytest.raises(SbrRefused, match="no season in the file name"):
        read_sbr(path)
    sheet = read_sbr(path, league="nhl", season="2018-19")
    assert (sheet.league, sheet.season) == ("nhl", "2018-19")


@pytest.mark.parametrize(
    ("name", "header", "options", "message"),
    [
        ("nfl odds 2016-17.xlsx", NBA_HEADER, {}, "NFL workbook; only nba and nhl"),
        ("nba odds 2016-17.xlsx", NHL_HEADER_16, {}, "the file name says NBA but the header is"),
        ("odds 2016-17.xlsx", NBA_HEADER, {"league": "nhl"}, "--league says NHL"),
        (
            "nba odds 2016-17.xlsx",
            ("Date", "Rot", "VH", "Team", "Final"),
            {},
            "neither SBR layout; expected NBA: Date, Rot",
        ),
        ("nba odds 2016-17.xlsx", ("Game", "Score"), {}, "no SBR header"),
        ("nba odds 2016-17.xlsx", (*NBA_HEADER[:-1], "Notes"), {}, "unknown column"),
        ("nba odds 2016-17.xlsx", NBA_HEADER, {"season": "last year"}, "is not a season"),
    ],
)
def test_refused_workbooks_name_what_was_expected(
    tmp_path: Path, name: str, header, options: dict, message: str
) -> None:
    path = write_book(tmp_path / name, header, nba_game(1025, 501, "Utah", "Portland"))
    with pytest.raises(SbrRefused, match=message):
        read_sbr(path, **options)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "nba odds 2016-17.xlsx"
    path.write_text("Date,Rot\n")
    with pytest.raises(SbrRefused, match=r"is not an \.xlsx workbook"):
        read_sbr(path)


@pytest.mark.parametrize(
    ("text", "season"),
    [("nba odds 2016-17", "2016-17"), ("nhl odds 2021", "2020-21"), ("x 2016-2017", "2016-17"),
     ("nba_2019_20", "2019-20"), ("odds", None)],
)  # fmt: skip
def test_parse_season(text: str, season: str | None) -> None:
    assert parse_season(text) == season


def test_same_workbook_same_payload(tmp_path: Path) -> None:
    path = _nhl_book(tmp_path, NHL_HEADER_16, 16)
    assert read_sbr(path).payload() == read_sbr(path).payload()
