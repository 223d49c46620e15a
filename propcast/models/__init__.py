"""Predictors for player-prop markets: train, register, reload, score, and guard.

dbt Python models stay thin — they read refs, call one function from here and return the frame —
because dbt cannot unit-test Python models; this package is tested on its own with pytest.
"""

from propcast.models.calibration import Calibrator, Stacker, fit_calibrator, fit_stacker
from propcast.models.config import TrainConfig
from propcast.models.guard import FallbackPredictions, check_not_fallback
from propcast.models.registry import REGISTRY_COLUMNS, ModelLoadError, model_from_registry_row
from propcast.models.score import score_lines
from propcast.models.train import train_prop_model
from propcast.models.trained import TrainedModel

__all__ = [
    "REGISTRY_COLUMNS",
    "Calibrator",
    "FallbackPredictions",
    "ModelLoadError",
    "Stacker",
    "TrainConfig",
    "TrainedModel",
    "check_not_fallback",
    "fit_calibrator",
    "fit_stacker",
    "model_from_registry_row",
    "score_lines",
    "train_prop_model",
]
