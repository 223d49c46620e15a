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

#: The slate's scoring versions: the props' rows, then the game totals' (their own family).
SCORED = (
    "select distinct market = 'game_total', model_version from main.fct_predictions "
    "where game_date = ? order by all"
)
#: A family's model trained through a date.
TRAINED = (
    "select model_version from main.ml_model_registry where model_family = ? and train_end = ?"
)
NEW_TRAIN_END = date(2027, 1, 9)


def by_family(versions: str) -> dict[str, str]:
    """A run's recorded model_version (every version that scored the slate, comma-separated:
    the props' and the game totals') by the market family each names (`<family>-<date>-<hash>`)."""
    found = [v for v in versions.split(", ") if v]
    named = {v.rsplit("-", 2)[0]: v for v in found}
    assert len(named) == len(found), versions  # one version per family
    return named


def test_a_forgotten_pin_keeps_the_old_model_serving_until_unpinned(incident_home: Home) -> None:
    day = str(SLATE)
    old = demo_version(incident_home)
    (old_totals,) = rows(
        incident_home,
        "select model_version from main.ml_model_registry where model_family = 'game_total'",
    )[0]
    pinned = cli("model", "pin", old, "--reason", "incident drill")
    assert pinned.code == 0, pinned
    deployed = train(
        incident_home, NEW_TRAIN_END, overrides={"validation_days": 3, "calibration_days": 3}
    )
    assert deployed.success, deployed.error or [n.message for n in deployed.failed]
    (new,) = rows(incident_home, TRAINED, "player_prop", NEW_TRAIN_END)[0]
    (new_totals,) = rows(incident_home, TRAINED, "game_total", NEW_TRAIN_END)[0]

    status = cli("status", "--date", day)
    assert status.code == 0, status
    # The run records every version that scored the slate: the props' one is the old model.
    assert by_family(status.body["model_version"]) == {
        "player_points": old,
        "game_total_nba": old_totals,
    }, status
    assert f"scored by model_version: {status.body['model_version']}" in status.out
    listed = cli("model", "list", "--date", day)
    serving = {
        family: {m["model_version"]: m["scores_now"] for m in listed.body["models"]
                 if m["market_family"] == family}
        for family in ("player_points", "game_total_nba")
    }  # fmt: skip
    # The pin holds the props' old model; the game totals' newest serves (the pin is not theirs).
    assert serving == {
        "player_points": {old: "pinned", new: None},
        "game_total_nba": {old_totals: None, new_totals: f"newest trained before {day}"},
    }, listed

    assert cli("model", "unpin", "--reason", "deploy done").code == 0
    recovered = cli("recover", "--date", day, "--from-phase", "predictions")
    assert recovered.code == 0, recovered
    assert rows(incident_home, SCORED, SLATE) == [(False, new), (True, new_totals)]
    after = cli("status", "--date", day)
    assert after.code == 0, after
    assert by_family(after.body["model_version"]) == {
        "player_points": new,
        "game_total_nba": new_totals,
    }, after
    assert cli("verify", "--date", day).code == 0
    record("incidents", 1, 1)
