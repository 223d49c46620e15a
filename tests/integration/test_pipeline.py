"""The whole path on a small demo world: world → fetch → ingest → dbt build, via the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.locking import writer_lock
from propcast.settings import PROJECT_DIR, Home
from propcast.warehouse import connect

from .conftest import BuiltWorld

runner = CliRunner()


def rows(home: Home, sql: str) -> list[tuple]:
    with connect(home) as con:
        return con.execute(sql).fetchall()


def raw_counts(home: Home) -> dict[str, int]:
    tables = rows(
        home, "select table_name from information_schema.tables where table_schema = 'raw'"
    )
    return {t: rows(home, f"select count(*) from raw.{t}")[0][0] for (t,) in tables}


def test_whole_path_builds_every_layer(built_world: BuiltWorld) -> None:
    summary = built_world.build
    assert summary.result.failed == []
    statuses = summary.counts
    assert statuses.get("success", 0) >= 15 and statuses.get("pass", 0) >= 30, statuses
    for table in (
        "main.dim_team", "main.dim_player", "main.dim_game", "main.fct_player_game_stats",
        "main.fct_prop_odds", "main.fct_player_points_features",
    ):  # fmt: skip
        assert summary.tables.get(table, 0) > 0, f"{table} is empty or missing"
    assert summary.tables["main.dim_team"] == 30 + 32  # the NBA and the NHL (teams seed)


def test_dbt_artefacts_stay_in_the_home(built_world: BuiltWorld) -> None:
    home = built_world.home
    assert (home.dbt_target / "run_results.json").exists()
    assert any(home.dbt_logs.iterdir())
    stray = PROJECT_DIR / "target" / "run_results.json"
    started = (home.dbt_target / "run_results.json").stat().st_mtime - 3600
    assert not stray.exists() or stray.stat().st_mtime < started, "dbt wrote into the repo"


def test_ingest_twice_adds_nothing(world_home: Home) -> None:
    before = raw_counts(world_home)
    result = runner.invoke(app, ["ingest", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["payloads_loaded"] == 0 and report["files_skipped"] == report["files_seen"] > 0
    assert raw_counts(world_home) == before


def test_unparseable_inbox_file_degrades_and_names_the_file(world_home: Home) -> None:
    broken = world_home.inbox / "oddsapi" / "prop_odds" / "2030-01-01__20300101T150000Z.json"
    broken.write_text('{"timestamp": "2030-01-01T15:00:00Z", "data": "truncated')
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 3, result.output
    assert "2030-01-01__20300101T150000Z.json" in result.output
    assert "recover with" in result.output
    reasons = rows(
        world_home, "select reason from raw.raw_quarantine where source_file like '%2030-01-01%'"
    )
    assert len(reasons) == 1


def test_a_second_writer_is_refused_with_the_holder_named(world_home: Home) -> None:
    with writer_lock(world_home, "build 2030-01-01"):
        result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 1
    assert "build 2030-01-01" in result.output and "pid" in result.output


def test_build_rejects_a_malformed_date_as_usage_error(world_home: Home) -> None:
    result = runner.invoke(app, ["build", "--date", "yesterday"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_console_script_is_installed_and_uses_the_home(world_home: Home) -> None:
    env = {**os.environ, "PROPCAST_HOME": str(world_home.root)}
    exe = Path(sys.executable).with_name("propcast")
    done = subprocess.run([str(exe), "ingest", "--json"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["verdict"] == "ok" and last["exit_code"] == 0


def test_feature_mart_uses_only_games_strictly_before(built_world: BuiltWorld) -> None:
    home = built_world.home
    with connect(home) as con:
        leaks = con.execute(
            "select count(*) from main.fct_player_points_features "
            "where features_through_date >= game_date"
        ).fetchone()[0]
        features = con.execute(
            "select player_id, game_id, game_date, points_avg_5, minutes_avg_82, games_played "
            "from main.fct_player_points_features"
        ).df()
        stats = con.execute(
            "select player_id, game_id, game_date, points, minutes from main.fct_player_game_stats"
        ).df()
    assert leaks == 0
    # Recompute the 5- and 82-game means independently: the player's last games strictly before.
    stats = stats.sort_values(["player_id", "game_date"])
    checked = longest = 0
    for row in features.dropna(subset=["points_avg_5"]).sample(300, random_state=1).itertuples():
        prior = stats[(stats.player_id == row.player_id) & (stats.game_date < row.game_date)]
        expected = prior.points.tail(5).mean()
        assert abs(expected - row.points_avg_5) < 1e-9, (row, expected)
        assert row.minutes_avg_82 == pytest.approx(prior.minutes.tail(82).mean(), abs=1e-9), row
        checked += 1
        longest = max(longest, len(prior))
    assert checked == 300
    assert longest > 10  # the long window spans more than the 10-game one here
    # Today's slate has feature rows though it has no boxscores yet.
    future = features[features.game_date == features.game_date.max()]
    assert len(future) > 0
