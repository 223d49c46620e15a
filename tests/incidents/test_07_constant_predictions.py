"""Incident 7: predictions all 50 %, constant, or zero rows.

On a bad deploy (`bad_deploy`) the newest model predicts the same probability for every line.
The slate's rerun refuses to publish it (the fallback guard fails scoring loudly), so nothing
constant reaches the slate; `propcast verify --date D` fails (the slate is not scored by the
model that should score it) and `propcast model list` names the constant model as the one
serving. `propcast model rollback` serves the last good model again, `propcast recover --date
D` rescores, and verify passes (docs/runbooks/07-constant-predictions.md)."""

from __future__ import annotations

from tests.reliability.tally import record

from .conftest import SLATE, BadDeploy


def test_a_constant_model_is_refused_shown_by_verify_and_rolled_back(
    bad_deploy: BadDeploy,
) -> None:
    day, good, constant = str(SLATE), bad_deploy.good, bad_deploy.constant
    refused = bad_deploy.refused
    assert refused.code == 1, refused
    assert "FallbackPredictions" in refused.out and "[constant]" in refused.out, refused
    assert bad_deploy.scored[0] == [(good,)]  # nothing constant published

    shown = bad_deploy.verify
    assert shown.code == 1, shown
    assert f"scored by {good}, but {constant} should have" in shown.body["message"], shown
    # The props' models (the game totals' family, game_total_nba, serves beside them).
    serving = {
        m["model_version"]: m["scores_now"]
        for m in bad_deploy.models.body["models"]
        if m["market_family"] == "player_points"
    }
    assert serving == {good: None, constant: f"newest trained before {day}"}

    rolled = bad_deploy.rollback
    assert rolled.code == 0 and rolled.body["replaced"] == constant, rolled
    assert bad_deploy.recovered.code == 0, bad_deploy.recovered
    assert bad_deploy.scored[1] == [(good,)]
    verified = bad_deploy.after_verify
    assert verified.code == 0, verified
    expected = verified.body["expected_versions"]
    assert set(expected) == {"player_points", "game_total_nba"}, expected
    assert expected["player_points"] == good, expected
    record("incidents", 1, 1)
