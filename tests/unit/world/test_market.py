"""The demo world's market strength: at the default ("realistic") the books' de-vigged close
costs 1.03-1.05 x the truth's log loss in every prop market (issue 10), read back from the
world's own files as bench/market_strength.py reads them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from propcast.world import NBA, generate
from propcast.world.closing import close_over_truth, closing_lines
from propcast.world.market import DEFAULT_MARKET_STRENGTH, MARKET_STRENGTHS, ErrorModel
from propcast.world.nhl import NHL

BAND = (1.03, 1.05)


def test_the_default_close_is_realistic_in_every_market(tmp_path: Path) -> None:
    # Expected log loss under the truth (no outcome noise), so 20 days pin it to ~0.003.
    generate(tmp_path, seed=2, start=date(2027, 1, 5), days=20, vendors=("oddsapi",))
    params = json.loads((tmp_path / "truth" / "world.json").read_text())
    assert params["market_strength"] == DEFAULT_MARKET_STRENGTH == "realistic"
    result = close_over_truth(closing_lines(tmp_path))
    assert sorted(result) == sorted(s.market for s in NBA.stats)
    for market, r in result.items():
        assert r["n"] > 2000, market
        assert BAND[0] <= r["expected_ratio"] <= BAND[1], (market, r)


def test_the_nhl_default_close_is_realistic_too(tmp_path: Path) -> None:
    generate(tmp_path, seed=3, start=date(2026, 11, 10), days=16, league=NHL,
             vendors=("oddsapi",))  # fmt: skip
    result = close_over_truth(closing_lines(tmp_path))
    assert sorted(result) == sorted(s.market for s in NHL.stats)
    for market, r in result.items():
        assert r["n"] > 2000, market
        assert BAND[0] <= r["expected_ratio"] <= BAND[1], (market, r)


def test_market_strengths_are_ordered_and_checked(tmp_path: Path) -> None:
    assert MARKET_STRENGTHS["sharp"] < MARKET_STRENGTHS["realistic"] < MARKET_STRENGTHS["soft"]
    with pytest.raises(ValueError, match="market_strength"):
        generate(tmp_path, start=date(2027, 1, 5), days=1, market_strength="efficient")


def test_the_demo_command_offers_exactly_the_worlds_market_strengths() -> None:
    from typing import get_args

    from propcast.cli.demo import MarketStrengthOption

    choices, option = get_args(MarketStrengthOption)
    assert set(get_args(choices)) == set(MARKET_STRENGTHS)
    assert DEFAULT_MARKET_STRENGTH in option.help


def test_an_error_model_without_its_terms_prices_the_truth(tmp_path: Path) -> None:
    """`generate(errors=...)` replaces the books' error model (bench/market_strength.py
    --decompose): with no shade, no lags and no noise the close is the truth, but for the
    half-point line grid and the 5-cent prices."""
    exact = replace(
        ErrorModel(), over_shade=0.0, form_lag_days=0, minutes_lag_weight=0.0,
        market_sd=(0.0, 0.0, 0.0), book_sd=(0.0, 0.0, 0.0),
    )  # fmt: skip
    generate(tmp_path, seed=2, start=date(2027, 1, 5), days=4, vendors=("oddsapi",), errors=exact)
    for market, r in close_over_truth(closing_lines(tmp_path)).items():
        assert r["n"] > 300 and abs(r["expected_ratio"] - 1.0) < 0.003, (market, r)
