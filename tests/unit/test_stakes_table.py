"""propcast.stakes_table: fct_bet_stakes' rows and the run's staking setting, on hand frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from propcast.stakes_table import StakingSettingError, bet_stakes, staking_parameters
from propcast.staking import Caps

CAPS = Caps(0.25, 0.02, 0.05, 0.15)
PARAMS = {"staking": "joint-kelly", "bankroll": "1000", "kelly_fraction": "0.25",
          "max_bet_fraction": "0.02", "max_game_fraction": "0.05", "max_daily_fraction": "0.15"}  # fmt: skip


def _bets() -> tuple[pd.DataFrame, pd.DataFrame]:
    # one player's two alternative lines (nearly one bet) and a player of another game
    bets = pd.DataFrame({
        "game_date": pd.Timestamp("2027-01-05"), "game_id": ["g1", "g1", "g2"],
        "player_id": ["A", "A", "B"], "market": "player_points", "line": [20.5, 21.5, 15.5],
        "side": "over", "side_prob": [0.60, 0.56, 0.58], "price_decimal": [1.95, 2.05, 1.95],
    })  # fmt: skip
    bets["stake_fraction"] = [0.02, 0.02, 0.02]  # what fct_bet_recommendations priced
    teams = pd.DataFrame({"game_id": ["g1", "g1", "g2"], "player_id": ["A", "A", "B"],
                          "market": "player_points", "line": [20.5, 21.5, 15.5],
                          "league": "NBA", "team_id": ["T1", "T1", "T2"]})  # fmt: skip
    return bets, teams


def _history() -> pd.DataFrame:
    """300 earlier games of one player's two alternative lines (the same stat)."""
    rng = np.random.default_rng(0)
    rows = []
    for g in range(300):
        stat = float(rng.poisson(20))
        for line in (19.5, 21.5):
            rows.append({"game_date": pd.Timestamp("2026-12-01"), "league": "NBA",
                         "game_id": f"h{g}", "player_id": "C", "market": "player_points",
                         "line": line, "team_id": "T9", "actual_value": stat})  # fmt: skip
    return pd.DataFrame(rows)


HISTORY = _history()


def test_kelly_keeps_the_recommendations_stakes_and_leaves_joint_null() -> None:
    bets, teams = _bets()
    rows = bet_stakes(bets, teams, HISTORY, "kelly", CAPS, 1000.0).to_pandas()
    assert rows["stake_fraction"].tolist() == [0.02, 0.02, 0.02]
    assert rows["stake"].tolist() == [20.0, 20.0, 20.0]
    assert rows["stake_fraction_joint"].isna().all() and (rows["staking"] == "kelly").all()
    assert rows["team_id"].tolist() == ["T1", "T1", "T2"]


def test_joint_kelly_chooses_the_joint_stakes_within_the_caps() -> None:
    bets, teams = _bets()
    rows = bet_stakes(bets, teams, HISTORY, "joint-kelly", CAPS, 1000.0).to_pandas()
    joint = rows["stake_fraction_joint"]
    assert joint.notna().all() and (rows["stake_fraction"] == joint).all()
    assert (joint <= 0.02 + 1e-12).all() and joint.sum() <= 0.15
    # the two alternative lines of one player move together: together they stake less than
    # the independent policy's two full caps
    assert joint[:2].sum() < 0.04
    assert (rows["stake"] - 1000 * joint).abs().max() < 0.01  # rounded down to the cent
    assert (rows["stake"] <= 1000 * joint + 1e-9).all()
    assert rows["joint_solver_message"].notna().all()


def test_staking_setting_is_checked() -> None:
    staking, caps, bankroll = staking_parameters(PARAMS)
    assert (staking, caps, bankroll) == ("joint-kelly", CAPS, 1000.0)
    with pytest.raises(StakingSettingError, match="PROPCAST_STAKING"):
        staking_parameters({**PARAMS, "staking": "martingale"})


def test_propcast_staking_is_a_checked_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from propcast.config import check_settings
    from propcast.settings import SettingsError

    monkeypatch.setenv("PROPCAST_STAKING", "joint-kelly")
    check_settings()
    monkeypatch.setenv("PROPCAST_STAKING", "all-in")
    with pytest.raises(SettingsError, match="PROPCAST_STAKING='all-in' must be kelly"):
        check_settings()
