"""propcast.staking: independent Kelly as the SQL policy, joint Kelly by scipy over copula
scenarios, and the outcome correlations on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from propcast.correlations import (
    iter_line_pairs,
    nearest_correlation,
    outcome_correlations,
    pair_sums,
    slate_correlation,
)
from propcast.staking import (
    Caps,
    independent_kelly,
    joint_kelly,
    win_scenarios,
)

NO_CAPS = Caps(kelly_fraction=1.0, max_bet_fraction=1.0, max_game_fraction=1.0,
               max_daily_fraction=0.99)  # fmt: skip


def test_independent_kelly_applies_the_multiplier_then_bet_game_and_day_caps() -> None:
    caps = Caps(0.25, 0.02, 0.05, 0.15)
    # full Kelly at p 0.6, price 2: 0.2 -> 0.25 x 0.2 = 0.05 -> capped at 0.02 per bet
    assert independent_kelly([0.6], [2.0], ["g"], caps).tolist() == [0.02]
    # p 0.52 at 2.0: full 0.04, fractional 0.01 (no cap binds)
    assert independent_kelly([0.52], [2.0], ["g"], caps).tolist() == [0.01]
    # four capped bets in one game: 0.08 > 0.05, each scaled to 0.0125
    assert independent_kelly([0.6] * 4, [2.0] * 4, ["g"] * 4, caps).tolist() == [0.0125] * 4
    # twenty games of 0.02: 0.4 > 0.15, each 0.0075
    stakes = independent_kelly([0.6] * 20, [2.0] * 20, [str(i) for i in range(20)], caps)
    assert stakes.tolist() == [0.0075] * 20
    # no edge, no stake
    assert independent_kelly([0.45], [2.0], ["g"], caps).tolist() == [0.0]


def test_perfectly_correlated_identical_bets_share_the_single_bet_kelly_stake() -> None:
    corr = nearest_correlation(np.ones((2, 2)))
    result = joint_kelly([0.55, 0.55], [2.0, 2.0], ["g", "g"], corr, NO_CAPS)
    # one bet alone: full Kelly 2 x 0.55 - 1 = 0.1; the two together stake that once
    assert result.stakes.sum() == pytest.approx(0.1, abs=0.002)
    assert result.independent.sum() == pytest.approx(0.2)  # independent Kelly bets it twice


def test_independent_bets_get_about_their_independent_stakes() -> None:
    result = joint_kelly([0.55, 0.58], [2.0, 1.95], ["g", "h"], np.eye(2), NO_CAPS)
    # simultaneous Kelly of independent bets sits just below each bet's own (0.099 vs 0.1
    # by hand for two 0.55 coin flips at evens)
    assert result.stakes == pytest.approx(result.independent, rel=0.05)
    assert (result.stakes <= result.independent + 1e-6).all()


def test_joint_kelly_respects_every_cap_and_beats_independent_in_its_scenarios() -> None:
    caps = Caps(0.25, 0.02, 0.05, 0.15)
    rng = np.random.default_rng(3)
    k = 30
    prob = rng.uniform(0.52, 0.62, k)
    price = 1.0 / (prob - rng.uniform(0.02, 0.08, k))
    game = rng.integers(0, 6, k).astype(str)
    bets = pd.DataFrame({"game_id": game, "player_id": [f"P{i % 12}" for i in range(k)],
                         "market": "player_points", "team_id": [f"T{i % 3}" for i in range(k)],
                         "league": "NBA", "side": "over"})  # fmt: skip
    corr = slate_correlation(bets, {("NBA", "teammates"): 0.3, ("NBA", "same_player"): 0.5,
                                    ("NBA", "same_subject_market"): 0.95})  # fmt: skip
    result = joint_kelly(prob, price, game, corr, caps, scenarios=2000)
    f = result.stakes
    assert (f >= 0).all() and (f <= caps.max_bet_fraction + 1e-12).all()
    assert pd.Series(f).groupby(game).sum().max() <= caps.max_game_fraction + 1e-9
    assert f.sum() <= caps.max_daily_fraction + 1e-9
    assert result.growth_joint >= result.growth_independent
    again = joint_kelly(prob, price, game, corr, caps, scenarios=2000)
    assert np.array_equal(again.stakes, f)  # same seed, same stakes


def test_scenarios_are_seeded_and_keep_each_bets_probability_exactly() -> None:
    corr = nearest_correlation(np.array([[1.0, 0.6], [0.6, 1.0]]))
    a = win_scenarios(np.array([0.3, 0.55]), corr, 1000, seed=1)
    assert a.mean(axis=0).tolist() == [0.3, 0.55]
    assert np.array_equal(a, win_scenarios(np.array([0.3, 0.55]), corr, 1000, seed=1))
    assert not np.array_equal(a, win_scenarios(np.array([0.3, 0.55]), corr, 1000, seed=2))
    assert np.corrcoef(a.T)[0, 1] > 0.25  # correlated wins


def test_slate_correlation_signs_by_side_and_is_zero_across_games() -> None:
    bets = pd.DataFrame({
        "game_id": ["g", "g", "g", "h"], "player_id": ["A", "A", "B", "C"],
        "market": ["player_points", "player_assists", "player_points", "player_points"],
        "team_id": ["T1", "T1", "T2", "T3"], "league": "NBA",
        "side": ["over", "under", "over", "over"],
    })  # fmt: skip
    corr = slate_correlation(bets, {("NBA", "same_player"): 0.4, ("NBA", "opponents"): 0.1})
    assert corr[0, 1] == pytest.approx(-0.4)  # over points vs under assists
    assert corr[0, 2] == pytest.approx(0.1) and corr[1, 2] == pytest.approx(-0.1)
    assert corr[0, 3] == 0.0 and corr[3, 3] == 1.0


def _line(game: str, player: str | None, market: str, line: float, team: str | None,
          actual: float) -> dict:  # fmt: skip
    return {"game_date": pd.Timestamp("2027-01-01"), "league": "NBA", "game_id": game,
            "player_id": player, "market": market, "line": line, "team_id": team,
            "actual_value": actual}  # fmt: skip


def test_outcome_correlations_by_relation_with_a_minimum_of_pairs() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for g in range(300):
        shared = rng.normal()
        a = 20 + 4 * (0.8 * shared + 0.6 * rng.normal())
        b = 20 + 4 * (0.8 * shared + 0.6 * rng.normal())
        rows += [_line(f"g{g}", "A", "player_points", 19.5, "T1", round(a)),
                 _line(f"g{g}", "A", "player_points", 21.5, "T1", round(a)),
                 _line(f"g{g}", "B", "player_points", 20.5, "T1", round(b)),
                 _line(f"g{g}", None, "game_total", 220.5, None, 220 + rng.normal() * 15)]  # fmt: skip
    table = outcome_correlations(pd.DataFrame(rows), min_pairs=200).set_index("relation_type")
    assert table.loc["same_subject_market", "correlation"] > 0.95
    # A and B share 0.64 of their variance: residual correlation ~0.64 (rounding aside)
    assert table.loc["teammates", "correlation"] == pytest.approx(0.64, abs=0.08)
    assert table.loc["teammates", "n_pairs"] == 600 and table.loc["teammates", "n_games"] == 300
    assert abs(table.loc["player_vs_game_total", "correlation"]) < 0.1  # independent here
    assert table.loc["teammates", "over_correlation"] < table.loc["teammates", "correlation"]
    few = outcome_correlations(pd.DataFrame(rows[:40]), min_pairs=200)
    assert (few["correlation"] == 0.0).all() and (few["n_pairs"] < 200).all()


def test_pairs_in_chunks_of_games_are_the_pairs_of_all_games_at_once() -> None:
    """Lines are paired a few games at a time (memory: a game of n lines makes n * n
    candidates) and reduced to per-date sums; the pairs are those of one merge, and the
    correlations from the sums are numpy's Pearson over those pairs."""
    rng = np.random.default_rng(3)
    rows = [
        _line(f"g{g:03d}", player, market, line, team, float(rng.poisson(line)))
        for g in rng.permutation(37)
        for player, team in (("A", "T1"), ("B", "T1"), ("C", "T2"), (None, None))
        for market, line in (("player_points", 18.5), ("player_rebounds", 6.5))
        if rng.random() < 0.9
    ]
    settled = pd.DataFrame(rows).assign(
        game_date=lambda f: (
            pd.Timestamp("2027-01-01") + pd.to_timedelta(f["game_id"].str[1:].astype(int) % 5, "D")
        )
    )
    whole = pd.concat(iter_line_pairs(settled, chunk_games=10_000), ignore_index=True)
    for chunk in (1, 2, 5):
        pairs = pd.concat(iter_line_pairs(settled, chunk_games=chunk), ignore_index=True)
        pd.testing.assert_frame_equal(pairs, whole)
        pd.testing.assert_frame_equal(pair_sums(settled, chunk), pair_sums(settled, 10_000))
    assert len(whole) > 37 * 10 and whole["game_id"].nunique() == 37
    table = outcome_correlations(settled, min_pairs=1).set_index("relation_type")
    for relation, group in whole.groupby("relation_type"):
        row = table.loc[relation]
        assert row["n_pairs"] == len(group) and row["n_games"] == group["game_id"].nunique()
        expected = np.corrcoef(group["z_a"], group["z_b"])[0, 1]
        assert row["residual_correlation"] == pytest.approx(expected, abs=1e-12)
        assert row["first_game_date"] == pd.Timestamp(group["game_date"].min()).date()
    assert list(iter_line_pairs(settled.iloc[:0])) == [] and pair_sums(settled.iloc[:0]).empty
