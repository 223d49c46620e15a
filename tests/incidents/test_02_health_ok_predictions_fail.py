"""Incident 2: health says ok while every prediction fails.

The registered model no longer loads (its booster is corrupt): the shallow `propcast health`
still says ok, which is the incident; `propcast health --deep` scores a canary through the
production path and fails naming the model and why. Once the registry is restored, `health
--deep` passes, and `propcast recover --date D` finds the slate complete (the morning job
never published from the broken model) (docs/runbooks/02-health-ok-predictions-fail.md)."""

from __future__ import annotations

from propcast.settings import Home
from propcast.warehouse import connect
from tests.reliability.tally import record

from .conftest import SLATE, cli, demo_version, rows


def test_health_deep_catches_a_model_that_no_longer_loads(incident_home: Home) -> None:
    version = demo_version(incident_home)
    (totals,) = rows(
        incident_home,
        "select model_version from main.ml_model_registry where model_family = 'game_total'",
    )[0]
    with connect(incident_home) as con:
        con.execute("create table main.saved_registry as select * from main.ml_model_registry")
        con.execute(
            "update main.ml_model_registry set booster_over = replace(booster_over, "
            "'objective=binary', 'objective=unknown_objective')"
        )

    shallow = cli("health")
    assert shallow.code == 0, shallow  # the incident: the shallow check cannot see it
    deep = cli("health", "--deep")
    assert deep.code == 1, deep
    canary = next(c for c in deep.body["checks"] if c["name"] == "canary")
    assert not canary["ok"] and version in canary["detail"], canary
    assert "ModelLoadError" in canary["detail"], canary
    assert deep.body["message"].startswith("health (deep) for 2027-01-13: failed canary")
    assert "propcast model" in deep.body["recover"]

    with connect(incident_home) as con:
        con.execute("delete from main.ml_model_registry")
        con.execute("insert into main.ml_model_registry select * from main.saved_registry")
        con.execute("drop table main.saved_registry")
    healthy = cli("health", "--deep")
    assert healthy.code == 0, healthy
    canary = next(c for c in healthy.body["checks"] if c["name"] == "canary")
    assert version in canary["detail"] and "fallback guard passed" in canary["detail"]
    recovered = cli("recover", "--date", str(SLATE))
    assert recovered.code == 0, recovered
    # The props' rows by the props' model, the game totals' by theirs (game_total_nba).
    assert rows(
        incident_home,
        "select distinct market = 'game_total', model_version from main.fct_predictions "
        "where game_date = ? order by all",
        SLATE,
    ) == [(False, version), (True, totals)]
    assert cli("verify", "--date", str(SLATE)).code == 0
    record("incidents", 1, 1)
