"""How sharp is the demo world's market? The de-vigged close's log loss over the truth's.

    .venv/bin/python bench/market_strength.py                  # 60 days, every setting
    .venv/bin/python bench/market_strength.py --days 30 --settings realistic
    .venv/bin/python bench/market_strength.py --league NHL          # the NHL world (nhl.py)

For each market strength (`propcast.world.market.MARKET_STRENGTHS`) it generates a world
(seed `--seed`, every book published through oddsapi) and reads it back from its own files
(`propcast.world.closing`): each book's last quote of a player's market before the game,
de-vigged, averaged over the books on the same line, against the truth's P(over) of that line
(`truth/prop_truth.csv`) and the boxscore outcome. No dbt, no model.

Per setting and market family: `ratio` = the close's log loss / the truth's over the realised
outcomes, and `expected_ratio` = the same with each outcome replaced by its truth probability
(no outcome noise). "realistic", the default, is pinned so both sit in [1.03, 1.05] in every
family (tests/unit/test_world_market.py holds the expected one). The last line is one JSON
object: {setting: {family: {market_logloss, truth_logloss, ratio, expected_ratio, n}}}.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from propcast.world import generate
from propcast.world.closing import close_over_truth, closing_lines
from propcast.world.leagues import NBA
from propcast.world.market import MARKET_STRENGTHS
from propcast.world.nhl import NHL

BAND = (1.03, 1.05)


def measure(strength: str, days: int, seed: int, work: Path, league: str = "NBA") -> dict:
    world = work / strength
    spec = {"NBA": NBA, "NHL": NHL}[league]
    generate(world, seed=seed, start=date(2026, 10, 21), days=days, market_strength=strength,
             league=spec, vendors=("oddsapi",))  # fmt: skip
    return close_over_truth(closing_lines(world))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--settings", default=",".join(MARKET_STRENGTHS))
    parser.add_argument("--league", choices=("NBA", "NHL"), default="NBA")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="propcast-market-"))
    out = {}
    try:
        for strength in args.settings.split(","):
            started = time.perf_counter()
            out[strength] = measure(strength, args.days, args.seed, work, args.league)
            print(f"market_strength={strength} ({time.perf_counter() - started:.0f}s)")
            for family, r in out[strength].items():
                inside = BAND[0] <= r["ratio"] <= BAND[1]
                print(f"  {family:18} close/truth {r['ratio']:.4f} (expected "
                      f"{r['expected_ratio']:.4f}) n={r['n']:,}"
                      + ("" if strength != "realistic" else
                         ("  in band" if inside else f"  OUTSIDE {BAND}")))  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
