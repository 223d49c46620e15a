"""PROPCAST_PROP_MARKETS: the player markets the predictors train, score and price, checked
against seeds/markets.csv and passed to every dbt invocation as var prop_markets; the demo of a
league prices that league's markets."""

from __future__ import annotations

import pytest
import yaml

from propcast.dbt_runner import _setting_vars
from propcast.demo import demo_markets, parse_leagues
from propcast.markets import PROP_MARKETS_ENV, player_markets, prop_markets_setting
from propcast.settings import PROJECT_DIR, SettingsError


def test_unset_leaves_dbt_var_prop_markets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROP_MARKETS_ENV, raising=False)
    assert prop_markets_setting() is None and "prop_markets" not in _setting_vars()
    assert demo_markets("NBA") is None  # the project's default: player_points
    assert demo_markets("NHL") == ["player_shots_on_goal", "player_goals"]


def test_a_list_becomes_var_prop_markets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROP_MARKETS_ENV, " player_points, player_shots_on_goal,player_points ")
    assert _setting_vars()["prop_markets"] == ["player_points", "player_shots_on_goal"]
    assert demo_markets("NHL") is None  # the setting names an NHL market: it applies


def test_an_unknown_market_or_another_leagues_demo_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PROP_MARKETS_ENV, "player_points,player_saves")
    with pytest.raises(SettingsError, match="player_saves is not a player market"):
        prop_markets_setting()
    monkeypatch.setenv(PROP_MARKETS_ENV, ",")
    with pytest.raises(SettingsError, match="no market is not"):
        prop_markets_setting()
    monkeypatch.setenv(PROP_MARKETS_ENV, "player_points,player_threes")
    with pytest.raises(SettingsError, match="names no NHL market"):
        demo_markets("NHL")


def test_the_project_default_prices_every_nba_player_market() -> None:
    """dbt var prop_markets' default is the NBA's player markets of seeds/markets.csv, so a new
    NBA count market (a seed row) cannot be left out of the default by accident."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    nba = [m for m, (league, _) in player_markets().items() if league == "NBA"]
    assert project["vars"]["prop_markets"] == nba


def test_a_two_league_demo_prices_each_leagues_markets(monkeypatch: pytest.MonkeyPatch) -> None:
    """`propcast demo --league NBA,NHL`: both leagues' markets when unset; a setting must name
    a market of each league (else one world would price no player prop)."""
    monkeypatch.delenv(PROP_MARKETS_ENV, raising=False)
    nba = [m for m, (league, _) in player_markets().items() if league == "NBA"]
    assert demo_markets("nba, NHL,NBA") == [*nba, "player_shots_on_goal", "player_goals"]
    assert parse_leagues("nhl,nba") == ("NHL", "NBA")
    for bad in ("NBA,MLB", " , "):
        with pytest.raises(ValueError, match="one or more of NBA, NHL"):
            parse_leagues(bad)
    monkeypatch.setenv(PROP_MARKETS_ENV, "player_points,player_goals")
    assert demo_markets("NBA,NHL") is None
    monkeypatch.setenv(PROP_MARKETS_ENV, "player_points")
    with pytest.raises(SettingsError, match="names no NHL market"):
        demo_markets("NBA,NHL")
