"""Training is deterministic, registry rows round-trip exactly (and tampered ones are refused),
and no row after `train_end` reaches training or is scored as unseen."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from propcast.models import (
    REGISTRY_COLUMNS,
    ModelLoadError,
    TrainedModel,
    model_from_registry_row,
    score_lines,
    train_prop_model,
)
from tests.unit.models.synthetic import (
    FEATURES,
    OUTPUTS,
    TRAIN_END,
    config,
    later,
)

# ---------------------------------------------------------------- determinism and registry


def test_training_is_deterministic_and_independent_of_row_order(
    world: pd.DataFrame, model: TrainedModel
) -> None:
    shuffled = world.sample(frac=1.0, random_state=1)  # a SQL table has no row order
    again = train_prop_model(shuffled, config())
    assert again.booster_over_string == model.booster_over_string
    assert again.booster_mean_string == model.booster_mean_string
    assert again.calibrator == model.calibrator
    assert again.model_version == model.model_version
    assert again.model_version.startswith(f"player_points-{TRAIN_END:%Y%m%d}-")


def test_registry_row_has_plain_types_and_round_trips_exactly(
    model: TrainedModel, world: pd.DataFrame, scored: pd.DataFrame
) -> None:
    row = model.registry_row(created_for_run_date=TRAIN_END + timedelta(days=1))
    assert tuple(row) == REGISTRY_COLUMNS
    for key, value in row.items():
        assert isinstance(value, (str, int, date)) and not isinstance(value, bool), key
    text = json.dumps(row, default=date.isoformat)  # JSON-serialisable except dates
    assert json.loads(row["feature_columns"]) == FEATURES
    assert json.loads(row["params"])["calibration"] == "stack"
    assert json.loads(row["metrics"])["log_loss_model"] == model.metrics["log_loss_model"]
    assert json.loads(row["calibrator"])["method"] == "stack"
    assert "pickle" not in text
    assert (
        row["trained_rows"] + row["calibration_rows"] + row["validation_rows"]
        == (world["game_date"] <= pd.Timestamp(TRAIN_END)).sum()
    )

    loaded = model_from_registry_row(row)
    again = score_lines(loaded, later(world))
    assert np.array_equal(again["prob_over"].to_numpy(), scored["prob_over"].to_numpy())
    assert np.array_equal(again["predicted_mean"].to_numpy(), scored["predicted_mean"].to_numpy())
    assert loaded.model_version == model.model_version
    assert loaded.registry_row(row["created_for_run_date"]) == row


@pytest.mark.parametrize("which", ["model", "isotonic_model", "platt_model"])
def test_registry_row_survives_a_duckdb_table(
    which: str, request: pytest.FixtureRequest, world: pd.DataFrame
) -> None:
    """The production path: dbt writes the row, a later run reads it back with `.df()`."""
    model: TrainedModel = request.getfixturevalue(which)
    con = duckdb.connect()
    registry = pd.DataFrame([model.registry_row(TRAIN_END + timedelta(days=1))])
    con.register("registry_frame", registry)
    con.execute("create table ml_model_registry as select * from registry_frame")
    types = dict(
        con.execute("select column_name, column_type from (describe ml_model_registry)").fetchall()
    )
    assert types["train_end"] == "DATE" and types["created_for_run_date"] == "DATE"
    assert types["trained_rows"] == "BIGINT" and types["booster_over"] == "VARCHAR"
    back = con.execute("select * from ml_model_registry").df().iloc[0].to_dict()
    loaded = model_from_registry_row(back)
    rows = later(world).head(500)
    assert np.array_equal(
        score_lines(loaded, rows)["prob_over"].to_numpy(),
        score_lines(model, rows)["prob_over"].to_numpy(),
    )


def test_tampered_or_incomplete_registry_rows_are_refused(model: TrainedModel) -> None:
    row = model.registry_row()
    lines = row["booster_over"].split("\n")
    leaf = next(i for i, line in enumerate(lines) if line.startswith("leaf_value="))
    values = lines[leaf].split("=")[1].split(" ")
    values[0] = repr(float(values[0]) + 0.5)
    lines[leaf] = "leaf_value=" + " ".join(values)
    with pytest.raises(ModelLoadError, match="content hash"):
        model_from_registry_row({**row, "booster_over": "\n".join(lines)})
    with pytest.raises(ModelLoadError, match="content hash"):
        model_from_registry_row({**row, "calibrator": '{"method":"platt","coef":1,"intercept":0}'})
    with pytest.raises(ModelLoadError, match="booster_mean"):
        model_from_registry_row({k: v for k, v in row.items() if k != "booster_mean"})
    with pytest.raises(ModelLoadError, match="train_end"):
        model_from_registry_row({**row, "train_end": TRAIN_END + timedelta(days=1)})
    with pytest.raises(ModelLoadError, match="JSON"):
        model_from_registry_row({**row, "params": "not json"})


def test_boosters_use_the_documented_features(model: TrainedModel) -> None:
    over = lgb.Booster(model_str=model.booster_over_string)
    mean = lgb.Booster(model_str=model.booster_mean_string)
    assert over.feature_name() == [*FEATURES, "line", "market_prob_over"]
    assert mean.feature_name() == FEATURES
    params = json.loads(model.registry_row()["params"])
    assert params["lightgbm_over"]["deterministic"] is True
    assert params["lightgbm_over"]["num_threads"] == 1
    assert params["lightgbm_mean"]["objective"] == "poisson"


# ---------------------------------------------------------------- time ordering


def test_rows_after_train_end_never_reach_training(
    world: pd.DataFrame, model: TrainedModel
) -> None:
    corrupt = world.copy()
    after = corrupt["game_date"] > pd.Timestamp(TRAIN_END)
    rng = np.random.default_rng(0)
    corrupt.loc[after, "stat_value"] = (
        rng.permutation(corrupt.loc[after, "stat_value"].to_numpy()) * 7
    )
    corrupt.loc[after, "market_prob_over"] = 0.5
    corrupt.loc[after, "pts_avg_10"] = -1.0
    again = train_prop_model(corrupt, config())
    assert again.model_version == model.model_version
    assert again.booster_over_string == model.booster_over_string
    assert again.metrics == model.metrics


def test_scoring_refuses_dates_the_model_trained_on(
    model: TrainedModel, world: pd.DataFrame
) -> None:
    rows = world[world["game_date"] >= pd.Timestamp(TRAIN_END - timedelta(days=1))].head(3000)
    with pytest.raises(ValueError, match=r"train_end 2026-03-11.*2026-03-10, 2026-03-11"):
        score_lines(model, rows)
    allowed = score_lines(model, rows, require_future=False)  # explicit, for backtests
    assert len(allowed) == len(rows)


def test_scored_rows_carry_keys_version_and_dates(
    model: TrainedModel, world: pd.DataFrame, scored: pd.DataFrame
) -> None:
    held = later(world)
    assert list(scored.columns[:5]) == ["game_date", "game_id", "player_id", "market", "line"]
    assert list(scored.columns[-4:]) == [*OUTPUTS]
    # Every other passed column comes through untouched.
    assert {"market_prob_over", "pts_avg_10", "true_p_over"} <= set(scored.columns)
    assert len(scored) == len(held)
    assert (scored["model_version"] == model.model_version).all()
    assert all(isinstance(d, date) for d in scored["game_date"].head())
    assert (scored["train_end"] < scored["game_date"]).all()
    assert (scored["game_id"].to_numpy() == held["game_id"].to_numpy()).all()


def test_scoring_errors_are_specific(model: TrainedModel, world: pd.DataFrame) -> None:
    rows = later(world).head(50)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['rest_days', 'line_move'\]"):
        score_lines(model, rows.drop(columns=["rest_days", "line_move"]))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['books_quoting'\]"):
        score_lines(model, rows.drop(columns=["books_quoting"]))  # the consensus weight
    with pytest.raises(ValueError, match="player_rebounds"):
        score_lines(model, rows.assign(market="player_rebounds"))
    with pytest.raises(ValueError, match="non-numeric feature column"):
        score_lines(model, rows.assign(home="yes"))
    empty = score_lines(model, rows.head(0))
    assert len(empty) == 0 and "prob_over" in empty.columns
