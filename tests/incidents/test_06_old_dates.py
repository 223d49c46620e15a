"""Incident 6: the scheduler processed old dates instead of today.

On the replayed morning (`bad_morning`) the scheduled `propcast run-day` (no --date) runs at
09:00 US/Eastern: it names the slate it works on (today in US/Eastern) and, finding only
yesterday's odds, warns and exits 3 instead of pricing yesterday's lines as today's; `propcast
status` (today by default) shows the run and its warning, and the run report keeps it. Rerun later
without a date, once today's odds are published: exit 0 and status complete
(docs/runbooks/06-old-dates.md)."""

from __future__ import annotations

from propcast.runs import RunState
from tests.reliability.tally import record

from .conftest import SLATE, BadMorning

WARNING = f"no odds for slate {SLATE} by the cutoff; the odds found are for: 2027-01-11"


def test_a_run_that_finds_only_yesterdays_odds_warns_and_status_shows_it(
    bad_morning: BadMorning,
) -> None:
    early = bad_morning.early
    assert early.code == 3, early
    assert f"run-day for slate {SLATE} (today in US/Eastern)" in early.out
    assert f"warning: {WARNING}" in early.out and WARNING in early.body["message"]
    assert early.body["run_date"] == str(SLATE)

    status = bad_morning.early_status
    assert status.code == 3 and status.body["run_date"] == str(SLATE), status
    (run,) = [RunState(**r) for r in status.body["runs"]]
    assert run.command == "run-day" and run.status == "degraded" and WARNING in run.message
    assert run.phases["ingest"] == "degraded"
    assert WARNING in bad_morning.early_run_report  # what the runbook's grep finds

    priced = bad_morning.priced
    assert priced.code == 0, priced
    assert f"run-day for slate {SLATE} (today in US/Eastern)" in priced.out
    assert "no odds for slate" not in priced.out
    after = bad_morning.priced_status
    assert after.code == 0 and after.body["first_incomplete"] is None, after
    assert [r["status"] for r in after.body["runs"]] == ["degraded", "ok"]
    record("incidents", 1, 1)
