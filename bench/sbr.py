"""How fast `propcast import totals --format sbr` loads SBR season workbooks (issue 16).

Writes ten season workbooks of ~1,300 games each with openpyxl (NBA and NHL alternating, the
NHL ones in the 14-, 15- and 16-column layouts, seasons 2007-08 to 2016-17, a few bad games
each), then times the real CLI in a fresh PROPCAST_HOME: one workbook, then the ten in one
command (a folder), `--no-build` unless --build. Prints games/s and sheet rows/s. Targets: one
workbook under 10 s, ten under a minute. Not a test: `.venv/bin/python bench/sbr.py`.
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
from pathlib import Path

import openpyxl

EXE = Path(sys.executable).parent / "propcast"
NBA = ["Atlanta", "Boston", "Brooklyn", "Charlotte", "Chicago", "Cleveland", "Dallas", "Denver",
       "Detroit", "GoldenState", "Houston", "Indiana", "LAClippers", "LALakers", "Memphis",
       "Miami", "Milwaukee", "Minnesota", "NewOrleans", "NewYork", "OklahomaCity", "Orlando",
       "Philadelphia", "Phoenix", "Portland", "Sacramento", "SanAntonio", "Toronto", "Utah",
       "Washington"]  # fmt: skip
NHL = ["Anaheim", "Arizona", "Boston", "Buffalo", "Calgary", "Carolina", "Chicago", "Colorado",
       "Columbus", "Dallas", "Detroit", "Edmonton", "Florida", "LosAngeles", "Minnesota",
       "Montreal", "NYIslanders", "NYRangers", "Nashville", "NewJersey", "Ottawa", "Philadelphia",
       "Pittsburgh", "SanJose", "St.Louis", "TampaBay", "Toronto", "Vancouver", "Washington",
       "Winnipeg"]  # fmt: skip
NBA_HEADER = ["Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "4th", "Final", "Open", "Close",
              "ML", "2H"]  # fmt: skip
NHL_HEADERS = {
    14: ["Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "Final", "Open", "Close", "Open OU",
         None, "Close OU", None],
    15: ["Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "Final", "Open", "Close", "PL",
         "OpenOU", None, "CloseOU", None],
    16: ["Date", "Rot", "VH", "Team", "1st", "2nd", "3rd", "Final", "Open", "Close", "Puck Line",
         None, "Open OU", None, "Close OU", None],
}  # fmt: skip
MONTHS = [(10, 31), (11, 30), (12, 31), (1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 15)]


def _days(games: int) -> list[int]:
    """MMDD per game, in order, from late October to mid-June."""
    days = [m * 100 + d for m, last in MONTHS for d in range(1, last + 1)][24:]
    return [days[i * len(days) // games] for i in range(games)]


def _nba_rows(mmdd: int, rot: int, teams: list[str], rng: random.Random) -> list[list]:
    quarters = [[rng.randint(18, 35) for _ in range(4)] for _ in teams]
    if sum(quarters[0]) == sum(quarters[1]):
        quarters[1][3] += 1
    total, spread = rng.randint(190, 235) + 0.5, rng.choice([1, 2.5, 4, 6.5, 9, "pk"])
    cells = [(total, total), (spread, spread)]
    return [[mmdd, rot + i, "VH"[i], teams[i], *quarters[i], sum(quarters[i]), *cells[i],
             -150 if i else 130, None] for i in range(2)]  # fmt: skip


def _nhl_rows(mmdd: int, rot: int, teams: list[str], rng: random.Random, width: int) -> list:
    periods = [[rng.randint(0, 2) for _ in range(3)] for _ in teams]
    finals = [sum(p) for p in periods]
    if finals[0] == finals[1]:
        finals[rng.randint(0, 1)] += 1  # the overtime or shootout goal, as books settle
    total = rng.choice([5, 5.5, 6])
    prices = [rng.choice([-120, -110, 100, 105]), rng.choice([-115, -105, -125])]
    puck = {14: [[], []], 15: [["+1.5(-250)"], ["-1.5(+210)"]], 16: [[1.5, -250], [-1.5, 210]]}
    return [[mmdd, rot + i, "VH"[i], teams[i], *periods[i], finals[i], 120 - 260 * i,
             125 - 270 * i, *puck[width][i], total, prices[i], total, prices[i]]
            for i in range(2)]  # fmt: skip


def write_season(folder: Path, league: str, start: int, games: int, width: int, seed: int) -> Path:
    rng = random.Random(seed)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(NBA_HEADER if league == "nba" else NHL_HEADERS[width])
    teams = NBA if league == "nba" else NHL
    for game, mmdd in enumerate(_days(games)):
        pair = rng.sample(teams, 2)
        rows = (_nba_rows(mmdd, 501 + 2 * game, pair, rng) if league == "nba"
                else _nhl_rows(mmdd, 1 + 2 * game, pair, rng, width))  # fmt: skip
        if game % 400 == 7:
            rows[0][-2 if league == "nhl" else 9] = -110  # a price pasted into a line column
        for row in rows:
            sheet.append(row)
    path = folder / f"{league} odds {start}-{(start + 1) % 100:02d}.xlsx"
    book.save(path)
    return path


def _import(home: Path, targets: list[Path], build: bool) -> tuple[float, dict]:
    env = {**os.environ, "PROPCAST_HOME": str(home)}
    command = [str(EXE), "import", "totals", "--format", "sbr", *map(str, targets), "--json"]
    command += [] if build else ["--no-build"]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(
            f"import failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=1300, help="games per workbook")
    parser.add_argument("--build", action="store_true", help="also run the dbt build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "books"
        folder.mkdir()
        paths = [
            write_season(folder, "nba" if i % 2 else "nhl", 2007 + i, args.games,
                         (14, 15, 16)[i % 3], seed=i)
            for i in range(10)
        ]  # fmt: skip
        for label, home, targets in (
            ("one workbook", Path(scratch) / "home1", paths[:1]),
            ("ten workbooks", Path(scratch) / "home10", [folder]),
        ):
            seconds, out = _import(home, targets, args.build)
            games, rows = out["games_read"], 2 * out["games_read"]
            print(
                f"{label}: {games:,} games ({rows:,} sheet rows) read, {out['games_loaded']:,} "
                f"loaded, {out['games_quarantined']:,} quarantined in {seconds:.1f}s: "
                f"{games / seconds:,.0f} games/s, {rows / seconds:,.0f} rows/s"
                + ("" if args.build else " (--no-build)")
            )


if __name__ == "__main__":
    main()
