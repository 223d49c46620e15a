"""Incident 10: an optional dependency or an unset/bad optional setting crashes start-up.

A bad optional setting stops every command at start with one message naming the setting and
its fix (exit 1, no traceback, nothing written); `propcast health` names it too. Optional
things stay optional: with no alert command configured, commands run. Unset the setting and
the same command runs (docs/runbooks/10-optional-setting.md)."""

from __future__ import annotations

from propcast.settings import Home
from tests.reliability.tally import record

from .conftest import SLATE, cli, scalar

BAD = {"PROPCAST_MAX_QUARANTINE_SHARE": "five percent"}


def test_a_bad_optional_setting_is_named_at_start_and_unsetting_it_recovers(
    incident_home: Home,
) -> None:
    payloads = scalar(incident_home, "select count(*) from raw.raw_odds_payloads")
    runs = sorted(p.name for p in incident_home.runs.glob("*.json"))

    for command in (("ingest",), ("run-day", "--date", str(SLATE)), ("status",)):
        stopped = cli(*command, **BAD)
        assert stopped.code == 1, (command, stopped)
        assert "PROPCAST_MAX_QUARANTINE_SHARE" in stopped.out and "five percent" in stopped.out
        assert "between 0 and 1" in stopped.out, stopped
        assert "Traceback" not in stopped.out
    assert sorted(p.name for p in incident_home.runs.glob("*.json")) == runs  # nothing ran

    shown = cli("health", **BAD)
    assert shown.code == 1, shown
    assert "PROPCAST_MAX_QUARANTINE_SHARE" in shown.out and "Traceback" not in shown.out

    # Unset (and the optional alert command never set): the same commands run.
    assert cli("health").code == 0
    rerun = cli("ingest")
    assert rerun.code == 0, rerun
    assert rerun.body["payloads_loaded"] == 0
    assert scalar(incident_home, "select count(*) from raw.raw_odds_payloads") == payloads
    assert cli("status", "--date", str(SLATE)).code == 0
    record("incidents", 1, 1)
