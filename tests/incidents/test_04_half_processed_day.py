"""Incident 4: a phase ran before its inputs were complete; a day is half processed.

A rerun of the slate from its features phase fails in predictions (the model it scores with
no longer loads): features are rebuilt, predictions are not. `propcast status --date D`
shows each phase as n/m dbt models built, the missing ones named, and the first incomplete
phase; once the cause is fixed `propcast recover --date D` reruns from that phase, in
dependency order, and status shows every phase complete (docs/runbooks/04-half-processed-day.md).
"""

from __future__ import annotations

from propcast.phases import PHASES
from propcast.settings import Home
from propcast.warehouse import connect
from tests.reliability.tally import record

from .conftest import SLATE, cli, demo_version, scalar

PREDICTIONS = "select count(*) from main.fct_predictions where game_date = ?"


def test_status_shows_the_half_processed_day_and_recover_completes_it(
    incident_home: Home,
) -> None:
    day = str(SLATE)
    predictions = scalar(incident_home, PREDICTIONS, SLATE)
    with connect(incident_home) as con:
        con.execute("create table main.saved_registry as select * from main.ml_model_registry")
        con.execute("update main.ml_model_registry set booster_mean = 'not a model'")

    failed = cli("recover", "--date", day, "--from-phase", "features")
    assert failed.code == 1, failed
    assert "phase predictions failed" in failed.out and f"propcast recover --date {day}" in (
        failed.out
    )

    shown = cli("status", "--date", day)
    assert shown.code == 1, shown
    assert shown.body["first_incomplete"] == "predictions"
    phases = shown.body["phases"]
    for phase in PHASES[:-1]:
        assert phases[phase]["complete"], (phase, phases[phase])
    half = phases["predictions"]
    assert half["selected"] > 0 and half["built"] < half["selected"], half
    assert any(m.startswith("fct_predictions ") for m in half["missing"]), half
    assert f"{half['built']}/{half['selected']}" in shown.out
    assert shown.body["recover"] == f"propcast recover --date {day}"

    with connect(incident_home) as con:  # the cause fixed: the registry restored
        con.execute("delete from main.ml_model_registry")
        con.execute("insert into main.ml_model_registry select * from main.saved_registry")
        con.execute("drop table main.saved_registry")
    recovered = cli("recover", "--date", day)
    assert recovered.code == 0, recovered
    assert "rerunning from phase predictions (its first incomplete phase)" in recovered.out
    after = cli("status", "--date", day)
    assert after.code == 0, after
    assert after.body["first_incomplete"] is None
    assert after.body["model_version"] == demo_version(incident_home)
    assert scalar(incident_home, PREDICTIONS, SLATE) == predictions > 0
    record("incidents", 1, 1)
