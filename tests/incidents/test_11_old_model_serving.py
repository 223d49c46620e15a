"""Incident 11: an old model version keeps serving after a deploy.

During an earlier incident someone pinned the demo's model and left the pin; a newer model is
then deployed (trained through a later date), and the old one keeps serving: `propcast status
--date D` shows the version that scored the slate and `propcast model list` which one serves
now and why (pinned). `propcast model unpin`, then `propcast recover
--date D --from-phase predictions`: the new model scores the slate
(docs/runbooks/11-old-model-serving.md)."""

from __future__ import annotations

from datetime import date

from propcast.settings import Home
from propcast.training import train
from tests.reliability.tally import record

from .conftest import SLATE, cli, demo_version, rows

SCORED = "select distinct model_version from main.fct_predictions where game_date = ?"
NEW_TRAIN_END = date(2027, 1, 9)


def test_a_forgotten_pin_keeps_the_old_model_serving_until_unpinned(incident_home: Home) -> None:
    day = str(SLATE)
    old = demo_version(incident_home)
    pinned = cli("model", "pin", old, "--reason", "incident drill")
    assert pinned.code == 0, pinned
    deployed = train(
        incident_home, NEW_TRAIN_END, overrides={"validation_days": 3, "calibration_days": 3}
    )
    assert deployed.success, deployed.error or [n.message for n in deployed.failed]
    (new,) = rows(
        incident_home,
        "select model_version from main.ml_model_registry where train_end = ?",
        NEW_TRAIN_END,
    )[0]

    status = cli("status", "--date", day)
    assert status.code == 0 and status.body["model_version"] == old, status
    assert f"scored by model_version: {old}" in status.out
    listed = cli("model", "list", "--date", day)
    assert {m["model_version"]: m["scores_now"] for m in listed.body["models"]} == {
        old: "pinned",
        new: None,
    }, listed

    assert cli("model", "unpin", "--reason", "deploy done").code == 0
    recovered = cli("recover", "--date", day, "--from-phase", "predictions")
    assert recovered.code == 0, recovered
    assert rows(incident_home, SCORED, SLATE) == [(new,)]
    after = cli("status", "--date", day)
    assert after.code == 0 and after.body["model_version"] == new, after
    assert cli("verify", "--date", day).code == 0
    record("incidents", 1, 1)
