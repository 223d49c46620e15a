"""bench/scale.py at a tiny size (two worlds of 8 and 40 days) runs end to end: the last line it
prints is one JSON object with every figure, all positive, ratios finite.

Marked slow (`make test-slow`, `make bench-smoke`): it costs ~150 s of one worker, a tenth of
make test's 15-minute budget, for a script no product code imports."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from propcast.dbt_runner import DBT_LOG_ENV

ROOT = Path(__file__).resolve().parents[2]

FIGURES = [
    "run_day_5s_over_run_day_1s",
    "run_day_5s_over_full_refresh_5s",
    "run_day_5s_minus_noop_s",
    "ingest_rows_per_s",
    "duckdb_read_json_rows_per_s",
    "peak_rss_run_day_mb",
    "peak_rss_full_refresh_mb",
    "dbt_noop_5s",
    "run_day_1s_s",
    "run_day_5s_s",
    "full_refresh_5s_s",
    "full_refresh_1s_s",
    "ingest_rows_5s",
    "ingest_s_5s",
]
RATIOS = FIGURES[:3]
TARGETS = [
    "run_day_5s_over_run_day_1s",
    "run_day_5s_over_full_refresh_5s",
    "run_day_5s_minus_noop_s",
    "ingest_rows_per_s",
    "peak_rss_full_refresh_mb",
]


@pytest.mark.slow
def test_bench_scale_tiny(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--season-days", "8",
         "--work-dir", str(tmp_path / "work")],
        # The product's default file log level (the suite quiets dbt.log to errors): the profile
        # of run-day's invocations reads it.
        env={**os.environ, DBT_LOG_ENV: "info"},
        cwd=ROOT, capture_output=True, text=True, timeout=420,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])

    for key in FIGURES:
        value = result[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value) and value > 0, (key, value)
    for key in RATIOS:
        assert math.isfinite(result[key]), key

    assert set(result["targets"]) == set(TARGETS)
    assert set(result["targets_met"]) == set(TARGETS)
    assert all(isinstance(v, bool) for v in result["targets_met"].values())

    assert set(result["rows"]) == {"1s", "5s"}
    for size in ("1s", "5s"):
        rows = result["rows"][size]
        for key in ("raw", "fct_prop_odds", "fct_predictions", "games"):
            assert isinstance(rows[key], int) and rows[key] > 0, (size, key, rows[key])
    assert result["rows"]["5s"]["raw"] > result["rows"]["1s"]["raw"]
    assert result["rows"]["5s"]["games"] > result["rows"]["1s"]["games"]

    profile = result["profile"]
    assert profile["run_day_5s_top_nodes"], "run-day's slowest dbt nodes are reported"
    assert any(p["command"] == "build" for p in profile["run_day_5s_dbt_invocations"])
    assert not (tmp_path / "work" / "home_1s").exists(), "without --keep the homes are removed"
