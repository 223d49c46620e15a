"""The league's availability (injury) report: messy real-world files load what is right, and
refuse what is not with the reason, on a real DuckDB file."""

from __future__ import annotations

from propcast.ingest import ingest
from propcast.raw_schema import RAW_SCHEMA
from propcast.settings import Home
from propcast.warehouse import connect
from tests.support.boxscore_files import quarantine_reasons

HEADER = "game_id,league,game_date,team,player_id,player_name,status,reason,reported_at,fetched_at"
FETCHED = "2026-11-20T14:05:00Z"


def write(home: Home, name: str, lines: list[str]) -> None:
    path = home.inbox / "league" / "availability" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def loaded(home: Home) -> list[tuple]:
    with connect(home) as con:
        return con.execute(
            f"select player_id, team, status, status_reason, game_id, reported_at from {RAW_SCHEMA}."
            "raw_availability order by player_id"
        ).fetchall()


def test_a_messy_report_loads_its_good_rows_and_says_why_it_refused_the_others(home: Home) -> None:
    at = "2026-11-20T14:00:00Z"
    write(home, "2026-11-20__20261120T140500Z.csv", [
        HEADER,
        f"401,NBA,2026-11-20,BOS,P1,Ann One,OUT,injury,{at},{FETCHED}",  # any case
        f"401,nba,2026-11-20,BOS,P2,Bo Two, Questionable ,,{at},{FETCHED}",  # blank reason
        f",NBA,2026-11-20,NY,P3,Cy Three,out,rest,{at},{FETCHED}",  # no game id: fine
        f"401,NBA,2026-11-20,BOS,,No Id,out,injury,{at},{FETCHED}",
        f"401,NBA,2026-11-20,BOS,P5,Ed Five,maybe,injury,{at},{FETCHED}",
        f"401,NBA,2026-11-20,BOS,P6,Fay Six,out,injury,2026-11-20T15:00:00Z,{FETCHED}",
        f"401,NBA,2026-11-20,BOS,P7,Gus Seven,out,injury,yesterday,{FETCHED}",
        f"401,WNBA,2026-11-20,BOS,P8,Hal Eight,out,injury,{at},{FETCHED}",
        f"401,NBA,2026-11-20,BOS,P1,Ann One,out,injury,{at},{FETCHED}",  # repeated in the file
    ])  # fmt: skip
    report = ingest(home)

    rows = loaded(home)
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        ("P1", "BOS", "out", "injury", "401"),
        ("P2", "BOS", "questionable", "", "401"),
        ("P3", "NY", "out", "rest", ""),
    ]
    assert report.rows_loaded["raw_availability"] == 3
    reasons = quarantine_reasons(home)
    assert reasons == sorted(
        [
            "player_id or team missing",
            "status not one of ['out', 'doubtful', 'questionable', 'probable', 'available']",
            "reported_at after the file's fetched_at",
            "reported_at missing or not a timestamp",
            "league not one of ['NBA', 'NHL']",
            "duplicate of an earlier row of this payload (same game_date, team, player_id)",
        ]
    ), reasons


def test_a_report_without_its_optional_columns_loads_and_one_without_status_is_refused(
    home: Home,
) -> None:
    at = "2026-11-20T14:00:00Z"
    write(home, "2026-11-20__20261120T140500Z.csv", [
        "league,game_date,team,player_id,status,reported_at,fetched_at",
        f"NHL,2026-11-20,TOR,N1,out,{at},{FETCHED}",
    ])  # fmt: skip
    write(home, "2026-11-21__20261121T140500Z.csv", [
        "league,game_date,team,player_id,reported_at,fetched_at",
        f"NHL,2026-11-21,TOR,N2,{at},{FETCHED}",
    ])  # fmt: skip
    report = ingest(home)

    assert [(r[0], r[2], r[4]) for r in loaded(home)] == [("N1", "out", "")]
    assert any("lacks columns ['status']" in p for p in report.problems), report.problems
