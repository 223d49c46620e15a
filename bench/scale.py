"""Scale benchmark: does the morning job cost grow with the day, not with the history?

    .venv/bin/python bench/scale.py                                  # 1 and 5 seasons of 165 days
    .venv/bin/python bench/scale.py --season-days 8 --keep --work-dir /tmp/bs   # CI smoke size

For each size (default 1 and 5 "seasons" of `--season-days` days, `--books` books, seed 7; every
league of the demo world) in its own home under `--work-dir`:

1. generate the world whose last date is the slate D (default: the latest priced slate);
2. fetch what the vendors published before D's morning (00:00 US/Eastern) and ingest it, timed
   in a subprocess (`ingest_rows_per_s` = rows / the ingest's own seconds); then DuckDB reads
   the same inbox files with no logic, in this process, for `duckdb_read_json_rows_per_s`
   (`propcast.ingest.bulk_read_baseline` when it exists, else JSON flattened to the same leaf
   rows and CSV read as text here; `--duckdb-baseline` picks);
3. `propcast build --date D-1 --full-refresh` (measured);
4. train the predictor on outcomes through D-1 (`propcast.daily.train`, the function behind
   `propcast train --date D`; short worlds get smaller validation/calibration windows);
5. `propcast run-day --date D --cutoff 14:00` (measured);
6. `dbt build` with a selection that matches nothing, same project, home, target dir and vars
   as run-day's build (measured: dbt's fixed cost per invocation).

Every measured step is its own subprocess: wall seconds and peak RSS (`os.wait4`) are its own.
The last line printed is one JSON object; a table of the same figures comes before it. With
`--seasons A,B` the `_1s` figures are A's and the `_5s` figures are B's. `profile` holds where
run-day's time went at the largest size: per-invocation dbt parse and wall times (from dbt.log;
at its default info level only the last invocation's command is named, PROPCAST_DBT_LOG_LEVEL=debug
names each) and the ten slowest nodes (run_results.json). Exit 1 when a step fails (its output's
tail is printed); missed targets do not change the exit code (see `targets_met`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

from dbt_artefacts import (  # siblings: bench/ is on sys.path
    last_command,
    parse_times,
    run_results,
    top_nodes,
)
from scale_baseline import duckdb_baseline

if TYPE_CHECKING:
    from propcast.settings import Home

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SEED = 7
RUN_DAY_CLOCK = "14:00"  # US/Eastern: run-day's cutoff on the slate, as the demo prices it
NOOP_SELECTOR = "tag:bench_scale_selects_nothing"

# Issue's targets: key -> bound. `max`: the figure must not exceed it; `min`: not fall below.
TARGETS: dict[str, dict[str, float]] = {
    "run_day_5s_over_run_day_1s": {"max": 1.25},
    "run_day_5s_over_full_refresh_5s": {"max": 0.1},
    "run_day_5s_minus_noop_s": {"max": 20.0},
    "ingest_rows_per_s": {"min": 100_000.0},
    "peak_rss_full_refresh_mb": {"max": 8192.0},
}

# TrainConfig overrides for worlds too short for the default windows (14 + 14 days + 1).
SHORT_WORLD_DAYS = 45
SHORT_WORLD_TRAIN = {"validation_days": 2, "calibration_days": 2, "min_data_in_leaf": 20}


class StepFailed(RuntimeError):
    pass


@dataclass
class Measured:
    step: str
    seconds: float
    peak_rss_mb: float
    exit_code: int
    stdout: str
    launched: datetime  # local wall clock, as dbt.log stamps its lines


@dataclass
class SizeResult:
    seasons: int
    days: int
    home: Path
    slate: date
    steps: dict[str, Measured] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # unmeasured (in-process) steps
    ingest: dict = field(default_factory=dict)
    baseline: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    run_day_nodes: list[dict] = field(default_factory=list)
    run_day_dbt: list[dict] = field(default_factory=list)
    run_day_kinds: dict = field(default_factory=dict)


def say(line: str) -> None:
    print(line, flush=True)


# --- measured subprocesses -------------------------------------------------------------------


def measure(
    label: str, step: str, argv: list[str], env: dict[str, str], logs: Path, ok=(0,)
) -> Measured:
    """Run one step as a subprocess; its wall seconds and its own peak RSS."""
    say(f"[{label}] {step} ...")
    logs.mkdir(parents=True, exist_ok=True)
    out_path, err_path = logs / f"{step}.stdout", logs / f"{step}.stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        launched, started = datetime.now(), perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4: keep Popen from waiting again
    # ru_maxrss: KiB on Linux, bytes on macOS.
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    stdout = out_path.read_text(errors="replace")
    if code not in ok:
        say(f"[{label}] {step} FAILED with exit {code} after {seconds:.1f}s: {' '.join(argv)}")
        for name, path in (("stdout", out_path), ("stderr", err_path)):
            tail = path.read_text(errors="replace").splitlines()[-40:]
            say(f"--- {name} tail ({path}) ---")
            for line in tail:
                say(f"    {line}")
        raise StepFailed(f"{label} {step} exited {code}")
    say(f"[{label}] {step}: {seconds:.1f}s, peak RSS {rss_mb:,.0f} MB (exit {code})")
    return Measured(step, seconds, rss_mb, code, stdout, launched)


def last_json(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else {}


def child_env(home: Path) -> dict[str, str]:
    """The environment propcast's in-process dbt sees: home, profiles, target and log dirs."""
    from propcast.dbt_runner import dbt_environment
    from propcast.settings import Home

    with dbt_environment(Home(home)):
        env = dict(os.environ)
    env.pop("FORCE_VENDOR_FAILURE", None)  # a stray outage drill would skew the figures
    return env


def propcast_cli() -> list[str]:
    script = BIN / "propcast"
    return [str(script)] if script.exists() else [sys.executable, "-m", "propcast.cli.main"]


# --- child steps (run as `python bench/scale.py --child <step> <home> ...`) --------------------


def child_ingest(home: Path) -> None:
    from propcast.ingest import ingest
    from propcast.settings import Home

    report = ingest(Home(Path(home)))
    print(
        json.dumps(
            {
                "rows": report.total_rows,
                "seconds": report.seconds,
                "files_seen": report.files_seen,
                "payloads_loaded": report.payloads_loaded,
                "files_skipped": report.files_skipped,
                "rows_quarantined": sum(report.rows_quarantined.values()),
                "rows_per_table": dict(report.rows_loaded),
            }
        )
    )


def child_train(home: Path, train_end: str, overrides: str) -> None:
    from propcast.daily import train
    from propcast.dbt_runner import Dbt
    from propcast.settings import Home

    extra = json.loads(overrides)
    home = Path(home)
    dbt = Dbt(Home(home), project_vars={"train_overrides": extra} if extra else None)
    result = train(Home(home), date.fromisoformat(train_end), dbt=dbt)
    for node in result.failed:
        print(f"{node.unique_id}: {(node.message or '').strip()}", file=sys.stderr)
    if result.error:
        print(result.error, file=sys.stderr)
    print(json.dumps({"success": result.success, "train_end": train_end}))
    sys.exit(0 if result.success else 1)


# --- DuckDB baseline -------------------------------------------------------------------------


def warehouse_rows(home: Path) -> dict:
    import duckdb

    from propcast.ingest import FEEDS

    raw_tables = sorted({f.table for f in FEEDS.values()})
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:

        def count(relation: str) -> int | None:
            try:
                return int(con.execute(f"select count(*) from {relation}").fetchone()[0])
            except duckdb.Error:
                return None

        raw = {t: count(f"raw.{t}") for t in raw_tables}
        return {
            "raw": sum(v or 0 for v in raw.values()),
            "raw_per_table": raw,
            "fct_prop_odds": count("main.fct_prop_odds"),
            "fct_predictions": count("main.fct_predictions"),
            "games": count("main.dim_game"),
        }
    finally:
        con.close()


# --- one size --------------------------------------------------------------------------------


def _world_and_history(home: Home, label: str, books: int, result: SizeResult) -> None:
    """Generate the size's world into `home` and fetch every file published before the
    slate's morning."""
    from propcast.fetch import fetch_from_feeds
    from propcast.timeutil import slate_time_to_utc
    from propcast.world import generate

    slate, days = result.slate, result.days
    start = slate - timedelta(days=days - 1)
    say(f"[{label}] generating {days} days {start} → {slate}, {books} books, seed {SEED} ...")
    t = perf_counter()
    world = generate(home.world, seed=SEED, start=start, days=days, books=books)
    result.seconds["generate"] = perf_counter() - t
    say(f"[{label}] generate: {result.seconds['generate']:.1f}s — {world}")
    result.rows["world_games"] = world.games
    result.rows["world_quote_rows"] = world.quote_rows

    t = perf_counter()
    fetched = fetch_from_feeds(
        home, home.world / "feeds", cutoff=slate_time_to_utc(slate, datetime.min.time())
    )
    result.seconds["fetch_history"] = perf_counter() - t
    seconds = result.seconds["fetch_history"]
    say(f"[{label}] fetch history: {fetched.copied} files in {seconds:.1f}s")


def _run_day(home: Home, label: str, env: dict, logs: Path, result: SizeResult) -> None:
    """The slate's run-day, measured, and where its time went: the slowest dbt nodes and each
    dbt invocation's parse and wall seconds (the dbt.log lines it wrote)."""
    log_file = home.dbt_logs / "dbt.log"
    log_offset = log_file.stat().st_size if log_file.exists() else 0
    run_day = [*propcast_cli(), "run-day", "--date", result.slate.isoformat()]
    run_day += ["--cutoff", RUN_DAY_CLOCK, "--json"]
    result.steps["run_day"] = measure(label, "run_day", run_day, env, logs, ok=(0, 3))
    results = run_results(home.dbt_target)
    result.run_day_nodes, result.run_day_kinds = top_nodes(results, home.dbt_target)
    if log_file.exists():
        with log_file.open("rb") as fh:
            fh.seek(log_offset)
            excerpt = fh.read().decode(errors="replace")
        result.run_day_dbt = parse_times(
            excerpt, result.steps["run_day"].launched, last_command(results)
        )
    shutil.copy(home.dbt_target / "run_results.json", logs / "run_day_run_results.json")


def run_size(
    seasons: int,
    season_days: int,
    books: int,
    slate: date,
    work: Path,
    train_overrides: dict,
    baseline: str = "auto",
) -> SizeResult:
    from propcast.settings import Home

    label = f"{seasons}s"
    days = seasons * season_days
    home = Home(work / f"home_{label}")
    if home.root.exists():
        shutil.rmtree(home.root)
    home.ensure()
    logs = home.root / "bench_logs"
    result = SizeResult(seasons, days, home.root, slate)
    env = child_env(home.root)

    _world_and_history(home, label, books, result)
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    step = measure(label, "ingest", [*me, "ingest", str(home.root)], env, logs)
    result.steps["ingest"] = step
    result.ingest = last_json(step.stdout)
    rate = result.ingest["rows"] / max(result.ingest["seconds"], 1e-9)
    say(
        f"[{label}] ingest: {result.ingest['rows']:,} rows in {result.ingest['seconds']:.1f}s "
        f"= {rate:,.0f} rows/s"
    )

    result.baseline = duckdb_baseline(home.root, baseline)
    base = result.baseline
    say(
        f"[{label}] duckdb read baseline ({base['source']}): {base['files']} files in "
        f"{base['seconds']:.1f}s = {base['rows_per_s']:,.0f} rows/s"
    )

    before = slate - timedelta(days=1)
    build = [*propcast_cli(), "build", "--date", before.isoformat(), "--full-refresh", "--json"]
    result.steps["full_refresh"] = measure(label, "full_refresh", build, env, logs, ok=(0, 3))

    overrides = json.dumps(train_overrides)
    train = [*me, "train", str(home.root), before.isoformat(), overrides]
    result.steps["train"] = measure(label, "train", train, env, logs)

    _run_day(home, label, env, logs, result)
    # dbt's cheapest invocation on this project and target dir: no run vars (run-day parses
    # without them too, so the saved partial parse is valid for both), nothing selected.
    noop = [str(BIN / "dbt"), "build", "--select", NOOP_SELECTOR, "--target", "duckdb", "--quiet"]
    result.steps["dbt_noop"] = measure(label, "dbt_noop", noop, env, logs)

    result.rows.update(warehouse_rows(home.root))
    result.rows["seasons"], result.rows["days"] = seasons, days
    result.rows["duckdb_read_rows"] = result.baseline["rows"]
    result.rows["ingest_rows"] = result.ingest["rows"]
    return result


# --- figures, table, JSON --------------------------------------------------------------------


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.inf


def figures(small: SizeResult, large: SizeResult, leagues: list[str]) -> dict:
    s, lg = small.steps, large.steps
    run_day_1s, run_day_5s = s["run_day"].seconds, lg["run_day"].seconds
    noop_5s = lg["dbt_noop"].seconds
    ingest = large.ingest
    out: dict = {
        "run_day_5s_over_run_day_1s": ratio(run_day_5s, run_day_1s),
        "run_day_5s_over_full_refresh_5s": ratio(run_day_5s, lg["full_refresh"].seconds),
        "run_day_5s_minus_noop_s": run_day_5s - noop_5s,
        "ingest_rows_per_s": ratio(ingest["rows"], ingest["seconds"]),
        "duckdb_read_json_rows_per_s": large.baseline["rows_per_s"],
        "peak_rss_run_day_mb": lg["run_day"].peak_rss_mb,
        "peak_rss_full_refresh_mb": lg["full_refresh"].peak_rss_mb,
        "dbt_noop_5s": noop_5s,
        "run_day_1s_s": run_day_1s,
        "run_day_5s_s": run_day_5s,
        "full_refresh_5s_s": lg["full_refresh"].seconds,
        "full_refresh_1s_s": s["full_refresh"].seconds,
        "ingest_rows_5s": ingest["rows"],
        "ingest_s_5s": ingest["seconds"],
    }
    out = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}
    out["rows"] = {f"{r.seasons}s": r.rows for r in (small, large)}
    out["targets"] = TARGETS
    out["targets_met"] = {
        key: (out[key] <= bound["max"]) if "max" in bound else (out[key] >= bound["min"])
        for key, bound in TARGETS.items()
    }
    out["profile"] = {
        "slate": large.slate.isoformat(),
        "leagues": leagues,
        "sizes": {f"{r.seasons}s": {"seasons": r.seasons, "days": r.days} for r in (small, large)},
        "steps": {
            f"{r.seasons}s": {
                **{k: round(v, 2) for k, v in r.seconds.items()},
                **{f"{k}_s": round(m.seconds, 2) for k, m in r.steps.items()},
                **{f"{k}_peak_rss_mb": round(m.peak_rss_mb) for k, m in r.steps.items()},
                "ingest_own_s": round(r.ingest["seconds"], 2),
                "duckdb_read_s": round(r.baseline["seconds"], 2),
                "duckdb_read_source": r.baseline["source"],
            }
            for r in (small, large)
        },
        "run_day_5s_dbt_invocations": large.run_day_dbt,
        "run_day_5s_build_seconds_by_kind": large.run_day_kinds,
        "run_day_5s_top_nodes": large.run_day_nodes,
        "work_dirs": {f"{r.seasons}s": str(r.home) for r in (small, large)},
    }
    return out


def print_table(result: dict, small: SizeResult, large: SizeResult) -> None:
    a, b = f"{small.seasons}s", f"{large.seasons}s"
    ps = result["profile"]["steps"]
    say("")
    say(f"scale benchmark, slate {result['profile']['slate']} ({a} = {small.days} days, "
        f"{b} = {large.days} days)")  # fmt: skip
    say(f"{'':<34}{a:>14}{b:>14}")
    rows = [
        ("generate (s)", "generate"),
        ("ingest wall (s)", "ingest_s"),
        ("ingest own (s)", "ingest_own_s"),
        ("duckdb read, no logic (s)", "duckdb_read_s"),
        ("full refresh D-1 (s)", "full_refresh_s"),
        ("full refresh peak RSS (MB)", "full_refresh_peak_rss_mb"),
        ("train (s)", "train_s"),
        ("run-day D (s)", "run_day_s"),
        ("run-day peak RSS (MB)", "run_day_peak_rss_mb"),
        ("dbt build, empty selection (s)", "dbt_noop_s"),
    ]
    for title, key in rows:
        say(f"{title:<34}{ps[a].get(key, 0):>14,.1f}{ps[b].get(key, 0):>14,.1f}")
    for title, key in (
        ("raw rows", "raw"),
        ("fct_prop_odds rows", "fct_prop_odds"),
        ("fct_predictions rows", "fct_predictions"),
        ("games", "games"),
    ):
        va, vb = result["rows"][a].get(key), result["rows"][b].get(key)
        say(f"{title:<34}{va if va is not None else '-':>14,}{vb if vb is not None else '-':>14,}")
    say("")
    say(f"{'figure':<36}{'value':>16}  {'target':<10} met")
    for key in (
        "run_day_5s_over_run_day_1s",
        "run_day_5s_over_full_refresh_5s",
        "run_day_5s_minus_noop_s",
        "ingest_rows_per_s",
        "duckdb_read_json_rows_per_s",
        "peak_rss_run_day_mb",
        "peak_rss_full_refresh_mb",
    ):
        bound = TARGETS.get(key)
        target = (
            f"{'<=' if 'max' in bound else '>='} {next(iter(bound.values())):g}" if bound else ""
        )
        met = {True: "yes", False: "NO"}.get(result["targets_met"].get(key), "")
        say(f"{key:<36}{result[key]:>16,.3f}  {target:<10} {met}")
    profile = result["profile"]
    run_day = profile["steps"][b]["run_day_s"]
    say("")
    say(f"run-day {b} ({run_day:.1f}s): its dbt invocations, from dbt.log")
    say(f"  {'command':<9}{'starts at':>10}{'parse':>8}{'wall':>8}  partial parsing")
    if not profile["run_day_5s_dbt_invocations"]:
        say("  none in dbt.log: its level (PROPCAST_DBT_LOG_LEVEL) is above info")
    for p in profile["run_day_5s_dbt_invocations"]:
        say(
            f"  {p['command'] or '?':<9}{p['start_s']:>9.1f}s{_num(p['parse_s']):>7}s"
            f"{_num(p['wall_s']):>7}s  {p['partial_parse'] or '-'}"
        )
    by_kind = profile["run_day_5s_build_seconds_by_kind"]
    kinds = ", ".join(f"{k} {v:.1f}" for k, v in by_kind.items())
    say(f"run-day {b}: its last dbt build, execution seconds summed by kind: {kinds}")
    say(f"run-day {b}: slowest nodes of that build (execution_time)")
    for node in profile["run_day_5s_top_nodes"]:
        name = node["node"] if len(node["node"]) <= 80 else node["node"][:77] + "..."
        say(f"  {node['execution_time_s']:>7.2f}s  {name} ({node['status']})")
    say("")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seasons", default="1,5", help="two sizes in seasons (default 1,5)")
    parser.add_argument("--season-days", type=int, default=165, help="days per season")
    parser.add_argument("--books", type=int, default=6, help="sportsbooks quoting (>= 6)")
    parser.add_argument("--slate", type=date.fromisoformat, help="slate D (default: latest priced)")
    parser.add_argument("--work-dir", type=Path, help="where the homes go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the homes afterwards")
    parser.add_argument(
        "--train-overrides",
        default=None,
        help=f"TrainConfig overrides as JSON (default: {json.dumps(SHORT_WORLD_TRAIN)} for "
        f"worlds under {SHORT_WORLD_DAYS} days, else none)",
    )
    parser.add_argument(
        "--duckdb-baseline",
        choices=("auto", "package", "own"),
        default="auto",
        help="DuckDB read baseline: propcast.ingest.bulk_read_baseline (package), this "
        "script's queries (own), or the package's when it exists (auto, default)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    return parser


def _train_overrides(args: argparse.Namespace, smallest: int) -> dict:
    if args.train_overrides is not None:
        return json.loads(args.train_overrides)
    return SHORT_WORLD_TRAIN if smallest * args.season_days < SHORT_WORLD_DAYS else {}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)

    if args.child:
        step, *rest = args.child
        {"ingest": child_ingest, "train": child_train}[step](*rest)
        return 0

    sizes = sorted(int(s) for s in args.seasons.split(",") if s.strip())
    if len(sizes) != 2 or sizes[0] < 1 or sizes[0] == sizes[1]:
        parser.error("--seasons takes two different sizes, e.g. 1,5")
    if args.season_days < 3:
        parser.error("--season-days must be at least 3")

    from propcast.timeutil import latest_priced_slate
    from propcast.world import leagues

    league_specs = [v for v in vars(leagues).values() if isinstance(v, leagues.LeagueSpec)]
    if len(league_specs) != 1:  # generate() writes one league per world: extend run_size first
        parser.error(f"the demo world has {len(league_specs)} leagues; run_size handles one")
    slate = args.slate or latest_priced_slate()
    overrides = _train_overrides(args, sizes[0])

    temporary = args.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="propcast_bench_scale_")) if temporary else args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    say(
        f"bench/scale: sizes {sizes} seasons x {args.season_days} days, {args.books} books, "
        f"slate {slate}, work dir {work}"
        + (f", train overrides {json.dumps(overrides)}" if overrides else "")
    )
    try:
        results = [
            run_size(n, args.season_days, args.books, slate, work, overrides, args.duckdb_baseline)
            for n in sizes
        ]
    except StepFailed as exc:
        say(f"FAILED: {exc} (homes kept under {work})")
        return 1
    if not args.keep:
        for r in results:
            shutil.rmtree(r.home, ignore_errors=True)
        if temporary:
            shutil.rmtree(work, ignore_errors=True)
    small, large = results
    result = figures(small, large, [spec.name for spec in league_specs])
    if not args.keep:
        result["profile"]["work_dirs"] = {}
    print_table(result, small, large)
    print(json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
