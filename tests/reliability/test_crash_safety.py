"""Crash safety (issue 12, item 2): kill -9 at every listed point, then a plain rerun converges.

Each case runs a real `propcast` process on a copy of the demo home (tests/reliability/
conftest.py: CrashLab) with PROPCAST_KILL_AT set (propcast/faults.py), so it SIGKILLs itself
at that point: it must die there (-9, and its trace names the point). Then nothing partial may
be visible (payload registry and raw rows agree; run state files are whole JSON), one plain
command must finish the work (exit 0 or 3), and every raw and dbt table must then hold what
an uninterrupted run of the same command gave on another copy (the reference, once per
command and module).

The work: the demo home was priced at 14:00 ET; by the suite's "now" the vendors have
published the slate's closing odds and its results (four odds files, two league files).
- `ingest`: those files put in the inbox, then `propcast ingest`.
- `run-day`: `propcast run-day --date <slate> --cutoff <now>` fetches, ingests and rebuilds.
- `recover`: `propcast recover --date <slate> --from-phase predictions` rescores and reprices
  the slate (the Python model fct_predictions and the pricing marts).
A run-day killed after it recorded a phase is finished with the runbook's command, `propcast
recover --date <slate>` (and `propcast status` must first say the slate is incomplete); a
process killed before its run state file names a phase is rerun as it was.

`make reliability` (PROPCAST_RELIABILITY_FULL=1) runs every case; `make test` a sample of three
points in two cases (one ingest transaction; a run state write followed, on the rerun, by a
kill in a SQL node's transaction) whose cost fits CI's budget.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from propcast.faults import KILL_ENV, KILL_POINTS, TRACE_ENV, parse_spec
from propcast.fetch import fetch_from_feeds
from propcast.settings import Home
from propcast.timeutil import utc_now
from tests.integration.conftest import DemoWorld
from tests.reliability.conftest import (
    CliRun,
    CrashLab,
    checksums,
    payload_violations,
    unreadable_run_states,
)
from tests.reliability.tally import full_matrix, record
from tests.tools.compare_warehouses import differs_beyond_float_noise

#: Not compared, and why:
EXCLUDED_TABLES = {
    # The run registry and what it derives: the killed run is history (an interrupted run
    # with its own run id), which the uninterrupted reference never had.
    "raw_run_registry",
    "fct_run_registry",
    "fct_phase_status_daily",
}
EXCLUDED_COLUMNS = {
    # When the copy of a vendor file landed in this inbox (file system time, not content).
    "raw.raw_inbox_files": {"file_mtime_ns"},
}
SAME, RECOVER = "same", "recover"


@dataclass(frozen=True)
class Case:
    """Kill `command` at `kills` (one process per kill, in turn), then rerun it plainly."""

    command: str
    kills: tuple[str, ...]
    rerun: str = SAME  # SAME: the command again; RECOVER: `propcast recover --date <slate>`
    #: `propcast status` after the kill: False, the slate is incomplete (exit 1, names the
    #: recover command); True, the killed run had recorded every phase it ran (exit 0).
    complete: bool = False

    @property
    def id(self) -> str:
        return f"{self.command}@{'+'.join(self.kills)}"


def _cases() -> list[Case]:
    ingest = [
        "ingest:file-read#3",
        "ingest:before-transaction",
        "ingest:txn:after-bulk-rows",
        "ingest:txn:after-raw_odds_payloads",
        "ingest:txn:after-raw_quarantine",
        "ingest:txn:before-signatures",
        "ingest:txn:before-commit",
        "ingest:after-commit",
        "ingest:batch-written",
    ]
    run_day = [
        "daily:fetched",
        "daily:ingested",
        "daily:before-build",
        "dbt:commit:sportsbooks",
        "dbt:begin:int_prop_odds_unioned",
        "dbt:commit:int_prop_odds_unioned",
        "dbt:finish:int_prop_odds_unioned",
        "dbt:commit:fct_prop_odds",
        "dbt:commit:fct_predictions",
        "daily:after-build",
    ]
    recovered = [
        "dbt:start:fct_predictions",
        "dbt:begin:fct_predictions",
        "dbt:finish:fct_predictions",
        "dbt:commit:fct_phase_status_daily",
    ]
    # The recover command saves its run state 4 times: 1 start, 2 phase predictions,
    # 3 predictions done, 4 finish (`runs:*#N` is the N-th save). Killed before its state
    # names a phase (or after it recorded it), it is rerun as it was.
    rerun = ["runs:before-tmp-write#1", "runs:tmp-written#1", "runs:replaced#1"]
    return [
        *(Case("ingest", (k,)) for k in ingest),
        *(Case("run-day", (k,), RECOVER) for k in run_day),
        *(Case("recover", (k,), RECOVER) for k in recovered),
        *(Case("recover", (k,)) for k in [*rerun, "runs:tmp-written#4"]),
        # Killed once every phase is recorded: nothing left to recover, nothing lost.
        Case("run-day", ("daily:before-reports",), RECOVER, complete=True),
        Case("recover", ("runs:replaced#3",), RECOVER, complete=True),
        SAMPLE_CHAIN,
    ]


#: Two kills in a row (the rerun of a crash crashes too), then the plain rerun.
SAMPLE_CHAIN = Case("recover", ("runs:tmp-written#2", "dbt:commit:fct_bet_recommendations"))
SAMPLE = {Case("ingest", ("ingest:txn:after-raw_odds_payloads",)), SAMPLE_CHAIN}
CASES = _cases()
SELECTED = CASES if full_matrix() else [c for c in CASES if c in SAMPLE]


def commands(slate: date) -> dict[str, tuple[str, ...]]:
    cutoff = f"{utc_now():%Y-%m-%dT%H:%M:%S}Z"  # everything published by the suite's now
    return {
        "ingest": ("ingest",),
        "run-day": ("run-day", "--date", str(slate), "--cutoff", cutoff),
        "recover": ("recover", "--date", str(slate), "--from-phase", "predictions"),
    }


@dataclass(frozen=True)
class Reference:
    run: CliRun
    tables: dict[str, tuple[int, int]]
    warehouse: Path  # a copy, for the tables whose checksums differ (float noise or not)


class Scenarios:
    """The lab, the commands on the demo slate, and each command's reference run."""

    def __init__(self, lab: CrashLab, slate: date) -> None:
        self.lab, self.slate = lab, slate
        self.commands = commands(slate)
        self._references: dict[str, Reference] = {}

    def start(self, command: str) -> Home:
        """A fresh stage with the command's work waiting."""
        home = self.lab.reset()
        if command == "ingest":
            fetch_from_feeds(home, home.world / "feeds", cutoff=utc_now())
        return home

    def reference(self, command: str) -> Reference:
        if command not in self._references:
            home = self.start(command)
            before = payloads(home)
            run = self.lab.run(self.commands[command])
            assert run.returncode in (0, 3), run.output[-3000:]
            assert payload_violations(home) == []
            if command in ("ingest", "run-day"):  # the command had work: new vendor files
                assert payloads(home) > before, run.output[-3000:]
            copy = self.lab.traces.parent / f"reference-{command}.duckdb"
            shutil.copy(home.warehouse, copy)
            self._references[command] = Reference(run, tables(home), copy)
        return self._references[command]


def tables(home: Home) -> dict[str, tuple[int, int]]:
    found = checksums(home, EXCLUDED_TABLES, EXCLUDED_COLUMNS)
    assert {"raw.raw_odds_payloads", "main.fct_predictions", "main.fct_prop_odds"} <= set(found)
    return found


def payloads(home: Home) -> int:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute("select count(*) from raw.raw_odds_payloads").fetchone()[0]


@pytest.fixture(scope="module")
def scenarios(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Scenarios:
    lab = CrashLab(demo_world.home, tmp_path_factory.mktemp("crash"))
    return Scenarios(lab, demo_world.slate)


def test_the_matrix_names_at_least_20_listed_points_and_each_one() -> None:
    killed = {parse_spec(spec)[0] for case in CASES for spec in case.kills}
    assert killed <= set(KILL_POINTS), killed - set(KILL_POINTS)
    assert set(KILL_POINTS) <= killed, set(KILL_POINTS) - killed
    assert len(KILL_POINTS) >= 20
    families = {name.split(":")[0] for name in KILL_POINTS}
    assert families == {"ingest", "runs", "daily", "dbt"}
    assert set(CASES) >= SAMPLE


def test_a_kill_point_kills_at_its_nth_pass_and_is_free_when_unset(tmp_path) -> None:
    script = (
        "from propcast.faults import fault_point\n"
        "for _ in range(3):\n    fault_point('here')\nprint('survived')\n"
    )
    trace = tmp_path / "trace"

    def run(**env: str) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items() if k not in (KILL_ENV, TRACE_ENV)}
        return subprocess.run(
            [sys.executable, "-c", script], env={**clean, **env}, capture_output=True, text=True
        )

    killed = run(**{KILL_ENV: "here#2", TRACE_ENV: str(trace)})
    assert killed.returncode == -signal.SIGKILL and "survived" not in killed.stdout
    assert trace.read_text().splitlines() == ["here", "here", "KILL here#2"]
    free = run()
    assert free.returncode == 0 and "survived" in free.stdout


@pytest.mark.parametrize("command", sorted({c.command for c in SELECTED}))
def test_each_listed_point_is_reached_by_an_uninterrupted_run(
    scenarios: Scenarios, command: str
) -> None:
    """A point the matrix kills at but a normal run never reaches would be a test that cannot
    fail; the reference run's trace must reach each of its points as often as the case needs."""
    reference = scenarios.reference(command)
    trace = reference.run.trace
    assert not any(line.startswith("KILL") for line in trace)
    for case in (c for c in CASES if c.command == command):
        for spec in case.kills:
            name, nth = parse_spec(spec)
            assert trace.count(name) >= (nth or 1), f"{spec} not reached by {command}"


@pytest.mark.parametrize("case", SELECTED, ids=lambda c: c.id)
def test_kill_then_plain_rerun_converges(scenarios: Scenarios, case: Case) -> None:
    survived = 0
    try:
        _kill_and_rerun(scenarios, case)
        survived = 1
    finally:
        record("kill_points", survived * len(case.kills), len(case.kills))


def _kill_and_rerun(scenarios: Scenarios, case: Case) -> None:
    reference = scenarios.reference(case.command)
    home = scenarios.start(case.command)
    argv = scenarios.commands[case.command]
    for spec in case.kills:
        killed = scenarios.lab.run(argv, kill_at=spec)
        name, nth = parse_spec(spec)
        assert killed.returncode == -signal.SIGKILL, (spec, killed.output[-3000:])
        assert killed.killed_at == f"{name}#{nth or 1}"
        assert payload_violations(home) == [], spec
        assert unreadable_run_states(home) == [], spec
    day = str(scenarios.slate)
    if case.rerun == RECOVER:
        # Detect in one command: the slate is incomplete (the killed run left it so) ...
        status = scenarios.lab.run(("status", "--date", day))
        assert status.returncode == (0 if case.complete else 1), status.output[-2000:]
        if not case.complete:
            assert f"propcast recover --date {day}" in status.output
        argv = ("recover", "--date", day)
    rerun = scenarios.lab.run(argv)  # ... and recover in one more
    assert rerun.returncode in (0, 3), rerun.output[-3000:]
    assert rerun.killed_at is None
    assert payload_violations(home) == []
    after = tables(home)
    differ = {
        table: (after.get(table), reference.tables.get(table))
        for table in sorted(set(after) | set(reference.tables))
        if after.get(table) != reference.tables.get(table)
        and (
            None in (after.get(table), reference.tables.get(table))
            or differs_beyond_float_noise(str(reference.warehouse), str(home.warehouse), table)
        )
    }
    assert differ == {}, f"tables differing from an uninterrupted run: {differ}"
