"""Incident 7: predictions all 50 %, constant, or zero rows.

A deploy registers a model that predicts the same probability for every line. The slate's
rerun refuses to publish it (the fallback guard fails scoring loudly); `propcast verify
--date D` fails (the slate is not scored by the model that should score it) and `propcast
model list` names the constant model as the one serving. `propcast model rollback` serves
the last good model again, `propcast recover --date D` rescores, and verify passes
(docs/runbooks/07-constant-predictions.md)."""

from __future__ import annotations

from propcast.settings import Home
from tests.reliability.tally import record

from .conftest import SLATE, cli, demo_version, deploy_constant_model, rows

SCORED = "select distinct model_version from main.fct_predictions where game_date = ?"


def test_a_constant_model_is_refused_shown_by_verify_and_rolled_back(
    incident_home: Home,
) -> None:
    day = str(SLATE)
    good = demo_version(incident_home)
    constant = deploy_constant_model(incident_home)

    refused = cli("recover", "--date", day, "--from-phase", "predictions")
    assert refused.code == 1, refused
    assert "FallbackPredictions" in refused.out and "[constant]" in refused.out, refused
    assert rows(incident_home, SCORED, SLATE) == [(good,)]  # nothing constant published

    shown = cli("verify", "--date", day)
    assert shown.code == 1, shown
    assert f"scored by {good}, but {constant} should have" in shown.body["message"], shown
    serving = cli("model", "list", "--date", day)
    assert {m["model_version"]: m["scores_now"] for m in serving.body["models"]} == {
        good: None,
        constant: f"newest trained before {day}",
    }

    rolled = cli("model", "rollback", "--date", day)
    assert rolled.code == 0 and rolled.body["replaced"] == constant, rolled
    recovered = cli("recover", "--date", day)
    assert recovered.code == 0, recovered
    assert rows(incident_home, SCORED, SLATE) == [(good,)]
    verified = cli("verify", "--date", day)
    assert verified.code == 0, verified
    assert verified.body["expected_versions"] == {"player_points": good}
    record("incidents", 1, 1)
