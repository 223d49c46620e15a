"""The game-totals family in the registry and the scoring path, on frames (no dbt)."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from propcast.family_models import (
    GAME_TOTAL,
    score_totals,
    totals_model_from_row,
    train_totals_rows,
)
from propcast.models import ModelLoadError
from propcast.predictions import (
    PREDICTION_SCHEMA,
    REGISTRY_SCHEMA,
    NoModelRegistered,
    ScoringWindow,
    pick_model,
    score_window,
    train_registry_rows,
)
from propcast.totals import TotalsModel
from tests.support.feature_frames import season_frame

NOW = datetime(2025, 3, 1, 12)


@pytest.fixture(scope="module")
def nhl() -> pd.DataFrame:
    frame = season_frame("NHL", 11, days=120)
    frame["game_id"] = [f"NHL-{i}" for i in range(len(frame))]
    return frame


def _train_end(frame: pd.DataFrame) -> date:
    days = sorted(pd.to_datetime(frame["game_date"]).dt.date.unique())
    return days[-15]


@pytest.fixture(scope="module")
def registry(nhl: pd.DataFrame) -> pd.DataFrame:
    rows = train_totals_rows(nhl, _train_end(nhl), set())
    return pd.DataFrame(rows).assign(registered_at=NOW)


def test_settled_totals_register_one_model_per_league(nhl, registry) -> None:
    assert list(registry["model_family"]) == [GAME_TOTAL]
    assert list(registry["market_family"]) == ["game_total_nhl"]
    version = registry["model_version"].iloc[0]
    assert version.startswith(f"game_total_nhl-{_train_end(nhl):%Y%m%d}-")
    # deterministic: the same window gives the same version, which is then skipped
    assert train_totals_rows(nhl, _train_end(nhl), set())[0]["model_version"] == version
    assert train_totals_rows(nhl, _train_end(nhl), {version}) == []
    assert train_totals_rows(None, _train_end(nhl), set()) == []
    assert train_totals_rows(nhl, date(2000, 1, 1), set()) == []  # nothing settled yet


def test_a_registry_row_reloads_the_same_model(nhl, registry) -> None:
    row = registry.iloc[0].to_dict()
    model = totals_model_from_row(row)
    assert isinstance(model, TotalsModel) and model.league == "NHL"
    again = TotalsModel.from_record(model.to_record())
    rows = nhl.tail(20)
    pd.testing.assert_frame_equal(model.predict(rows), again.predict(rows))
    with pytest.raises(ModelLoadError, match="hash"):
        totals_model_from_row({**row, "calibrator": row["calibrator"].replace("0", "1", 1)})


def test_totals_score_after_train_end_with_pushes_on_whole_lines(nhl, registry) -> None:
    end = _train_end(nhl)
    later = sorted(d for d in pd.to_datetime(nhl["game_date"]).dt.date.unique() if d > end)
    window = ScoringWindow(later[-1], later[0], later[-1])
    scored = score_totals(nhl, registry, window, pick_model)
    assert len(scored) == (pd.to_datetime(nhl["game_date"]).dt.date > end).sum()
    assert scored["prob_over"].between(0, 1, inclusive="neither").all()
    assert (scored["train_end"] < scored["game_date"]).all()
    whole = scored["line"] == np.floor(scored["line"])
    assert whole.any() and (~whole).any()
    assert (scored.loc[whole, "prob_push"] > 0).all()
    assert (scored.loc[~whole, "prob_push"] == 0).all()
    assert (scored["subject_id"] == scored["game_id"]).all() and scored["player_id"].isna().all()
    with pytest.raises(NoModelRegistered, match="game_total_nhl"):
        score_totals(nhl, registry, ScoringWindow(end, end, end), pick_model)


def test_the_prediction_layer_carries_both_families(nhl, registry) -> None:
    end = _train_end(nhl)
    no_props = nhl.head(0).assign(market=[], player_id=[])
    table = train_registry_rows(
        no_props, markets=["player_points"], feature_columns=["x"], train_end=end,
        created_for_run_date=None, registered_at=NOW, totals=nhl,
    )  # fmt: skip
    assert table.schema == REGISTRY_SCHEMA
    assert table.column("model_family").to_pylist() == [GAME_TOTAL]
    again = train_registry_rows(
        no_props, markets=["player_points"], feature_columns=["x"], train_end=end,
        created_for_run_date=None, registered_at=NOW, totals=nhl,
        existing_versions=table.column("model_version").to_pylist(),
    )  # fmt: skip
    assert again.num_rows == 0  # a rerun adds nothing (and trains no prop model on no lines)
    window = ScoringWindow(end, end + pd.Timedelta(days=1), end + pd.Timedelta(days=30))
    out = score_window(no_props, registry, window, scored_at=NOW, totals=nhl)
    assert out.schema == PREDICTION_SCHEMA and out.num_rows > 0
    assert set(out.column("market").to_pylist()) == {GAME_TOTAL}
    empty = score_window(no_props, registry, window, scored_at=NOW, totals=None)
    assert empty.num_rows == 0


def test_both_families_train_and_score_in_one_registry(nhl) -> None:
    from tests.unit.models.synthetic import FEATURES, START, TRAIN_END, make_world

    props = make_world(seed=3, n_players=120)
    # the NHL season moved onto the props' calendar: one train_end for both families
    shift = pd.Timestamp(START) - pd.to_datetime(nhl["game_date"]).min()
    totals = nhl.assign(game_date=(pd.to_datetime(nhl["game_date"]) + shift).dt.date)
    table = train_registry_rows(
        props, markets=["player_points"], feature_columns=FEATURES, train_end=TRAIN_END,
        created_for_run_date=None, registered_at=NOW, totals=totals,
        overrides={"calibration_days": 14, "validation_days": 14},
    )  # fmt: skip
    registry = table.to_pandas()
    assert sorted(registry["model_family"]) == [GAME_TOTAL, "player_prop"]
    window = ScoringWindow(
        TRAIN_END, TRAIN_END + pd.Timedelta(days=1), TRAIN_END + pd.Timedelta(days=10)
    )
    out = score_window(props, registry, window, scored_at=NOW, totals=totals).to_pandas()
    by_market = out.groupby("market")
    assert set(by_market.groups) == {"player_points", GAME_TOTAL}
    prop_rows = out[out["market"] == "player_points"]
    assert prop_rows["prob_push"].isna().all()
    assert (prop_rows["subject_id"] == prop_rows["player_id"]).all()
    assert not out.duplicated(["game_id", "subject_id", "market", "line"]).any()
    assert (out["train_end"] < out["game_date"]).all()


def test_the_fallback_guard_applies_to_the_totals_family(nhl, registry, monkeypatch) -> None:
    from propcast.models import FallbackPredictions

    end = _train_end(nhl)
    window = ScoringWindow(end, end + pd.Timedelta(days=1), end + pd.Timedelta(days=30))

    def flat(self, rows):
        return pd.DataFrame(
            {"predicted_total": 6.0, "prob_over": 0.5, "prob_push": 0.0}, index=rows.index
        )

    monkeypatch.setattr(TotalsModel, "predict", flat)
    with pytest.raises(FallbackPredictions, match="all_half"):
        score_totals(nhl, registry, window, pick_model)


def test_a_league_without_any_totals_model_is_left_unscored(nhl, registry) -> None:
    """The vendors quote totals before a league has settled enough games to train one: those
    lines go unscored (the props still score) instead of failing the build."""
    end = _train_end(nhl)
    later = sorted(d for d in pd.to_datetime(nhl["game_date"]).dt.date.unique() if d > end)
    window = ScoringWindow(later[-1], later[0], later[-1])
    no_totals = registry[registry["market_family"] != "game_total_nhl"]
    assert score_totals(nhl, no_totals, window, pick_model).empty
