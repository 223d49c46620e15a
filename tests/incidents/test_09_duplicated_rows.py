"""Incident 9: reruns and backfills duplicated rows.

On the replayed morning (`bad_morning`) a legacy loader appends some of yesterday's odds rows
to fct_prop_odds again. `propcast validate-golden --existing` checks every model at its
declared grain and names the duplicated keys; the 14:00 rerun of the morning job
(`propcast run-day`) replaces yesterday's and today's slices whole and loads each payload
once: validate-golden passes and every table equals the demo's (docs/runbooks/09-duplicated-rows.md).
"""

from __future__ import annotations

from tests.reliability.tally import record

from .conftest import BadMorning


def test_validate_golden_names_duplicates_and_a_rerun_leaves_none(
    bad_morning: BadMorning,
) -> None:
    shown = bad_morning.doubled_golden
    assert shown.code == 1, shown
    checks = {c["name"]: c for c in shown.body["checks"]}
    grain = checks["grain fct_prop_odds"]
    assert not grain["passed"], grain
    assert grain["detail"].startswith(f"{bad_morning.doubled} duplicated (vendor, book_id"), grain
    assert "failing: " in shown.body["message"] and "grain fct_prop_odds" in shown.body["message"]
    others = [n for n, c in checks.items() if n.startswith("grain ") and not c["passed"]]
    assert others == ["grain fct_prop_odds"]

    assert bad_morning.priced.code == 0, bad_morning.priced
    held = bad_morning.golden
    assert held.code == 0, held
    assert all(c["passed"] for c in held.body["checks"])
    assert bad_morning.differs == {}, bad_morning.differs  # nothing doubled anywhere
    record("incidents", 1, 1)
