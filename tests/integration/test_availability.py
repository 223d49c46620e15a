"""The league's availability report, from the world's files through ingest and dbt to the
predictors' `teammates_out_minutes`, recomputed here independently from the same files."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from propcast.warehouse import connect
from tests.integration.conftest import BuiltWorld


def world_reports(built_world: BuiltWorld) -> pd.DataFrame:
    folder = built_world.home.world / "feeds" / "league" / "availability"
    files = sorted(folder.glob("*.csv"))
    assert files, "the world publishes an availability report per game date"
    reports = pd.concat([pd.read_csv(p, dtype=str) for p in files], ignore_index=True)
    reports["game_date"] = pd.to_datetime(reports["game_date"]).dt.date
    return reports


def test_teammates_out_minutes_are_the_reported_teammates_recent_minutes(
    built_world: BuiltWorld,
) -> None:
    reports = world_reports(built_world)
    with connect(built_world.home) as con:
        features = con.execute(
            "select player_id, game_id, game_date, team_id, teammates_out_minutes "
            "from main.fct_player_points_features where team_id is not null"
        ).df()
        stats = con.execute(
            "select player_id, game_date, minutes from main.fct_player_game_stats"
        ).df()
        aliases = dict(
            con.execute(
                "select alias, team_id from main.team_aliases where league = 'NBA'"
            ).fetchall()
        )
        staged = con.execute("select count(*) from main.stg_league__availability").fetchone()[0]
    assert staged == len(reports)
    reports["team_id"] = reports["team"].str.lower().map(aliases)
    assert reports["team_id"].notna().all()
    out = reports[reports["status"] == "out"]
    stats["game_date"] = pd.to_datetime(stats["game_date"]).dt.date
    stats = stats.sort_values("game_date")

    def expected(row) -> float:
        total = 0.0
        listed = out[(out.game_date == row.game_date) & (out.team_id == row.team_id)]
        for q in listed.player_id:
            if q == row.player_id:
                continue
            prior = stats[(stats.player_id == q) & (stats.game_date < row.game_date)]
            if len(prior) and prior.game_date.iloc[-1] >= row.game_date - timedelta(days=30):
                total += prior.minutes.tail(10).mean()
        return total

    features["game_date"] = pd.to_datetime(features["game_date"]).dt.date
    reported = features[features.game_date.isin(set(reports.game_date))]
    assert features.loc[~features.index.isin(reported.index), "teammates_out_minutes"].isna().all()
    sample = reported.sample(300, random_state=3)
    for row in sample.itertuples():
        assert row.teammates_out_minutes == pytest.approx(expected(row), abs=1e-6), row
    # Not a test of zeros: many rows carry reported teammates' minutes.
    assert (sample.teammates_out_minutes > 0).sum() > 100


def test_the_predictors_read_the_report(built_world: BuiltWorld) -> None:
    with connect(built_world.home) as con:
        share = con.execute(
            "select avg(case when teammates_out_minutes > 0 then 1.0 else 0 end) "
            "from main.fct_prop_line_features"
        ).fetchone()[0]
    assert share > 0.2, share
