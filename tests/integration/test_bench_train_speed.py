"""bench/train_speed.py at a tiny size (two seasons of 35 days, 30k rows) runs end to end: it
generates and caches bench/quality's frame, times both settings with every phase, scores the
fair test per family, and its last line is one JSON object; a second run reads the cached frame.

Marked slow (`make test-slow`): ~1-2 min of one worker for a script no product code imports."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from propcast.models.train import TRAINING_PHASES

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = {"player_assists", "player_points", "player_rebounds", "player_threes"}


def run_bench(cache: Path, *extra: str) -> tuple[dict, str, str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "train_speed.py"), "--seasons", "2",
         "--days-per-season", "35", "--train-rows", "30000", "--cache-dir", str(cache), *extra],
        capture_output=True, text=True, cwd=ROOT, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout, done.stderr


@pytest.mark.slow
def test_train_speed_bench_compares_settings_on_one_cached_frame(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result, out, err = run_bench(cache)
    assert "frame cached" in err and len(list(cache.glob("frame-*.parquet"))) == 1
    assert result["train_rows"] == 30000 and result["market"] == "player_points"
    assert result["settings"]["old"] == {"num_boost_round": 300, "learning_rate": 0.03}
    for name in ("old", "new"):
        run = result[name]
        assert list(run["phases"]) == list(TRAINING_PHASES) and run["phases"]["boost_mean"] > 0
        assert run["seconds"] > 0
        assert run["rows_per_s"] == pytest.approx(30000 / run["seconds"], rel=0.01)
        assert 0.5 < run["holdout_logloss"] < 0.75
        assert set(run["family_logloss"]) == FAMILIES
    assert set(result["logloss_delta"]) == FAMILIES
    assert math.isfinite(result["speedup"]) and result["speedup"] > 0
    assert result["target_seconds"] is None and result["target_met"] is None  # below 1M rows
    assert "holdout log loss" in out and "new-old" in out

    # Same settings on both sides, quality skipped: read from the cache, nothing to compare.
    again, _, err = run_bench(cache, "--old", "{}", "--skip-quality")
    assert "frame: " in err and "frame cached" not in err
    assert again["logloss_delta"] == {} and again["holdout_logloss_delta"] == 0.0
