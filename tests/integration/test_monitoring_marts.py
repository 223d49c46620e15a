"""The monitoring marts odds coverage, phase status and EV summary, on the demo world.

Read-only checks use the session `demo_world` (walk-forward predictions 2027-01-03..01-11,
then the morning run-day of slate 2027-01-12); a test that changes data works on its own
`demo_home` copy and rebuilds only the models it needs. Every expectation is recomputed here
in Python from other tables than the mart reads, not copied from its SQL.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

import pytest

from propcast.dbt_runner import Dbt, DbtResult
from propcast.runs import load_run_registry
from propcast.settings import Home
from propcast.warehouse import connect

PHASES = ["ingest", "staging", "analytics", "features", "predictions"]


def rows(home: Home, sql: str, params: list | None = None) -> list[dict]:
    with connect(home) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def scalar(home: Home, sql: str, params: list | None = None):
    with connect(home) as con:
        return con.execute(sql, params or []).fetchone()[0]


def built(result: DbtResult) -> DbtResult:
    assert result.success, result.error or [f"{n.unique_id}: {n.message}" for n in result.failed]
    return result


# --- fct_odds_coverage_daily ------------------------------------------------------------------


def expected_players(home: Home, day: date) -> set[tuple[str, str]]:
    """(game, player): who played for either team in its latest final game before `day`."""
    games = rows(
        home,
        "select game_id, game_date, home_team_id, away_team_id, is_final, is_postponed "
        "from main.dim_game",
    )
    played = defaultdict(set)  # (game, team) -> players
    for stat in rows(home, "select game_id, team_id, player_id from main.fct_player_game_stats"):
        played[stat["game_id"], stat["team_id"]].add(stat["player_id"])
    expected = set()
    for game in games:
        if game["game_date"] != day or game["is_postponed"]:
            continue
        for team in (game["home_team_id"], game["away_team_id"]):
            before = [
                g
                for g in games
                if g["is_final"]
                and g["game_date"] < day
                and team in (g["home_team_id"], g["away_team_id"])
            ]
            if before:
                last = max(before, key=lambda g: g["game_date"])
                expected |= {(game["game_id"], p) for p in played[last["game_id"], team]}
    return expected


def test_coverage_counts_scheduled_games_and_expected_players(demo_world) -> None:
    home, slate = demo_world.home, demo_world.slate
    coverage = rows(home, "select * from main.fct_odds_coverage_daily where game_date = ?", [slate])
    assert {r["vendor"] for r in coverage} == {"oddsapi", "csvfeed", "decimalfeed"}
    outside = scalar(
        home,
        "select count(*) from main.fct_odds_coverage_daily where games_offered > games_scheduled "
        "or players_offered > players_expected or not game_coverage between 0 and 1",
    )
    assert outside == 0
    games = scalar(
        home, "select count(*) from main.dim_game where game_date = ? and not is_postponed", [slate]
    )
    expected = expected_players(home, slate)
    assert games > 0 and len(expected) > 10 * games
    assert {r["games_scheduled"] for r in coverage} == {games}
    assert {r["players_expected"] for r in coverage} == {len(expected)}

    # One vendor x book against its pre-game quotes in fct_prop_odds.
    row = next(r for r in coverage if r["vendor"] == "oddsapi")
    quotes = rows(
        home,
        "select distinct game_id, coalesce(player_id, vendor_player_name) as player_id, market, "
        "line from main.fct_prop_odds "
        "where game_date = ? and vendor = 'oddsapi' and book_id = ? and is_pregame",
        [slate, row["book_id"]],
    )
    offered = {(q["game_id"], q["player_id"]) for q in quotes} & expected
    assert row["players_offered"] == len({p for _, p in offered}) > 0
    assert row["games_offered"] == len({q["game_id"] for q in quotes if q["game_id"]})
    assert row["lines_offered"] == len(quotes)
    assert row["game_coverage"] == pytest.approx(row["games_offered"] / games)
    assert row["player_coverage"] == pytest.approx(len(offered) / len(expected))


def test_coverage_drops_for_a_vendor_whose_files_for_a_date_are_gone(demo_home: Home) -> None:
    """Yesterday's oddsapi quotes are deleted from the raw layer and the morning's slices are
    rebuilt: oddsapi's books keep their rows for that date, at 0 coverage; nothing else moves."""
    slate = date(2027, 1, 12)
    day = slate - timedelta(days=1)
    query = (
        "select * from main.fct_odds_coverage_daily where game_date in (?, ?) "
        "order by game_date, vendor, book_id"
    )
    before = rows(demo_home, query, [day, slate])
    deleted = scalar(demo_home, "delete from raw.raw_oddsapi__prop_odds where game_date = ?", [day])
    assert deleted > 1000

    built(
        Dbt(demo_home).invoke(
            [
                "build",
                "--select",
                "int_prop_odds_unioned int_prop_odds_mapped fct_odds_coverage_daily",
            ],
            run_vars={"run_date": slate.isoformat()},
        )
    )
    after = rows(demo_home, query, [day, slate])

    key = ("game_date", "vendor", "book_id")
    assert [tuple(r[k] for k in key) for r in after] == [tuple(r[k] for k in key) for r in before]
    dropped = [r for r in after if r["vendor"] == "oddsapi" and r["game_date"] == day]
    assert len(dropped) >= 2
    for was, now in zip(before, after, strict=True):
        if now in dropped:
            assert was["game_coverage"] == 1.0 and was["player_coverage"] > 0.3
            assert (now["games_offered"], now["players_offered"], now["lines_offered"]) == (0, 0, 0)
            assert (now["game_coverage"], now["player_coverage"]) == (0.0, 0.0)
            assert now["games_scheduled"] == was["games_scheduled"] > 0
        else:
            assert now == was


# --- fct_phase_status_daily -------------------------------------------------------------------


def phase_status(home: Home, day: date) -> dict[str, dict]:
    found = rows(
        home,
        "select * from main.fct_phase_status_daily where game_date = ? order by phase_order",
        [day],
    )
    assert [(r["phase"], r["phase_order"]) for r in found] == list(
        zip(PHASES, range(1, 6), strict=True)
    )
    return {r["phase"]: r for r in found}


def record_run(home: Home, run_id: str, run_date: date, started_at: str, **phases: str) -> None:
    """A run as the registry loader writes it: phases as JSON text."""
    status = "failed" if "failed" in phases.values() else "ok"
    with connect(home) as con:
        con.execute(
            "insert into raw.raw_run_registry (run_id, command, run_date, started_at, status, "
            "phases) values (?, 'recover', ?, ?, ?, ?)",
            [run_id, run_date, started_at, status, json.dumps(phases)],
        )


def test_phase_status_as_the_morning_build_saw_it(demo_world) -> None:
    """The morning run's own phases after ingest appear from the next build on; the
    walk-forward dates were built without a run, so no phase of theirs is complete."""
    home, slate = demo_world.home, demo_world.slate
    [run] = rows(home, "select run_id from main.fct_run_registry where run_date = ?", [slate])
    status = phase_status(home, slate)
    assert status["ingest"]["latest_run_id"] == run["run_id"]
    assert status["ingest"]["recorded_outcome"] in ("ok", "degraded")
    assert status["ingest"]["is_complete"] and status["ingest"]["rows_for_date"] > 1000
    for phase in PHASES[1:]:
        assert status[phase]["recorded_outcome"] is None
        assert not status[phase]["is_complete"]
        assert status[phase]["rows_for_date"] > 0

    walked_date = slate - timedelta(days=1)
    walked = phase_status(home, walked_date)
    assert not any(r["is_complete"] or r["latest_run_id"] for r in walked.values())
    scored = scalar(
        home, "select count(*) from main.fct_predictions where game_date = ?", [walked_date]
    )
    assert walked["predictions"]["rows_for_date"] == scored > 0


def test_phase_status_needs_a_recorded_success_and_rows(demo_home: Home) -> None:
    """After the run's state file is loaded every phase of the slate is complete; deleting the
    slate's predictions makes that phase incomplete; a later run that failed analytics voids
    the phases after it; a recover that reran features and predictions restores them."""
    slate = date(2027, 1, 12)
    dbt = Dbt(demo_home)
    selection = ["build", "--select", "fct_run_registry fct_phase_status_daily"]
    run_vars = {"run_date": slate.isoformat()}
    with connect(demo_home) as con:
        load_run_registry(demo_home, con)
    built(dbt.invoke(selection, run_vars=run_vars))
    status = phase_status(demo_home, slate)
    assert all(r["is_complete"] for r in status.values()), status
    run_id = scalar(demo_home, "select run_id from main.fct_run_registry")
    assert {r["latest_run_id"] for r in status.values()} == {run_id}

    with connect(demo_home) as con:
        con.execute("delete from main.fct_predictions where game_date = ?", [slate])
    built(dbt.invoke(["build", "--select", "fct_phase_status_daily"], run_vars=run_vars))
    status = phase_status(demo_home, slate)
    assert status["predictions"]["rows_for_date"] == 0
    assert status["predictions"]["recorded_outcome"] in ("ok", "degraded")
    assert not status["predictions"]["is_complete"]
    assert all(status[p]["is_complete"] for p in PHASES[:-1])

    # Two later runs for the slate, written straight into the registry table (the state files'
    # loader would replace it): one failed analytics, then a recover reran the last two phases.
    record_run(
        demo_home,
        "r-failed",
        slate,
        "2027-01-13 16:00:00",
        ingest="ok",
        staging="ok",
        analytics="failed",
    )
    built(dbt.invoke(selection, run_vars=run_vars))
    status = phase_status(demo_home, slate)
    assert [status[p]["latest_run_id"] for p in PHASES] == ["r-failed"] * 5
    assert [status[p]["recorded_outcome"] for p in PHASES] == ["ok", "ok", "failed", None, None]
    assert [status[p]["is_complete"] for p in PHASES] == [True, True, False, False, False]

    record_run(
        demo_home, "r-recover", slate, "2027-01-13 17:00:00", features="ok", predictions="degraded"
    )
    built(dbt.invoke(selection, run_vars=run_vars))
    status = phase_status(demo_home, slate)
    assert [status[p]["latest_run_id"] for p in PHASES] == ["r-failed"] * 3 + ["r-recover"] * 2
    assert [status[p]["is_complete"] for p in PHASES] == [True, True, False, True, False]
    assert run_id not in {r["latest_run_id"] for r in status.values()}


# --- fct_ev_summary_daily ---------------------------------------------------------------------


def settle(home: Home, day: date) -> dict[str, float | int]:
    """The day's recommended bets settled from fct_bet_recommendations and the boxscores."""
    bets = rows(
        home,
        "select game_id, player_id, market, line, side, price_decimal, stake, ev "
        "from main.fct_bet_recommendations where game_date = ? and is_recommended",
        [day],
    )
    stat_of = {r["market_id"]: r["stat"] for r in rows(home, "select * from main.markets")}
    box = {
        (r["game_id"], r["player_id"]): r
        for r in rows(home, "select * from main.fct_player_game_stats where game_date = ?", [day])
    }
    games_with_boxscores = {game for game, _ in box}
    out = defaultdict(float)
    for bet in bets:
        out["recommendations"] += 1
        out["total_stake"] += bet["stake"]
        out["expected_profit"] += bet["stake"] * bet["ev"]
        if bet["game_id"] not in games_with_boxscores:
            out["bets_pending"] += 1
            continue
        line = box.get((bet["game_id"], bet["player_id"]))
        if line is None:
            out["bets_void"] += 1
            continue
        stat = line[stat_of[bet["market"]]]
        out["settled_bets"] += 1
        out["settled_stake"] += bet["stake"]
        if stat == bet["line"]:
            out["bets_pushed"] += 1
        elif (stat > bet["line"]) == (bet["side"] == "over"):
            out["bets_won"] += 1
            out["profit"] += bet["stake"] * (bet["price_decimal"] - 1.0)
        else:
            out["bets_lost"] += 1
            out["profit"] -= bet["stake"]
    return out


def test_ev_summary_settles_like_a_recomputation(demo_world) -> None:
    home, slate = demo_world.home, demo_world.slate
    day = slate - timedelta(days=1)  # settled by the morning run's boxscores
    [summary] = rows(
        home,
        "select * from main.fct_ev_summary_daily where game_date = ? and market = ?",
        [day, "player_points"],
    )
    mine = settle(home, day)
    unbalanced = scalar(
        home,
        "select count(*) from main.fct_ev_summary_daily where recommendations > lines_priced "
        "or settled_bets != bets_won + bets_lost + bets_pushed "
        "or settled_bets + bets_void + bets_pending != recommendations",
    )
    assert unbalanced == 0
    assert mine["settled_bets"] >= 20 and mine["bets_won"] > 0 and mine["bets_lost"] > 0
    for column in ("recommendations", "settled_bets", "bets_won", "bets_lost", "bets_pushed"):
        assert summary[column] == mine[column], column
    assert summary["bets_void"] == mine["bets_void"]
    for column in ("total_stake", "expected_profit", "profit"):
        assert summary[column] == pytest.approx(mine[column], abs=1e-6), column
    assert summary["roi"] == pytest.approx(mine["profit"] / mine["settled_stake"])
    assert summary["mean_clv"] is not None and -0.2 < summary["mean_clv"] < 0.2

    # The slate itself is not played yet: everything is pending, no profit, no closing line.
    # The props' row (the demo's game totals have rows of their own, with no recommendations).
    [today] = rows(
        home,
        "select * from main.fct_ev_summary_daily where game_date = ? and market = 'player_points'",
        [slate],
    )
    assert today["recommendations"] == today["bets_pending"] > 0
    assert today["settled_bets"] == 0
    assert (today["profit"], today["roi"], today["mean_clv"]) == (None, None, None)


def test_ev_summary_clv_uses_the_closing_line_of_the_bet(demo_world) -> None:
    """CLV = mean closing fair probability of the side over books that closed on the bet's line
    (fct_prop_odds' closing snapshots) minus 1 / decimal price."""
    home = demo_world.home
    day = demo_world.slate - timedelta(days=2)
    closing = defaultdict(list)
    for q in rows(
        home,
        "select game_id, player_id, market, line, fair_prob_over from main.fct_prop_odds "
        "where game_date = ? and is_closing and fair_prob_over is not null",
        [day],
    ):
        closing[q["game_id"], q["player_id"], q["market"], q["line"]].append(q["fair_prob_over"])
    clvs = []
    for bet in rows(
        home,
        "select * from main.fct_bet_recommendations where game_date = ? and is_recommended",
        [day],
    ):
        probs = closing.get((bet["game_id"], bet["player_id"], bet["market"], bet["line"]))
        if probs:
            over = sum(probs) / len(probs)
            side = over if bet["side"] == "over" else 1.0 - over
            clvs.append(side - 1.0 / bet["price_decimal"])
    [summary] = rows(
        home,
        "select * from main.fct_ev_summary_daily where game_date = ? and market = 'player_points'",
        [day],
    )
    assert summary["bets_with_clv"] == len(clvs) > 5
    assert summary["mean_clv"] == pytest.approx(sum(clvs) / len(clvs), abs=1e-9)
