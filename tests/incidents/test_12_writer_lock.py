"""Incident 12: a lock (or a write quota) blocks the run.

Another process holds the warehouse's writer lock (here a process that took it for the
morning run of the slate). A second writer is refused at once naming the holder (pid,
purpose), `propcast status` still answers (it reads the run files, not the locked warehouse)
and `propcast health` says the warehouse is locked by a run. Once the holder is done, the
refused command is simply run again (docs/runbooks/12-writer-lock.md)."""

from __future__ import annotations

import subprocess
import sys

from propcast.settings import Home
from tests.reliability.tally import record

from .conftest import SLATE, cli, scalar

HOLD = """
import sys
from pathlib import Path
from propcast.locking import writer_lock
from propcast.settings import Home
with writer_lock(Home(Path(sys.argv[1])), sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_second_writer_is_refused_naming_the_holder_and_status_still_answers(
    incident_home: Home,
) -> None:
    payloads = scalar(incident_home, "select count(*) from raw.raw_odds_payloads")
    purpose = f"run-day {SLATE}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(incident_home.root), purpose],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = cli("ingest")
        assert refused.code == 1, refused
        assert f"pid {holder.pid}" in refused.out and purpose in refused.out, refused
        assert refused.body["recover"] == "propcast ingest"

        status = cli("status", "--date", str(SLATE))
        assert status.code == 0, status
        assert status.body["first_incomplete"] is None
        health = cli("health")
        assert health.code == 1 and "locked by a run" in health.body["message"], health
        assert purpose in health.body["message"]
    finally:
        holder.communicate("", timeout=30)  # the holder finishes its work
    assert holder.returncode == 0

    rerun = cli("ingest")
    assert rerun.code == 0, rerun
    assert scalar(incident_home, "select count(*) from raw.raw_odds_payloads") == payloads
    assert cli("health").code == 0
    record("incidents", 1, 1)
