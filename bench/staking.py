"""Joint Kelly against independent fractional Kelly, same caps, on a demo world's evaluation
period (issue 18, "Targets": joint >= independent on realised log growth, risk of ruin no
higher).

    .venv/bin/python bench/staking.py                        # make bench-staking: a 24-day demo
    .venv/bin/python bench/staking.py --days 60 --runs 2000  # a longer season
    .venv/bin/python bench/staking.py --home /path/to/demo/home   # a demo home already built

Without --home it runs `propcast demo` (propcast.demo.run_demo) into a temporary home with the
edge gate off (PROPCAST_EDGE_GATE=off): the bench measures staking on the pricing path's
recommendations; on a short demo season the gate (README "The edge gate") withholds every bet.
The period is every game date with recommended bets, all of them settled (a date with a
pending bet is left out). Both policies stake the same bets with the caps of dbt_project.yml
(propcast.simulate, propcast.staking): the realised log growth is log(final / start) of the
bankroll compounding each day's stakes on the real results; the risk of ruin (the bankroll
below 50 % of the start at a day's end) is simulated with the model's probabilities and with
the demo world's truth (--runs paths each). Also printed: the final bankroll's 5th percentile
and the max drawdown's 95th (the ruin line is far from these stakes: both policies can show 0).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from propcast.settings import Home
from propcast.simulate import simulate

POLICIES = ("kelly", "joint-kelly")


def say(line: str) -> None:
    print(line, flush=True)


def demo_home(work: Path, days: int, seed: int) -> Home:
    """`propcast demo` in a subprocess (its warehouse closed when it ends), edge gate off."""
    home = Home(work / "home").ensure()
    started = time.perf_counter()
    say(f"building a {days}-day demo world (seed {seed}, edge gate off) in {home.root} ...")
    env = {**os.environ, "PROPCAST_HOME": str(home.root), "PROPCAST_EDGE_GATE": "off"}
    command = [str(Path(sys.executable).parent / "propcast"), "demo", "--days", str(days),
               "--seed", str(seed)]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 3):
        sys.exit(f"propcast demo failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    say(f"  demo built in {time.perf_counter() - started:.0f} s (exit {done.returncode})")
    return home


def settled_period(home: Home) -> tuple[date, date, int, list[date]]:
    """First and last game date whose recommended bets are all settled, their bet count, and
    the dates left out (a pending bet)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "select game_date, count(*), count_if(result = 'pending') "
            "from main.fct_bet_settlements group by game_date order by game_date"
        ).fetchall()
    done = [(d, n) for d, n, pending in rows if pending == 0]
    left_out = [d for d, _, pending in rows if pending > 0]
    if not done:
        sys.exit(f"no settled recommended bet in {home.warehouse}: nothing to compare")
    return done[0][0], done[-1][0], sum(n for _, n in done), left_out


def measure(home: Home, runs: int, seed: int, bankroll: float) -> dict:
    start, end, n_bets, left_out = settled_period(home)
    pending = f" (left out, pending: {', '.join(map(str, left_out))})" if left_out else ""
    say(f"period {start} → {end}: {n_bets} settled recommended bets{pending}")
    out: dict = {"start_date": str(start), "end_date": str(end), "n_bets": n_bets, "runs": runs}
    for policy in POLICIES:
        started = time.perf_counter()
        sim = simulate(home, start, end, bankroll, policy, runs, seed)
        truth = sim.sources.get("truth") or {}
        out[policy] = {
            "realised_log_growth": round(sim.actual["log_growth"], 6),
            "realised_final_bankroll": sim.actual["final_bankroll"],
            "realised_max_drawdown": sim.actual["max_drawdown"],
            "risk_of_ruin_model": sim.sources["model"]["risk_of_ruin"],
            "risk_of_ruin_truth": truth.get("risk_of_ruin"),
            "final_bankroll_p05_truth": (truth.get("final_bankroll") or {}).get("p05"),
            "max_drawdown_p95_truth": (truth.get("max_drawdown") or {}).get("p95"),
            "expected_log_growth_truth": truth.get("log_growth_mean"),
            "seconds": round(time.perf_counter() - started, 1),
        }
        say(f"  {policy}: done in {out[policy]['seconds']} s")
    joint, kelly = out["joint-kelly"], out["kelly"]
    ruin = "risk_of_ruin_truth" if joint["risk_of_ruin_truth"] is not None else "risk_of_ruin_model"
    out["target_growth_met"] = joint["realised_log_growth"] >= kelly["realised_log_growth"]
    out["target_ruin_met"] = joint[ruin] <= kelly[ruin] and (
        joint["risk_of_ruin_model"] <= kelly["risk_of_ruin_model"]
    )
    out["target_met"] = out["target_growth_met"] and out["target_ruin_met"]
    return out


def report(result: dict) -> None:
    rows = [
        ("realised log growth", "realised_log_growth", "+.4f"),
        ("realised final bankroll", "realised_final_bankroll", ",.2f"),
        ("realised max drawdown", "realised_max_drawdown", ".2%"),
        ("risk of ruin (model)", "risk_of_ruin_model", ".2%"),
        ("risk of ruin (truth)", "risk_of_ruin_truth", ".2%"),
        ("final bankroll p05 (truth)", "final_bankroll_p05_truth", ",.2f"),
        ("max drawdown p95 (truth)", "max_drawdown_p95_truth", ".2%"),
        ("E[log growth] (truth)", "expected_log_growth_truth", "+.4f"),
    ]
    say(f"\n{'':30} {'independent kelly':>18} {'joint kelly':>14}")
    for label, key, spec in rows:
        cells = ["-" if result[p][key] is None else format(result[p][key], spec) for p in POLICIES]
        say(f"{label:30} {cells[0]:>18} {cells[1]:>14}")
    verdict = "MET" if result["target_met"] else "MISSED"
    growth = "yes" if result["target_growth_met"] else "no"
    ruin = "yes" if result["target_ruin_met"] else "no"
    say(f"\ntarget (joint >= independent on realised log growth, risk of ruin no higher): "
        f"{verdict} (growth: {growth}, ruin: {ruin})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a demo home already built (propcast demo)")
    parser.add_argument("--days", type=int, default=24, help="demo season length (no --home)")
    parser.add_argument("--seed", type=int, default=5, help="demo world seed (no --home)")
    parser.add_argument("--runs", type=int, default=1000, help="Monte Carlo runs per policy")
    parser.add_argument("--bankroll", type=float, default=1000.0, help="starting bankroll")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-staking-") as tmp:
        home = Home(args.home) if args.home else demo_home(Path(tmp), args.days, args.seed)
        result = measure(home, args.runs, 20261206, args.bankroll)
        report(result)
        print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
