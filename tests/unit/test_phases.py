"""The morning build's dbt selection (propcast.phases.build_command): training and the marts
refreshed with it (fct_outcome_correlations) are never in it; training selects both."""

from __future__ import annotations

import pytest
import yaml

from propcast.phases import EV_SELECTION, MORNING_EXCLUDED, PHASES, build_command
from propcast.settings import PROJECT_DIR
from propcast.training import TRAIN_SELECTION


def excluded(command: list[str]) -> list[str]:
    return command[command.index("--exclude") + 1 :]


@pytest.mark.parametrize("from_phase", PHASES)
@pytest.mark.parametrize("ev", [True, False])
def test_every_morning_build_excludes_training_and_the_marts_refreshed_with_it(
    from_phase: str, ev: bool
) -> None:
    command = build_command(from_phase=from_phase, ev=ev, diagnostics=ev)
    assert command.count("--exclude") == 1
    assert excluded(command)[:2] == ["tag:train", "tag:refresh_with_training"]
    assert (EV_SELECTION in excluded(command)) is not ev


def test_training_selects_the_marts_the_morning_leaves_out() -> None:
    assert MORNING_EXCLUDED == ["tag:train", "tag:refresh_with_training"]
    assert ["--select", "int_run_parameters", *MORNING_EXCLUDED] == TRAIN_SELECTION


def test_fct_outcome_correlations_is_refreshed_with_training_and_keeps_one_phase_tag() -> None:
    models = yaml.safe_load((PROJECT_DIR / "models/marts/staking/_staking__models.yml").read_text())
    config = next(m for m in models["models"] if m["name"] == "fct_outcome_correlations")["config"]
    # The folder gives the phase tag (tags accumulate); the model adds no phase tag of its own.
    assert config["tags"] == ["refresh_with_training"]
