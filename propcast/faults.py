"""Kill points: a documented test hook that proves a crash at any listed place loses nothing.

`fault_point(name)` marks a place where a process may die (kill -9, OOM killer, power cut).
Normally it does nothing: one check of a module global set when this module is imported.
Two environment variables, read at import (every propcast command is a fresh process), arm it:

- `PROPCAST_KILL_AT=<name>` or `<name>#<N>`: the process SIGKILLs itself the first (or N-th)
  time it reaches that point: no `finally`, no rollback, no flush, exactly like `kill -9`.
- `PROPCAST_FAULT_TRACE=<file>`: every point reached is appended to the file, one name a
  line, and `KILL <name>#<N>` just before a kill; a test reads it to prove each listed point
  is reached in a normal run and that a killed run died where it was told to.

dbt nodes have kill points too: `dbt_callbacks()` (passed to `dbtRunner`) turns dbt's events
into `dbt:<event>:<node name>` points, e.g. `dbt:commit:fct_predictions`. `KILL_POINTS` lists
the points the crash-safety suite (tests/reliability/test_crash_safety.py) kills at: a rerun
after each must converge to the tables of an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KILL_ENV = "PROPCAST_KILL_AT"
TRACE_ENV = "PROPCAST_FAULT_TRACE"

#: name -> where it is and what a crash there leaves behind. Names reached per batch, save or
#: node can be targeted at their N-th time with `name#N`.
KILL_POINTS: dict[str, str] = {
    # --- ingest (propcast/ingest.py, ingest_batch.py): one transaction per batch of payloads ---
    "ingest:file-read": "a new inbox file read and hashed; nothing of its batch written yet",
    "ingest:before-transaction": "a batch staged in temp tables, its transaction not begun",
    "ingest:txn:after-bulk-rows": "in the batch's transaction: raw rows inserted, no payload row",
    "ingest:txn:after-raw_odds_payloads": "in the transaction: payload registry rows inserted",
    "ingest:txn:after-raw_quarantine": "in the transaction: quarantined rows inserted",
    "ingest:txn:before-signatures": "in the transaction: rows in, inbox file signatures not",
    "ingest:txn:before-commit": "in the transaction: everything inserted, commit not issued",
    "ingest:after-commit": "a batch committed, the load not finished",
    "ingest:batch-written": "a batch written, before the next batch or the end of the load",
    # --- run state files (propcast/runs.py): tmp file written, then renamed over the state ---
    "runs:before-tmp-write": "a run state change, its tmp file not written",
    "runs:tmp-written": "a run state tmp file written, not yet renamed over the state file",
    "runs:replaced": "a run state file replaced, the run not yet past the change",
    # --- the morning job's phases (propcast/daily.py) ---
    "daily:fetched": "run-day: vendor files copied into the inbox, not ingested",
    "daily:ingested": "run-day: inbox ingested, the ingest phase not recorded",
    "daily:before-build": "run-day: ingest recorded, dbt build not started",
    "daily:after-build": "run-day: dbt build done, its phases not recorded",
    "daily:before-reports": "run-day: run finished in its state file, reports not written",
    # --- dbt nodes (dbt_callbacks): start, tmp relation built (begin), commit, finish ---
    "dbt:commit:sportsbooks": "seed reload: rows replaced in its transaction, not committed",
    "dbt:begin:int_prop_odds_unioned": "incremental SQL model: slice staged in a tmp table",
    "dbt:commit:int_prop_odds_unioned": "incremental SQL model: slices replaced, not committed",
    "dbt:finish:int_prop_odds_unioned": "incremental SQL model committed, its tests not run",
    "dbt:commit:fct_prop_odds": "SQL mart: new slice written in its transaction, not committed",
    "dbt:start:fct_predictions": "Python model (scoring) about to run",
    "dbt:begin:fct_predictions": "Python model: slate scored into its tmp table, not merged",
    "dbt:commit:fct_predictions": "Python model: predictions merged, not committed",
    "dbt:finish:fct_predictions": "Python model committed, pricing not built",
    "dbt:commit:fct_bet_recommendations": "SQL pricing mart written, not committed",
    "dbt:commit:fct_phase_status_daily": "monitoring mart written, not committed",
}

#: dbt event -> kill point kind. SQLQuery counts only as `begin` (the statement BEGIN: a
#: model's tmp relation is built, its transaction about to open).
DBT_EVENTS = {
    "NodeStart": "start",
    "SQLQuery": "begin",
    "SQLCommit": "commit",
    "NodeFinished": "finish",
}


@dataclass
class _Armed:
    kill: str | None
    nth: int | None
    trace: Path | None
    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reached(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1
            count = self.counts[name]
            self._trace(name)
            if name == self.kill and self.nth in (None, count):
                self._trace(f"KILL {name}#{count}")
                os.kill(os.getpid(), signal.SIGKILL)

    def _trace(self, line: str) -> None:
        if self.trace is not None:
            with self.trace.open("a") as out:
                out.write(line + "\n")


def parse_spec(spec: str) -> tuple[str, int | None]:
    """`name` or `name#N` -> (name, N or None)."""
    name, sep, nth = spec.rpartition("#")
    if sep and nth.isdigit() and int(nth) > 0:
        return name, int(nth)
    return spec, None


def arm() -> _Armed | None:
    """(Re)read the environment; None (disarmed) when neither variable is set."""
    global _ARMED
    kill = os.environ.get(KILL_ENV, "").strip() or None
    trace = os.environ.get(TRACE_ENV, "").strip() or None
    if kill is None and trace is None:
        _ARMED = None
    else:
        name, nth = parse_spec(kill) if kill else (None, None)
        _ARMED = _Armed(name, nth, Path(trace) if trace else None)
    return _ARMED


_ARMED: _Armed | None = None
arm()


def fault_point(name: str) -> None:
    """A place where a crash must leave nothing partial (see the module docstring)."""
    if _ARMED is not None:
        _ARMED.reached(name)


def _dbt_event(msg: Any) -> None:
    kind = DBT_EVENTS.get(msg.info.name)
    if kind is None:
        return
    if kind == "begin" and msg.data.sql.strip().upper() != "BEGIN":
        return
    node = msg.data.node_info.node_name
    if node:
        fault_point(f"dbt:{kind}:{node}")


def dbt_callbacks() -> list[Callable[[Any], None]]:
    """Callbacks for `dbtRunner(callbacks=...)`: none unless armed (dbt fires thousands of
    events per build)."""
    return [_dbt_event] if _ARMED is not None else []
