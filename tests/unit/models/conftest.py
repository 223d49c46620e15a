"""The synthetic world (`synthetic.make_world`) and the models trained on it, once per test
session (per worker): `model` is the default predictor (negative-binomial distribution around
the mean regressor, stacked with the market's consensus); `isotonic_model` and `platt_model`
the original one (the Over classifier, calibrated), which registered models may still use."""

from __future__ import annotations

import pandas as pd
import pytest

from propcast.models import (
    TrainedModel,
    score_lines,
    train_prop_model,
)
from tests.unit.models.synthetic import (
    config,
    later,
    make_world,
)


@pytest.fixture(scope="session")
def world() -> pd.DataFrame:
    return make_world()


@pytest.fixture(scope="session")
def model(world: pd.DataFrame) -> TrainedModel:
    return train_prop_model(world, config())


@pytest.fixture(scope="session")
def isotonic_model(world: pd.DataFrame) -> TrainedModel:
    return train_prop_model(world, config(calibration="isotonic"))


@pytest.fixture(scope="session")
def platt_model(world: pd.DataFrame) -> TrainedModel:
    return train_prop_model(world, config(calibration="platt"))


@pytest.fixture(scope="session")
def scored(model: TrainedModel, world: pd.DataFrame) -> pd.DataFrame:
    return score_lines(model, later(world))
