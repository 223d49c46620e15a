"""The edge gate in words (propcast.edge_gate): the gate lines, claimed EV vs realised ROI, and
the PROPCAST_EDGE_GATE setting. The gate's SQL is unit-tested in dbt
(models/marts/predictions/_predictions__models.yml: edge_gate_* unit tests)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from propcast.edge_gate import (
    GATE_ENV,
    claims_vs_results,
    edge_gate_vars,
    gate_states,
    gate_summary,
    markdown_section,
)
from propcast.settings import SettingsError

ROWS = pd.DataFrame(
    [
        # open: the interval below zero
        {"league": "NBA", "market_family": "player_points", "gate_open": True,
         "is_edge_shown": True, "n_lines": 12345, "n_days": 58, "window_days": 60,
         "logloss_diff": -0.0042, "ci_low": -0.0061, "ci_high": -0.0023,
         "shrink_weight": 0.452381,
         "reason": "model better than the market: the interval excludes zero"},
        # closed: the interval includes zero
        {"league": "NHL", "market_family": "player_shots_on_goal", "gate_open": False,
         "is_edge_shown": False, "n_lines": 900, "n_days": 30, "window_days": 60,
         "logloss_diff": 0.0011, "ci_low": -0.0084, "ci_high": 0.0106, "shrink_weight": 0.0,
         "reason": "model no better than the market"},
        # closed: nothing settled yet
        {"league": "NBA", "market_family": "player_rebounds", "gate_open": False,
         "is_edge_shown": False, "n_lines": 0, "n_days": 0, "window_days": 60,
         "logloss_diff": None, "ci_low": None, "ci_high": None, "shrink_weight": 0.0,
         "reason": "no settled lines in the window"},
    ]
)  # fmt: skip


def test_gate_lines_state_the_family_the_difference_and_its_interval() -> None:
    opened, closed, empty = gate_states(ROWS)
    assert opened.sentence().startswith(
        "bets published: the model is shown better than the market for NBA player_points: "
        "Δ -0.0042 [-0.0061, -0.0023] over 58 days, 12,345 lines"
    )
    assert "0.45 of the way from the market to the model" in opened.sentence()
    assert closed.sentence() == (
        "no bets for NHL player_shots_on_goal: the model is not shown better than the market: "
        "Δ +0.0011 [-0.0084, +0.0106] over 30 days, 900 lines (model no better than the market)"
    )
    assert empty.sentence().startswith(
        "no bets for NBA player_rebounds: the model is not shown better than the market: "
        "no settled line in the 60 days before the slate"
    )
    assert (opened.withheld, closed.withheld, empty.withheld) == (False, True, True)


def test_gate_off_says_so_and_what_the_evidence_shows() -> None:
    off = ROWS.iloc[[1]].assign(
        gate_open=True,
        shrink_weight=1.0,
        reason="gate off (var edge_gate false): the raw model probability is priced",
    )
    (state,) = gate_states(off)
    assert state.gate_off and state.withheld
    assert state.sentence().startswith(
        "gate off (var edge_gate false): bets priced on the raw model for NHL "
        "player_shots_on_goal; the model is not shown better than the market: Δ +0.0011"
    )


def test_run_day_clause_names_withheld_families_as_a_decision() -> None:
    states = gate_states(ROWS)
    clause = gate_summary(states)
    assert clause is not None
    assert "no bets for NHL player_shots_on_goal: the model is not shown better" in clause
    assert "bets published" not in clause  # the withheld families are the news
    assert clause.endswith("(edge gate: 2 of 3 families withheld on purpose, not a failure)")
    assert gate_summary(states[:1]) == states[0].sentence()
    assert gate_summary([]) is None and gate_summary(None) is None


def test_claimed_ev_against_realised_roi_per_family() -> None:
    bets = pd.DataFrame(
        [
            # NBA points: stakes 10 and 30 claiming 10 % and 2 %: claimed 4 % stake-weighted;
            # profit +9 (won at 1.9) and -30: ROI -21 / 40 = -52.5 %
            {"league": "NBA", "market_family": "player_points", "ev": 0.10, "stake": 10.0,
             "profit": 9.0},
            {"league": "NBA", "market_family": "player_points", "ev": 0.02, "stake": 30.0,
             "profit": -30.0},
            # NHL: one push, stake returned
            {"league": "NHL", "market_family": "player_goals", "ev": 0.05, "stake": 20.0,
             "profit": 0.0},
        ]
    )  # fmt: skip
    got = claims_vs_results(bets).set_index("market_family")
    nba = got.loc["player_points"]
    assert (nba.bets, nba.staked) == (2, 40.0)
    assert nba.claimed_ev == pytest.approx(0.04)
    assert nba.realised_roi == pytest.approx(-0.525)
    assert nba.gap == pytest.approx(-0.565)
    assert got.loc["player_goals"].realised_roi == 0.0
    assert claims_vs_results(bets.iloc[0:0]).empty


def test_report_section_has_every_family_and_the_claims_table() -> None:
    bet = {"league": "NBA", "market_family": "player_points", "ev": 0.06, "stake": 10.0}
    claims = claims_vs_results(pd.DataFrame([{**bet, "profit": -2.0}]))
    text = markdown_section(gate_states(ROWS), claims, date(2026, 3, 1), 60)
    assert text.count("\n- **") == 3
    assert "| NBA | player_points | 1 | 10.00 | +6.00% | -20.00% | -26.00% |" in text
    assert "(2025-12-31 to 2026-02-28, settled bets)" in text
    assert "no fct_edge_evidence_daily" in markdown_section(None, claims, date(2026, 3, 1), 60)


def test_edge_gate_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GATE_ENV, raising=False)
    assert edge_gate_vars() == {}
    monkeypatch.setenv(GATE_ENV, " ON ")
    assert edge_gate_vars() == {}
    monkeypatch.setenv(GATE_ENV, "off")
    assert edge_gate_vars() == {"edge_gate": False}
    monkeypatch.setenv(GATE_ENV, "maybe")
    with pytest.raises(SettingsError, match="PROPCAST_EDGE_GATE='maybe' must be on or off"):
        edge_gate_vars()
