"""What training reads: its errors name the counts, labelled rows drop pushes, other markets
and players who did not play, and the training order is canonical."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from propcast.models import (
    TrainConfig,
    train_prop_model,
)
from propcast.models.labelled import labelled_rows
from propcast.models.train import TRAINING_PHASES
from tests.unit.models.synthetic import (
    FEATURES,
    START,
    config,
    make_world,
)

# ---------------------------------------------------------------- input checks


def test_training_errors_name_the_counts(world: pd.DataFrame) -> None:
    few = world[world["game_date"] <= pd.Timestamp(START + timedelta(days=20))]
    with pytest.raises(ValueError, match=r"21 distinct game dates.*need at least 29"):
        train_prop_model(few, config(train_end=START + timedelta(days=20)))
    thin = world[world["player_id"] < 3]
    with pytest.raises(ValueError, match=r"training slice has \d+ rows \(< 200\)"):
        train_prop_model(thin, config())
    with pytest.raises(ValueError, match=r"missing column\(s\) \['opp_allowed'\]"):
        train_prop_model(world.drop(columns=["opp_allowed"]), config())
    with pytest.raises(ValueError, match="calibration must be"):
        config(calibration="beta")
    with pytest.raises(ValueError, match="may not include"):
        config(feature_columns=[*FEATURES, "stat_value"])


def test_labelled_rows_drop_pushes_other_markets_and_unplayed() -> None:
    d = pd.Timestamp(START)
    rows = pd.DataFrame(
        {
            "game_date": [d, d, d, d, d + pd.Timedelta(days=5)],
            "game_id": ["g"] * 5,
            "player_id": [1, 2, 3, 4, 5],
            "market": [
                "player_points",
                "player_points",
                "player_points",
                "player_assists",
                "player_points",
            ],
            "line": [20.0, 20.5, 20.5, 5.5, 20.5],
            "market_prob_over": [0.5] * 5,
            "stat_value": [20.0, 25.0, np.nan, 9.0, 30.0],
            "books_quoting": [2] * 5,
            "x": [1.0] * 5,
        }
    )
    cfg = TrainConfig("player_points", ["x"], START + timedelta(days=1))
    kept, counts = labelled_rows(rows, cfg)
    assert kept["player_id"].tolist() == [2]
    assert kept["went_over"].tolist() == [1]
    assert counts == {
        "input_rows": 5,
        "other_market_rows": 1,
        "after_train_end_rows": 1,
        "unlabelled_rows": 1,
        "push_rows": 1,
        "labelled_rows": 1,
    }


def test_training_order_is_canonical_when_business_keys_tie() -> None:
    """Rows tying on (date, game, player, market, line) — a duplicated warehouse row, or a
    frame whose join fanned out — are ordered by their values (NaN last), so any input order
    labels the same rows in the same order: the order a plain sort on every column gives."""
    world = make_world(n_players=40, n_dates=12)
    rng = np.random.default_rng(3)
    twins = world.sample(300, random_state=1)
    twins["pts_avg_10"] = np.where(
        rng.random(300) < 0.3, np.nan, twins["pts_avg_10"] + rng.choice([-1.0, 1.0], 300)
    )
    rows = pd.concat([world, twins, twins.head(40)], ignore_index=True)
    cfg = config(train_end=START + timedelta(days=11))
    kept, _ = labelled_rows(rows, cfg)
    again, _ = labelled_rows(rows.sample(frac=1.0, random_state=2), cfg)
    keys = ["game_date", "game_id", "player_id", "market", "line"]
    assert kept[keys].duplicated().sum() >= 300  # the ties are there
    values = ["market_prob_over", "stat_value", *FEATURES]
    # (Exact copies keep their input order among themselves: their index labels may swap.)
    plain = kept.drop(columns="_pos").reset_index(drop=True)
    assert again.drop(columns="_pos").reset_index(drop=True).equals(plain)
    expected = (
        rows.astype({"game_id": "string", "player_id": "string", "market": "string"})
        .sort_values([*keys, *values], kind="stable")
        .index.to_numpy()
    )
    assert (kept.index.to_numpy() == expected).all()


def test_training_times_each_phase() -> None:
    world = make_world(n_players=150, n_dates=40)
    timings: dict[str, float] = {}
    trained = train_prop_model(
        world, config(train_end=START + timedelta(days=35), validation_days=7), timings=timings
    )
    assert list(timings) == list(TRAINING_PHASES)  # every phase, in the order it ran
    assert all(seconds >= 0 for seconds in timings.values())
    assert timings["boost_mean"] > 0 and timings["validate"] > 0
    assert trained.metrics["train_dates"] == 36 - 7 - 14
