"""How fast `propcast import totals|props --no-build` loads a big history file.

Generates a game totals file of N games (default 25,000: about a decade of NBA and NHL, open and
close at two books, so 4 rows per game) and a props file of M quotes (default 100,000), with a
few bad rows each, into a fresh PROPCAST_HOME, then times the real CLI (`--no-build`) on each.
Prints rows/s. Not a test: run it by hand (`.venv/bin/python bench/imports.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

EXE = Path(sys.executable).parent / "propcast"
NBA = ["GSW", "BOS", "LAL", "NYK", "MIA", "CHI", "DAL", "DEN", "PHX", "MIL"]
NHL = ["BOS", "TOR", "MTL", "NYR", "COL", "VGK", "EDM", "TBL"]
MARKETS = ["player_points", "player_rebounds", "player_assists", "player_threes"]


def totals_file(path: Path, games: int, rng: random.Random) -> int:
    lines = ["league,game_date,home_team,away_team,total_line,over_price,under_price,"
             "home_score,away_score,book,line_type"]  # fmt: skip
    start = date(2014, 10, 1)
    for game in range(games):
        league, teams, base = ("nba", NBA, 215) if game % 2 else ("nhl", NHL, 5.5)
        home, away = rng.sample(teams, 2)
        day = start + timedelta(days=game // 8)
        line = base + rng.choice([-1, -0.5, 0, 0.5, 1]) * (10 if league == "nba" else 1)
        score = (rng.randint(90, 130), rng.randint(90, 130)) if league == "nba" else (3, 2)
        for book in ("dk", "fd"):
            for kind, move in (("open", 0), ("close", 0.5)):
                lines.append(
                    f"{league},{day:%m/%d/%Y},{home},{away},{line + move},-110,-110,"
                    f"{score[0]},{score[1]},{book},{kind}"
                )
    lines[100] = lines[100].replace(",-110,", ",1.91,", 1)  # a few bad rows
    lines[200] = lines[200].replace("nba,", "mlb,", 1).replace("nhl,", "mlb,", 1)
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def props_file(path: Path, quotes: int, rng: random.Random) -> int:
    lines = ["league,game_date,player,team,opponent,market,line,book,over_price,under_price,"
             "actual_value,quoted_at"]  # fmt: skip
    start = date(2016, 10, 1)
    for quote in range(quotes):
        day = start + timedelta(days=quote // 400)
        team, opponent = rng.sample(NBA, 2)
        actual = "" if quote % 50 == 0 else str(rng.randint(0, 40))
        lines.append(
            f"nba,{day:%Y-%m-%d},Player {quote % 900} Jr.,{team},{opponent},"
            f"{MARKETS[quote % 4]},{rng.randint(1, 60) / 2},book{quote % 5},"
            f"{rng.choice(['-110', '+105', '-125'])},-110,{actual},{day}T18:00:00-05:00"
        )
    lines[300] = lines[300].replace(",-110,", ",-99,", 1)  # a bad price
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def timed_import(kind: str, path: Path, env: dict) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [str(EXE), "import", kind, str(path), "--no-build", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(f"import {kind} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    body = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "kind": kind,
        "rows_read": body["rows_read"],
        "rows_loaded": body["rows_loaded"],
        "rows_quarantined": body["rows_quarantined"],
        "seconds": round(seconds, 2),
        "rows_per_s": round(body["rows_read"] / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--games",
        type=int,
        default=25_000,
        help="games in the totals file, 4 rows each (default 25,000)",
    )
    parser.add_argument(
        "--quotes", type=int, default=100_000, help="quotes in the props file (default 100,000)"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        env = {**os.environ, "PROPCAST_HOME": str(root / "home")}
        env.setdefault("PROPCAST_NOW", "2027-01-13T10:30:00-05:00")
        totals = root / "totals.csv"
        props = root / "props.csv"
        totals_file(totals, args.games, rng)
        props_file(props, args.quotes, rng)
        results = [timed_import("totals", totals, env), timed_import("props", props, env)]
        again = timed_import("totals", totals, env)  # a re-import: nothing added
    for result in [*results, {**again, "kind": "totals (again)"}]:
        print(
            f"{result['kind']:<15} {result['rows_read']:>8,} rows read, "
            f"{result['rows_loaded']:>8,} loaded, {result['rows_quarantined']:>3} quarantined "
            f"in {result['seconds']:>6.2f}s: {result['rows_per_s']:>8,} rows/s"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
