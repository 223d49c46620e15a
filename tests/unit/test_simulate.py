"""propcast.simulate's statistics and policies on hand-made slates (no warehouse)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from propcast.simulate import path_statistics, settled_return, simulate_frames
from propcast.staking import Caps

CAPS = Caps(0.25, 0.02, 0.05, 0.15)
NO_CORRELATION = pd.DataFrame(columns=["league", "relation_type", "correlation"])


def test_path_statistics_final_drawdown_and_ruin_by_hand() -> None:
    factors = np.array([
        [1.10, 0.50, 1.20],  # 1100, 550, 660: drawdown 0.5 from 1100; below 500? no
        [0.40, 2.00, 1.00],  # 400 (ruin: below 500), 800, 800
        [1.00, 1.00, 1.00],  # flat
        [1.20, 1.00, 0.90],  # 1200, 1200, 1080: drawdown 0.1
    ])  # fmt: skip
    stats = path_statistics(factors, 1000.0)
    assert stats["risk_of_ruin"] == 0.25
    assert stats["final_bankroll"]["p50"] == pytest.approx(np.median([660, 800, 1000, 1080]))
    assert stats["max_drawdown"]["p95"] == pytest.approx(np.quantile([0.5, 0.6, 0.0, 0.1], 0.95))


def test_settled_returns_refund_pushes_voids_and_pending() -> None:
    result = pd.Series(["won", "lost", "push", "void", "pending"])
    price = pd.Series([2.5, 1.9, 1.9, 1.9, 1.9])
    assert settled_return(result, price).tolist() == [1.5, -1.0, 0.0, 0.0, 0.0]


def _slate(day: str, probs: list[float], results: list[str], truth: list[float] | None = None):
    n = len(probs)
    frame = pd.DataFrame({
        "game_date": pd.Timestamp(day), "game_id": [f"{day}-g{i}" for i in range(n)],
        "player_id": [f"P{i}" for i in range(n)], "market": "player_points", "line": 20.5,
        "side": "over", "side_prob": probs, "price_decimal": 2.0, "league": "NBA",
        "team_id": [f"T{i}" for i in range(n)], "result": results,
    })  # fmt: skip
    if truth is not None:
        frame["prob_truth"] = truth
    return frame


def test_simulate_frames_certain_wins_and_the_actual_path() -> None:
    # two days of two sure bets at evens: kelly stakes the 0.02 cap each, 4 % a day
    bets = pd.concat([_slate("2027-01-01", [1.0, 1.0], ["won", "lost"], [1.0, 1.0]),
                      _slate("2027-01-02", [1.0, 1.0], ["won", "push"], [0.0, 0.0])])  # fmt: skip
    sim = simulate_frames(bets, NO_CORRELATION, "kelly", CAPS, 1000.0, 200, 1,
                          date(2027, 1, 1), date(2027, 1, 2))  # fmt: skip
    model = sim.sources["model"]
    assert model["final_bankroll"] == {"p05": 1081.6, "p50": 1081.6, "p95": 1081.6}
    assert model["risk_of_ruin"] == 0.0 and model["max_drawdown"]["p95"] == 0.0
    truth = sim.sources["truth"]  # day 2 loses both for sure: 1040 x 0.96
    assert truth["final_bankroll"]["p50"] == pytest.approx(998.4)
    assert truth["max_drawdown"]["p50"] == pytest.approx(0.04)
    # actual: day 1 +0.02 - 0.02, day 2 +0.02 and a push
    assert sim.actual["final_bankroll"] == pytest.approx(1020.0)
    assert sim.actual["n_won"] == 2 and sim.actual["n_lost"] == 1
    assert sim.as_dict()["final_bankroll"] == model["final_bankroll"]


def test_simulate_frames_is_seeded_and_flat_stakes_the_cap() -> None:
    bets = _slate("2027-01-01", [0.55] * 10, ["won"] * 10)
    a = simulate_frames(bets, NO_CORRELATION, "flat", CAPS, 100.0, 500, 7,
                        date(2027, 1, 1), date(2027, 1, 1))  # fmt: skip
    b = simulate_frames(bets, NO_CORRELATION, "flat", CAPS, 100.0, 500, 7,
                        date(2027, 1, 1), date(2027, 1, 1))  # fmt: skip
    assert a.as_dict() == b.as_dict()
    # ten bets at the 0.02 cap exceed the 0.15 day cap: 0.015 each, all won at evens
    assert a.actual["final_bankroll"] == pytest.approx(115.0)
    assert "truth" not in a.sources and a.notes


def test_simulate_help_documents_every_option_and_the_exit_codes() -> None:
    import typer
    from propcast.cli.main import app

    command = typer.main.get_command(app).commands["simulate"]
    options = [p for p in command.params if p.param_type_name == "option"]
    assert {o.name for o in options} >= {"start_date", "end_date", "bankroll", "staking", "runs",
                                         "seed", "as_json"}  # fmt: skip
    assert [o.name for o in options if not o.help] == []
    text = " ".join((command.help or "").split())
    assert "Exit 0" in text and "3 when the period has no recommended bet" in text
    assert "2 usage error" in text
