"""A prop family added to prop_markets (an upgrade's new default, or PROPCAST_PROP_MARKETS) on a
warehouse whose registry lacks it: the morning job trains first, a build leaves the predictions
phase out and says why, and a build that fails on an incremental model's new columns names the
full refresh that recovers it. On a real DuckDB registry table."""

from __future__ import annotations

from datetime import date

import pytest

from propcast.dbt_runner import SCHEMA_DRIFT_MESSAGE, DbtResult, NodeResult, full_refresh_hint
from propcast.markets import PROP_MARKETS_ENV, active_prop_markets
from propcast.settings import Home
from propcast.training import families_without_lines, families_without_model, training_due
from propcast.warehouse import connect

SLATE = date(2027, 1, 12)


def registry(home: Home, rows: list[tuple[str, str]]) -> None:
    with connect(home) as con:
        con.execute("create table main.ml_model_registry (market_family varchar, train_end date)")
        con.executemany("insert into main.ml_model_registry values (?, ?)", rows)


def test_a_family_without_a_model_makes_the_morning_job_train(home: Home) -> None:
    registry(home, [("player_points", "2027-01-10"), ("player_threes", "2027-01-12")])
    markets = ["player_points", "player_threes", "player_assists"]
    # threes' only model ends on the slate itself: it may not score it.
    assert families_without_model(home, SLATE, markets) == ["player_threes", "player_assists"]
    missing = families_without_model(home, SLATE, markets)
    why = training_due(home, SLATE, every_days=7, missing=missing)
    assert why == "no player_threes, player_assists model registered before 2027-01-12"
    assert families_without_model(home, SLATE, ["player_points"]) == []
    assert training_due(home, SLATE, every_days=7, missing=[]) is None
    assert training_due(home, SLATE, every_days=7) is None  # markets unknown: as before


def test_the_priced_families_follow_setting_then_project_vars_then_the_project(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PROP_MARKETS_ENV, raising=False)
    assert active_prop_markets() == [
        "player_points", "player_rebounds", "player_assists", "player_threes",
    ]  # fmt: skip
    nhl = {"prop_markets": ["player_shots_on_goal", "player_goals"]}
    assert active_prop_markets(nhl) == ["player_shots_on_goal", "player_goals"]
    monkeypatch.setenv(PROP_MARKETS_ENV, "player_points")
    assert active_prop_markets(nhl) == ["player_points"]


def _failed(name: str, message: str) -> NodeResult:
    return NodeResult(f"model.propcast.{name}", "error", message, 0.1)


def test_a_build_failing_on_new_columns_names_the_full_refresh() -> None:
    drift = f"Compilation Error: The source and target {SCHEMA_DRIFT_MESSAGE}!"
    result = DbtResult(["build"], False, [_failed("fct_prop_line_features", drift)])
    hint = full_refresh_hint(result, SLATE)
    assert hint is not None
    assert hint.startswith("propcast build --date 2027-01-12 --full-refresh")
    assert "fct_prop_line_features" in hint
    # Another failure besides: a full refresh alone would not recover it.
    mixed = DbtResult(
        ["build"], False, [_failed("fct_prop_line_features", drift), _failed("x", "boom")]
    )
    assert full_refresh_hint(mixed, SLATE) is None


def test_a_family_without_lines_in_the_feature_mart_is_named(home: Home) -> None:
    with connect(home) as con:
        con.execute(
            "create table main.fct_prop_line_features "
            "(market varchar, game_date date, stat_value double)"
        )
        con.execute(
            "insert into main.fct_prop_line_features values "
            "('player_points', '2027-01-10', 21), ('player_threes', '2027-01-12', 3), "
            "('player_assists', '2027-01-11', null)"
        )
    markets = ["player_points", "player_threes", "player_assists"]
    # threes' only line is on the slate, assists' is not settled: neither can train.
    assert families_without_lines(home, SLATE, markets) == ["player_threes", "player_assists"]
