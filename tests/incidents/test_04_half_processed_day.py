"""Incident 4: a phase ran before its inputs were complete; a day is half processed.

On a bad deploy (`bad_deploy`) the slate's rerun fails in its predictions phase: the models
after the failed one are skipped. `propcast status --date D` shows each phase as n/m dbt
models built, the missing ones named, and the first incomplete phase; once the cause is fixed
(`propcast model rollback`), `propcast recover --date D` reruns from that phase, in dependency
order, and status shows every phase complete (docs/runbooks/04-half-processed-day.md)."""

from __future__ import annotations

from propcast.phases import PHASES
from tests.reliability.tally import record

from .conftest import SLATE, BadDeploy


def test_status_shows_the_half_processed_day_and_recover_completes_it(
    bad_deploy: BadDeploy,
) -> None:
    day = str(SLATE)
    failed = bad_deploy.refused
    assert failed.code == 1, failed
    assert "phase predictions failed" in failed.out
    assert failed.body["recover"].startswith(f"propcast status --date {day}")

    shown = bad_deploy.status
    assert shown.code == 1, shown
    assert shown.body["first_incomplete"] == "predictions"
    phases = shown.body["phases"]
    for phase in PHASES[:-1]:
        assert phases[phase]["complete"], (phase, phases[phase])
    half = phases["predictions"]
    assert half["selected"] > 0 and half["built"] < half["selected"], half
    assert any(m.startswith("fct_predictions ") for m in half["missing"]), half
    assert any(m.startswith("fct_bet_recommendations ") for m in half["missing"]), half
    assert f"{half['built']}/{half['selected']}" in shown.out
    assert shown.body["recover"] == f"propcast recover --date {day}"

    recovered = bad_deploy.recovered
    assert recovered.code == 0, recovered
    assert "rerunning from phase predictions (its first incomplete phase)" in recovered.out
    after = bad_deploy.after_status
    assert after.code == 0, after
    assert after.body["first_incomplete"] is None
    assert all(after.body["phases"][p]["complete"] for p in PHASES)
    demo_rows, rows_after = bad_deploy.predictions
    assert rows_after == demo_rows > 0
    record("incidents", 1, 1)
