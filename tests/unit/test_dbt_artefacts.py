"""bench/scale's profile of run-day's dbt invocations (bench/dbt_artefacts.py) reads dbt.log at
the product's default info level, where dbt writes no resource report, as well as at debug."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from dbt_artefacts import parse_times

LAUNCHED = datetime(2027, 1, 13, 22, 5, 0)
INFO_LOG = """
============================== 22:05:17.100000 | 1f0e ==============================
\x1b[0m22:05:17.218050 [info ] [MainThread]: Running with dbt=1.11.16
\x1b[0m22:05:17.585140 [info ] [MainThread]: Found 67 models, 342 data tests, 9 seeds
\x1b[0m22:05:26.628888 [info ] [MainThread]: Finished running 31 table models in 9.01s.
\x1b[0m22:05:26.782186 [info ] [MainThread]: Done. PASS=407 WARN=0 ERROR=0 SKIP=0 TOTAL=410
\x1b[0m22:05:29.199209 [info ] [MainThread]: Running with dbt=1.11.16
\x1b[0m22:05:29.500000 [info ] [MainThread]: Found 67 models, 342 data tests, 9 seeds
\x1b[0m22:05:31.000000 [info ] [MainThread]: Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1
"""
DEBUG_TAIL = (
    "\x1b[0m22:05:31.100000 [debug] [MainThread]: Resource report: "
    '{"command_name": "test", "command_wall_clock_time": 1.95}\n'
)


def test_info_level_invocations_get_wall_seconds_from_their_lines() -> None:
    invocations = parse_times(INFO_LOG, LAUNCHED, last_command="build")
    assert [p["start_s"] for p in invocations] == [17.22, 29.2]
    assert [p["parse_s"] for p in invocations] == [0.37, 0.3]
    assert [p["wall_s"] for p in invocations] == [9.56, 1.8]
    # Only the last invocation's command is known at info level (its run_results.json).
    assert [p["command"] for p in invocations] == [None, "build"]


def test_the_debug_resource_report_names_the_command_and_its_wall_seconds() -> None:
    invocations = parse_times(INFO_LOG + DEBUG_TAIL, LAUNCHED, last_command="build")
    assert invocations[-1]["command"] == "test"
    assert invocations[-1]["wall_s"] == 1.95
