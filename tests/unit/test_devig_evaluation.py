"""propcast.devig_evaluation on hand-made closes: the scores, the margin over multiplicative,
the best method, assumed prices left out, and the walk-forward choice seeing the past only."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from propcast import devig
from propcast.devig_evaluation import (
    ALL_BOOKS,
    MIN_LINES_TO_CHOOSE,
    choose_methods,
    evaluate_quotes,
    walk_forward_log_loss,
)

START = date(2024, 1, 1)


def quotes_frame(rows: list[tuple]) -> pd.DataFrame:
    """(league, family, book, game_date, pi_over, pi_under, went_over[, prices_assumed])."""
    records = []
    for row in rows:
        league, family, book, day, over, under, went_over, *assumed = row
        records.append({
            "league": league, "market_family": family, "book": book, "game_date": day,
            "line": 5.5, "over_implied_prob": over, "under_implied_prob": under,
            "prices_assumed": bool(assumed and assumed[0]), "went_over": went_over,
        })  # fmt: skip
    return pd.DataFrame(records)


def power_priced(n: int, seed: int, first_day: date = START) -> pd.DataFrame:
    """Closes of a book that prices by the power rule (pi = p ** (1 / k), k solving the
    book's 5 % overround): the power method recovers the true p exactly, so with enough
    lines it must score best. Eight lines a day."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.15, 0.85, n)
    k = np.empty(n)
    for i, p_over in enumerate(p):  # pi_over + pi_under = 1.05 by bisection on 1 / k
        lo, hi = 0.5, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if p_over**mid + (1 - p_over) ** mid > 1.05 else (lo, mid)
        k[i] = (lo + hi) / 2
    over, under = p**k, (1 - p) ** k
    went_over = (rng.uniform(size=n) < p).astype(int)
    days = [first_day + timedelta(days=i // 8) for i in range(n)]
    return quotes_frame(
        [
            ("NHL", "game_total", "b1", d, o, u, w)
            for d, o, u, w in zip(days, over, under, went_over, strict=True)
        ]
    )


def test_scores_and_margin_on_two_hand_made_closes():
    # -150/+130 went over, -110/-110 went under. Multiplicative: P(over) 13.8/23.8 then 0.5,
    # log loss = -(ln(13.8/23.8) + ln(0.5)) / 2; power: 0.583982635036360 then 0.5.
    quotes = quotes_frame([
        ("NHL", "game_total", "b1", START, 0.6, 10 / 23, 1),
        ("NHL", "game_total", "b1", START, 110 / 210, 110 / 210, 0),
    ])  # fmt: skip
    result = evaluate_quotes(quotes, START, START)
    rows = result.table.set_index(["book", "method"])
    mult_loss = -(math.log(13.8 / 23.8) + math.log(0.5)) / 2
    power_loss = -(math.log(0.5839826350363595) + math.log(0.5)) / 2
    assert rows.loc[(ALL_BOOKS, "multiplicative"), "log_loss"] == pytest.approx(mult_loss)
    assert rows.loc[(ALL_BOOKS, "power"), "log_loss"] == pytest.approx(power_loss)
    assert rows.loc[(ALL_BOOKS, "power"), "margin_vs_multiplicative"] == pytest.approx(
        mult_loss - power_loss
    )
    # one row per method for the pooled books and for b1
    assert len(result.table) == 2 * len(devig.METHODS)
    best = result.best.iloc[0]
    # the over won: the method giving it most probability (power) scores best
    assert best["best_method"] == "power" and best["margin_vs_multiplicative"] > 0


def test_methods_that_agree_tie_and_the_tie_keeps_the_earlier_name():
    # A symmetric market: every method gives 0.5, so multiplicative stays the best.
    quotes = quotes_frame([("NBA", "player_points", "b1", START, 0.53, 0.53, 1)] * 3)
    best = evaluate_quotes(quotes, START, START).best.iloc[0]
    assert best["best_method"] == "multiplicative"
    assert best["ties_with"] == ",".join(devig.METHODS[1:])
    assert best["margin_vs_multiplicative"] == 0


def test_assumed_prices_are_left_out_and_said():
    quotes = quotes_frame([
        ("NBA", "game_total", "sbr", START, 110 / 210, 110 / 210, 1, True),
        ("NHL", "game_total", "sbr", START, 0.6, 10 / 23, 1),
    ])  # fmt: skip
    result = evaluate_quotes(quotes, START, START)
    assert result.assumed_quotes == 1 and result.settled_quotes == 1
    assert set(result.table["league"]) == {"NHL"}
    assert "NBA game_total: 1 closes with assumed -110/-110 prices left out" in result.notes[0]


def test_a_power_priced_book_is_best_de_vigged_by_power():
    result = evaluate_quotes(power_priced(4000, seed=3), START, START)
    best = result.best.iloc[0]
    assert best["best_method"] == "power", result.best
    assert best["margin_vs_multiplicative"] > 0


def test_the_choice_reads_only_closes_settled_before_its_date():
    quotes = power_priced(800, seed=5)  # 100 days of 8 closes
    as_of = START + timedelta(days=50)
    chosen = choose_methods(quotes, as_of)[("NHL", "game_total")]
    assert chosen["n_lines"] == 400 and chosen["last_date"] == as_of - timedelta(days=1)
    # Flipping every result from as_of on changes nothing in the choice or its evidence.
    later = quotes["game_date"] >= as_of
    flipped = quotes.assign(went_over=np.where(later, 1 - quotes["went_over"], quotes["went_over"]))
    assert choose_methods(flipped, as_of)[("NHL", "game_total")] == chosen
    # ...while it changes the evidence of a choice made after them
    after = START + timedelta(days=100)
    assert choose_methods(flipped, after) != choose_methods(quotes, after)


def test_no_choice_before_enough_closes_are_settled():
    assert MIN_LINES_TO_CHOOSE == 100
    quotes = power_priced(112, seed=1)  # 14 days of 8 closes
    assert choose_methods(quotes, START + timedelta(days=12)) == {}  # 96 closes before
    assert choose_methods(quotes, START + timedelta(days=13))  # 104 closes before
    wf = walk_forward_log_loss(quotes)[("NHL", "game_total")]
    # only the last day (104 closes settled before it) is scored walk-forward
    assert wf["walk_forward_n"] == 8
