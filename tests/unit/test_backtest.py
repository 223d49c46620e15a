"""The walk-forward backtest on frames: no look-ahead, the metrics, the bets and the verdict."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import yaml

from propcast.backtest import (
    CLOSE_ONLY_CLV,
    METRIC_KEYS,
    BacktestError,
    BacktestSpec,
    bet_terms,
    expected_calibration_error,
    judge,
    place_bets,
    pricing_defaults,
    run_backtest,
    schedule,
    walk_forward,
)
from propcast.models.frames import game_days
from propcast.settings import PROJECT_DIR
from propcast.totals import fit_totals_model
from tests.support.feature_frames import season_frame

START = date(2024, 10, 22)
TRAIN_UNTIL = START + timedelta(days=79)
SCORE = START + timedelta(days=80)
END = START + timedelta(days=159)


@pytest.fixture(scope="module")
def efficient() -> pd.DataFrame:
    return season_frame("NBA", 21, days=160)


def spec(**kwargs) -> BacktestSpec:
    base = {"train_until": TRAIN_UNTIL, "start": SCORE, "end": END}
    return BacktestSpec(**{**base, **kwargs})


def test_schedule_retrains_on_the_past_only() -> None:
    days = np.arange(np.datetime64("2024-10-22"), np.datetime64("2025-01-31")).astype(
        "datetime64[D]"
    )
    plan = schedule(days, spec(train_until=date(2024, 12, 31), start=date(2025, 1, 1),
                               end=date(2025, 1, 20), retrain_every_days=7))  # fmt: skip
    assert [str(c) for c, _ in plan] == ["2025-01-01", "2025-01-08", "2025-01-15"]
    for cutoff, dates in plan:
        assert cutoff <= dates.min()
    one = spec(train_until=date(2024, 12, 31), start=date(2025, 1, 1), end=date(2025, 1, 20))
    assert len(schedule(days, one)) == 1
    with pytest.raises(BacktestError, match="must be before --start-date"):
        schedule(days, spec(train_until=date(2025, 1, 1), start=date(2025, 1, 1)))
    with pytest.raises(BacktestError, match=r"no games between .* the data holds 101 dates"):
        schedule(days, spec(train_until=date(2025, 12, 1), start=date(2026, 1, 1),
                            end=date(2026, 2, 1)))  # fmt: skip


def test_walk_forward_never_sees_the_future(efficient) -> None:
    """Every model trains on dates strictly before the first date it scores, and changing the
    outcomes of later games changes no earlier prediction."""
    seen: list[tuple[np.datetime64, np.datetime64]] = []

    def spy(rows, config):
        seen.append(game_days(rows["game_date"]).max())
        return fit_totals_model(rows, config)

    s = spec(retrain_every_days=20)
    scored, steps = walk_forward(efficient, s, fit=spy)
    assert len(steps) == 4
    for last_seen, step in zip(seen, steps, strict=True):
        assert last_seen < np.datetime64(step.first_scored)
    cut = SCORE + timedelta(days=40)
    changed = efficient.copy()
    later = changed["game_date"] >= cut
    changed.loc[later, "actual_total"] = changed.loc[later, "line"] + 40.0  # every game over
    rescored, _ = walk_forward(changed, s)
    before = scored["game_date"] < cut
    pd.testing.assert_series_equal(scored.loc[before, "prob_over"],
                                   rescored.loc[before, "prob_over"])  # fmt: skip


def test_a_leak_would_show(efficient) -> None:
    """The frame makes a leak visible: from `cut` on every game goes 40 points over. A fit
    that peeks at the whole frame moves the predictions of dates before `cut`; the
    walk-forward's do not move (test above), and its first scored date stays near 50/50."""
    s = spec(retrain_every_days=20)
    cut = SCORE + timedelta(days=40)
    changed = efficient.copy()
    later = changed["game_date"] >= cut
    changed.loc[later, "actual_total"] = changed.loc[later, "line"] + 40.0

    def leaky(frame):
        return lambda rows, config: fit_totals_model(frame[frame["actual_total"].notna()], config)

    honest, _ = walk_forward(changed, s)
    peeked, _ = walk_forward(changed, s, fit=leaky(changed))
    clean, _ = walk_forward(efficient, s, fit=leaky(efficient))
    before = honest["game_date"] < cut
    shift = (peeked.loc[before, "prob_over"] - clean.loc[before, "prob_over"]).abs().max()
    assert shift > 0.05, "a leak of the later outcomes shows in earlier predictions"
    first = honest["game_date"] == honest["game_date"].min()
    assert abs(honest.loc[first, "prob_over"].mean() - 0.5) < 0.05


def test_efficient_line_gives_no_edge(efficient) -> None:
    result = run_backtest(efficient, spec())
    m = result.metrics
    assert not result.edge
    assert result.verdict.startswith("no edge: ")
    assert abs(m["model_logloss"] - m["market_logloss"]) < 0.01
    assert m["n"] == len(efficient[efficient["game_date"] >= SCORE])
    assert m["clv"] is None and m["clv_reason"] == CLOSE_ONLY_CLV
    body = result.as_dict()
    assert set(METRIC_KEYS) <= set(body)
    json.dumps(body, default=str, allow_nan=False)  # nulls, never NaN


@pytest.fixture(scope="module")
def biased() -> pd.DataFrame:
    return season_frame("NBA", 22, days=160, line_bias=-6.0)  # lines 6 points too low


def test_biased_line_gives_edge_and_profit(biased) -> None:
    result = run_backtest(biased, spec(retrain_every_days=20))
    assert result.edge, result.verdict
    assert result.verdict.startswith("edge: ")
    assert result.metrics["n_bets"] > 50 and result.metrics["roi"] > 0.05


def test_bets_follow_the_pricing_rules() -> None:
    pricing = pricing_defaults()
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    assert pricing["min_ev"] == float(project["min_ev"])
    rows = pd.DataFrame({
        "game_date": [date(2025, 1, 1)] * 4,
        "prob_over": [0.60, 0.40, 0.52, 0.60],
        "over_price": [-110, -110, -110, -110], "under_price": [-110, -110, -110, -110],
        "line": [220.0, 220.0, 220.0, 220.0], "actual_total": [230.0, 230.0, 200.0, 220.0],
    })  # fmt: skip
    bets = place_bets(rows, pricing)
    assert list(bets["side"].fillna("none")) == ["over", "under", "none", "over"]
    assert bets["stake"].iloc[0] == pytest.approx(pricing["max_bet_fraction"])
    assert bets["profit"].iloc[0] == pytest.approx(pricing["max_bet_fraction"] * 100 / 110)
    assert bets["profit"].iloc[1] == pytest.approx(-bets["stake"].iloc[1])
    assert bets["profit"].iloc[3] == 0.0 and bets["stake"].iloc[3] > 0  # a push refunds


def test_ece_and_verdict_text() -> None:
    y = np.array([1, 0, 1, 0], dtype=float)
    assert expected_calibration_error(y, np.full(4, 0.5)) == 0.0
    assert expected_calibration_error(y, np.array([0.9, 0.9, 0.1, 0.1])) == pytest.approx(0.4)
    metrics = {"roi": None, "n_bets": 0}
    within = {"logloss_diff": 0.0004, "logloss_diff_ci": [-0.001, 0.002], "roi_ci": None,
              "bootstrap_blocks": 10}  # fmt: skip
    edge, text = judge(metrics, within)
    assert not edge and text.startswith(
        "no edge: the model's log loss is within noise of the market's (difference +0.0004, "
        "95% interval [-0.0010, +0.0020])"
    )
    edge, text = judge(metrics, {**within, "logloss_diff_ci": [-0.003, -0.001]})
    assert edge and text.startswith("edge: ")
    edge, text = judge(metrics, {**within, "logloss_diff_ci": None})
    assert not edge and "too few" in text


def test_empty_training_window(efficient) -> None:
    with pytest.raises(BacktestError, match=r"training window .* is empty"):
        run_backtest(efficient, spec(train_until=START - timedelta(days=5)))


def test_clv_of_bets_at_the_open(biased) -> None:
    opened = biased.assign(open_over_price=-110.0, open_under_price=-110.0)
    opened.loc[opened.index[::7], "open_under_price"] = np.nan  # no open price: bet at close
    result = run_backtest(opened, spec())
    scored, m = result.scored, result.metrics
    assert set(scored["bet_at"]) == {"open", "close"}
    at_open = scored["bet_at"] == "open"
    assert (scored.loc[at_open, "bet_line"] == scored.loc[at_open, "open_line"]).all()
    assert m["clv"] is not None and np.isfinite(m["clv"]) and m["clv_reason"] is None
    assert 0 < m["clv_bets"] <= m["n_bets"]
    row = pd.DataFrame({"game_date": [date(2025, 1, 1)], "prob_over": [0.6], "over_price": [-110],
                        "under_price": [-110], "line": [220.5], "actual_total": [230.0],
                        "bet_at": ["open"], "close_prob_at_bet_line": [0.55]})  # fmt: skip
    bet = place_bets(row, pricing_defaults())
    assert bet["clv"].iloc[0] == pytest.approx(0.55 * (1 + 100 / 110) - 1)


def test_clv_is_against_the_close_where_the_line_is_the_14h_board(biased) -> None:
    """A vendor-quoted game's `line` is the 14:00 board; its close is kept in CLOSE_COLUMNS.
    A bet at the open whose line the close shares is judged against the close's own
    probability, not the board's."""
    rows = biased.head(40).assign(open_over_price=-110.0, open_under_price=-110.0)
    model = fit_totals_model(biased)
    board = rows.assign(closing_line=rows["open_line"], closing_market_prob_over=0.61)
    terms = bet_terms(model, board, model.predict(board))
    assert (terms["close_prob_at_bet_line"] == 0.61).all()
    # without the close columns (an imported close) the row's own market is the close
    plain = bet_terms(model, rows, model.predict(rows))
    same = (rows["line"] == rows["open_line"]).to_numpy()
    assert same.any()
    assert (plain.loc[same, "close_prob_at_bet_line"] == rows.loc[same, "market_prob_over"]).all()
