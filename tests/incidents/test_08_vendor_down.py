"""Incident 8: one vendor down.

On the replayed morning (`bad_morning`) csvfeed's fetch fails (FORCE_VENDOR_FAILURE): the run
completes with the other vendors and exits 3 naming it; `propcast status --date D` records the
vendor and the degraded verdict. Once the vendor is back, `propcast run-day` loads its
snapshots and nothing doubles: every table is then what the demo's own run of the slate left
(but for the named clock and run columns) (docs/runbooks/08-vendor-down.md)."""

from __future__ import annotations

from tests.reliability.tally import record

from .conftest import SLATE, BadMorning


def test_a_vendor_down_degrades_the_run_and_a_rerun_loads_it_once(
    bad_morning: BadMorning,
) -> None:
    early = bad_morning.early
    assert early.code == 3, early
    assert early.body["vendors"]["csvfeed"] == "failed: FORCE_VENDOR_FAILURE is set for it"
    assert {v: s for v, s in early.body["vendors"].items() if v != "csvfeed"} == {
        "decimalfeed": "ok", "league": "ok", "oddsapi": "ok",
    }  # fmt: skip
    assert "vendors down: csvfeed" in early.body["message"], early
    assert early.body["recover"] == f"propcast run-day --date {SLATE} once the vendor is back"

    status = bad_morning.early_status
    (run,) = status.body["runs"]
    assert run["vendors"]["csvfeed"].startswith("failed") and run["status"] == "degraded"
    assert "vendors down: csvfeed" in status.out

    priced = bad_morning.priced
    assert priced.code == 0 and priced.body["vendors"]["csvfeed"] == "ok", priced
    demo, while_down, after = bad_morning.csvfeed_files
    assert (while_down, after) == (0, demo) and demo > 0
    # Nothing doubled, nothing missing: the demo's tables, but for the named columns.
    assert bad_morning.differs == {}, bad_morning.differs
    demo_runs, runs = bad_morning.run_rows
    assert runs == demo_runs + 1  # the demo's run of the slate replaced by the morning's two
    record("incidents", 1, 1)
    record("reruns", 1, 1)  # two run-days of the slate converged on one run's rows
