"""Training speed against quality, old settings beside new, on bench/quality's world.

    .venv/bin/python bench/train_speed.py                        # 200k rows: make bench-train-speed
    .venv/bin/python bench/train_speed.py --train-rows 1000000   # the issue-10 target: < 60 s
    .venv/bin/python bench/train_speed.py --old '{}' --new '{"num_boost_round": 80}'

The data: bench/quality.py's frame (`--seasons` seasons of `--days-per-season` days of the demo
world at `--market-strength`, seed `--seed`, `--books` books through oddsapi; the product's
feature columns built in pandas as bench/quality does). Generating it takes ~4 min on the shared
2-core machine, so the frame is cached as parquet under `--cache-dir` (default
~/.cache/propcast/bench), keyed by those settings and a hash of bench/quality.py,
quality_frame.py and the feature list; a second run starts at once.

Two settings run side by side on the same data, in the same process, alternating:
`old` (`--old`, TrainConfig fields as JSON; default: the defaults before the speed change,
300 rounds at learning rate 0.03) and `new` (`--new`; default `{}`: the product's TrainConfig
defaults). For each:

- speed: `propcast.models.train_prop_model` on `--train-rows` rows of the largest family (its
  two training seasons, whole dates repeated as earlier dates until there are enough rows, as
  `bench/quality.py --train-rows` does), `--repeats` times; the fastest run's seconds, rows/s
  and phase breakdown (label, split, matrices, dataset_*, boost_*, calibrate, validate) are
  printed, with the holdout log loss of that model on the last season;
- quality: per family, trained on every season but the last and scored on the last (bench
  /quality's fair test): the holdout log loss of each family.

Absolute times on a shared machine are noisy: compare the ratios (`old / new`), measured in the
same run. The quality rule (issue 10, "Speed"): every family's holdout log loss under `new`
within +0.0005 of `old`. The last line is one JSON object: `train_rows`, per setting
`seconds, rows_per_s, phases, holdout_logloss, family_logloss`, and `speedup`,
`logloss_delta` (per family, new - old), `quality_ok`, `target_seconds` (60 at 1M rows or
more; null below: fixed costs weigh more on fewer rows) and `target_met` (new's seconds under
it; null below 1M rows).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/quality.py, when imported

import quality
import quality_frame

from propcast.models import TrainConfig, score_lines, train_prop_model
from propcast.models.train import TRAINING_PHASES
from propcast.world import generate
from propcast.world.closing import log_loss
from propcast.world.market import DEFAULT_MARKET_STRENGTH

#: TrainConfig before the speed change (issue 10): 300 rounds at learning rate 0.03.
OLD_SETTINGS = {"num_boost_round": 300, "learning_rate": 0.03}
#: Issue 10: 1M rows in under 60 s; smaller runs are held to the same rate.
TARGET_SECONDS_PER_MILLION = 60.0
#: Issue 10: a change of settings may cost at most this much holdout log loss, per family.
LOGLOSS_TOLERANCE = 0.0005


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cache_key(args: argparse.Namespace, features: list[str]) -> str:
    here = Path(__file__).resolve().parent
    source = b"".join((here / name).read_bytes() for name in ("quality.py", "quality_frame.py"))
    digest = hashlib.sha256(source + json.dumps(features).encode()).hexdigest()[:10]
    return (
        f"frame-{args.market_strength}-s{args.seasons}-d{args.days_per_season}-b{args.books}"
        f"-seed{args.seed}-y{args.first_year}-{digest}"
    )


def load_frame(args: argparse.Namespace, features: list[str]) -> pd.DataFrame:
    """bench/quality's frame at `args`' settings, from the cache or generated (then cached)."""
    cached = args.cache_dir / f"{cache_key(args, features)}.parquet"
    if cached.exists() and not args.refresh:
        say(f"frame: {cached}")
        frame = pd.read_parquet(cached)
    else:
        work = Path(tempfile.mkdtemp(prefix="propcast-train-speed-"))
        try:
            worlds = []
            for k in range(args.seasons):
                world = work / f"season{k}"
                started = time.perf_counter()
                summary = generate(
                    world,
                    seed=args.seed,
                    start=date(args.first_year + k, 10, 21),
                    season=k,
                    days=args.days_per_season,
                    books=args.books,
                    market_strength=args.market_strength,
                    vendors=("oddsapi",),
                )
                say(f"season {k}: {summary} ({time.perf_counter() - started:.0f}s)")
                worlds.append(world)
            started = time.perf_counter()
            frame = quality_frame.season_frames(worlds)
            say(f"frame of {len(frame):,} rows ({time.perf_counter() - started:.0f}s)")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        args.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".tmp")
        frame.to_parquet(partial)
        os.replace(partial, cached)
        say(f"frame cached: {cached}")
    frame["game_date"] = pd.to_datetime(frame["game_date"]).dt.date
    return frame


def repeated_rows(frame: pd.DataFrame, n_rows: int) -> tuple[str, pd.DataFrame]:
    """The largest family's training seasons, whole dates repeated as earlier dates (shifted by
    the seasons' span) until there are `n_rows` rows; bench/quality.py's `train_speed` frame."""
    market = str(frame["market"].value_counts().index[0])
    base = frame[(frame["market"] == market) & (frame["season"] < frame["season"].max())]
    span = (max(base["game_date"]) - min(base["game_date"])).days + 1
    copies = []
    for k in range(-(-n_rows // len(base))):
        shifted = pd.to_datetime(base["game_date"]) - pd.Timedelta(days=span * k)
        copies.append(base.assign(game_date=shifted.dt.date))
    return market, pd.concat(copies[::-1], ignore_index=True).tail(n_rows)


def holdout_logloss(model, rows: pd.DataFrame) -> float:
    scored = score_lines(model, rows)
    y = (scored["stat_value"] > scored["line"]).to_numpy(dtype=float)
    return log_loss(y, scored["prob_over"].to_numpy())


def time_training(
    big: pd.DataFrame, market: str, features: list[str], overrides: dict
) -> tuple[float, dict[str, float], object]:
    cfg = TrainConfig(
        market_family=market,
        feature_columns=features,
        train_end=max(big["game_date"]),
        **overrides,
    )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    model = train_prop_model(big, cfg, timings=timings)
    return time.perf_counter() - started, timings, model


def family_quality(frame: pd.DataFrame, features: list[str], overrides: dict) -> dict[str, float]:
    """bench/quality's fair test: per family, the last season's log loss of a model trained on
    the seasons before it."""
    last = frame["season"].max()
    train_end = max(frame.loc[frame["season"] < last, "game_date"])
    out = {}
    for market in sorted(frame["market"].unique()):
        rows = frame[frame["market"] == market]
        cfg = TrainConfig(
            market_family=market, feature_columns=features, train_end=train_end, **overrides
        )
        model = train_prop_model(rows[rows["season"] < last], cfg)
        out[market] = round(holdout_logloss(model, rows[rows["season"] == last]), 5)
    return out


def print_report(result: dict) -> None:
    old, new = result["old"], result["new"]
    n = result["train_rows"]
    print(f"training on {n:,} rows of {result['market']} (fastest of {result['repeats']})")
    print(f"{'':22} {'old':>10} {'new':>10} {'old/new':>8}")
    for label, key in (("seconds", "seconds"), ("rows/s", "rows_per_s")):
        print(f"{label:22} {old[key]:10,.1f} {new[key]:10,.1f} {old[key] / new[key]:8.2f}")
    for phase in TRAINING_PHASES:
        a, b = old["phases"].get(phase, 0.0), new["phases"].get(phase, 0.0)
        ratio = f"{a / b:8.2f}" if b > 0 else f"{'':8}"
        print(f"  {phase:20} {a:10.2f} {b:10.2f} {ratio}")
    print(f"{'holdout log loss':22} {old['holdout_logloss']:10.5f} {new['holdout_logloss']:10.5f}")
    print("per family (trained on the seasons before the last, scored on the last):")
    for family, delta in result["logloss_delta"].items():
        print(
            f"  {family:20} {old['family_logloss'][family]:10.5f} "
            f"{new['family_logloss'][family]:10.5f}  new-old {delta:+.5f}"
        )
    if result["target_seconds"] is None:
        target = f"target: {TARGET_SECONDS_PER_MILLION:.0f}s for 1M rows (run --train-rows 1000000)"
    else:
        verdict = "met" if result["target_met"] else "MISSED"
        target = f"target {result['target_seconds']:.0f}s {verdict} ({new['seconds']:.1f}s)"
    print(
        f"quality {'kept' if result['quality_ok'] else 'LOST'} (every family within "
        f"+{LOGLOSS_TOLERANCE} of old); {target}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=200_000, help="rows to time training on")
    parser.add_argument("--repeats", type=int, default=1, help="timed trainings per setting")
    parser.add_argument("--seasons", type=int, default=3, help="seasons of the world")
    parser.add_argument("--days-per-season", type=int, default=165, help="days per season")
    parser.add_argument("--books", type=int, default=5, help="books in the world")
    parser.add_argument("--seed", type=int, default=7, help="the world's seed")
    parser.add_argument("--first-year", type=int, default=2023, help="the first season's year")
    parser.add_argument(
        "--market-strength", default=DEFAULT_MARKET_STRENGTH, help="the world's market setting"
    )
    parser.add_argument(
        "--old", default=json.dumps(OLD_SETTINGS), help="TrainConfig fields (JSON) of 'old'"
    )
    parser.add_argument("--new", default="{}", help="TrainConfig fields (JSON) of 'new'")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("PROPCAST_BENCH_CACHE", Path.home() / ".cache/propcast/bench")),
        help="where the generated frame is cached (env PROPCAST_BENCH_CACHE)",
    )
    parser.add_argument("--refresh", action="store_true", help="regenerate the cached frame")
    parser.add_argument("--skip-quality", action="store_true", help="time only (no fair test)")
    return parser


def timed_runs(
    big: pd.DataFrame, market: str, features: list[str], settings: dict, repeats: int
) -> dict[str, list]:
    """Each setting's (seconds, phase timings, model) per repeat, alternating which goes
    first: the machine's load drifts."""
    runs: dict[str, list] = {"old": [], "new": []}
    for k in range(repeats):
        for name in ("old", "new") if k % 2 == 0 else ("new", "old"):
            seconds, timings, model = time_training(big, market, features, settings[name])
            say(f"{name} run {k + 1}: {seconds:.1f}s ({len(big) / seconds:,.0f} rows/s)")
            runs[name].append((seconds, timings, model))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.seasons < 2:
        parser.error("--seasons must be at least 2 (train on all but the last)")
    settings = {"old": json.loads(args.old), "new": json.loads(args.new)}
    features = quality.product_features()
    frame = load_frame(args, features)
    market, big = repeated_rows(frame, args.train_rows)
    last = frame["season"].max()
    holdout = frame[(frame["market"] == market) & (frame["season"] == last)]
    say(f"timing {len(big):,} rows of {market}; holdout {len(holdout):,} rows")

    runs = timed_runs(big, market, features, settings, args.repeats)
    result: dict = {
        "train_rows": len(big),
        "market": market,
        "repeats": args.repeats,
        "settings": settings,
    }
    for name, done in runs.items():
        seconds, timings, model = min(done, key=lambda run: run[0])
        result[name] = {
            "seconds": round(seconds, 2),
            "rows_per_s": round(len(big) / seconds),
            "all_seconds": [round(run[0], 2) for run in done],
            "phases": {p: round(timings.get(p, 0.0), 2) for p in TRAINING_PHASES},
            "holdout_logloss": round(holdout_logloss(model, holdout), 5),
        }
    families = {}
    if not args.skip_quality:
        for name in ("old", "new"):
            started = time.perf_counter()
            families[name] = family_quality(frame, features, settings[name])
            say(f"{name} fair test: {time.perf_counter() - started:.0f}s")
    for name in ("old", "new"):
        result[name]["family_logloss"] = families.get(name, {})
    result["speedup"] = round(result["old"]["seconds"] / result["new"]["seconds"], 2)
    result["logloss_delta"] = {
        f: round(families["new"][f] - families["old"][f], 5) for f in families.get("new", {})
    }
    result["holdout_logloss_delta"] = round(
        result["new"]["holdout_logloss"] - result["old"]["holdout_logloss"], 5
    )
    result["quality_ok"] = bool(
        result["holdout_logloss_delta"] <= LOGLOSS_TOLERANCE
        and all(d <= LOGLOSS_TOLERANCE for d in result["logloss_delta"].values())
    )
    # The target is for 1M rows; a smaller run pays fixed costs (calibration, validation)
    # over fewer rows and states no verdict.
    at_scale = len(big) >= 1_000_000
    result["target_seconds"] = TARGET_SECONDS_PER_MILLION * len(big) / 1e6 if at_scale else None
    result["target_met"] = (
        bool(result["new"]["seconds"] < result["target_seconds"]) if at_scale else None
    )
    print_report(result)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
