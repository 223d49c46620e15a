"""The imported world: generated NBA and NHL history imported once through the real CLI.

One home holds a generated NBA totals season (two books, opening lines) and an NHL totals
season (tests/support/history_files.py), an NBA props season (three books, opening quotes) and
an NHL props season (tests/support/prop_history_files.py). Four `propcast import` runs load
them; the last one builds (one dbt parse, one build of everything that reads the imports).
test_backtest_cli and test_prop_history read it (the backtest only reads the warehouse);
a test that writes works on a copy (`copy_imported_home`).

`build_imported_world` runs once per test run, not once per xdist worker (the fixture in
tests/integration/conftest.py holds a file lock); its outcome is plain data and its warehouse
is checkpointed and closed, so every worker copies the finished file.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.settings import Home
from propcast.warehouse import connect
from tests.support.history_files import write_history_files
from tests.support.prop_history_files import write_prop_files

VENDORS_DOWN = "ODDSAPI,CSVFEED,DECIMALFEED,LEAGUE"
#: Players per generated props season (each league).
PROP_PLAYERS = 30
#: The NBA totals season's first day and its number of days (the backtest's error names them).
TOTALS_DAYS = 120


@dataclass(frozen=True)
class ImportRun:
    """One `propcast import ... --json` of the world: its arguments, exit code, JSON, text."""

    args: tuple[str, ...]
    code: int
    body: dict
    out: str


@dataclass(frozen=True)
class ImportedWorld:
    root: Path  # the home the imports built (read it through a copy)
    runs: tuple[ImportRun, ...]

    def run(self, kind: str, league: str) -> ImportRun:
        """The import run of `kind` (totals/props) for `league`'s file."""
        name = f"{league.lower()}_{'totals' if kind == 'totals' else 'props'}"
        (found,) = [r for r in self.runs if r.args[1] == kind and name in Path(r.args[2]).name]
        return found


def cli(*args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(app, [*args, "--json"])
    lines = result.stdout.strip().splitlines()
    return result.exit_code, json.loads(lines[-1]), result.stdout


def write_world_files(folder: Path) -> list[tuple[str, Path]]:
    """The four history files, in import order: (kind, path)."""
    (nba,) = write_history_files(folder, "NBA", 3, days=TOTALS_DAYS, books=2, open_lines=True)
    (nhl,) = write_history_files(folder, "NHL", 3, days=TOTALS_DAYS)
    nba_props, _ = write_prop_files(
        folder, "NBA", 5, days=100, players=PROP_PLAYERS, open_quotes=True
    )
    nhl_props, _ = write_prop_files(folder, "NHL", 6, days=100, players=PROP_PLAYERS)
    return [("totals", nba), ("totals", nhl), ("props", nba_props), ("props", nhl_props)]


def release_dbt_connection() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after a build."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()
    gc.collect()


def close_for_copy(home: Home) -> None:
    """Release dbt-duckdb's connection and checkpoint the warehouse, so that another process
    can open or copy the file whole (a world built once per run, copied by every worker)."""
    release_dbt_connection()
    with connect(home) as con:
        con.execute("checkpoint")


def build_imported_world(base: Path) -> ImportedWorld:
    """Write the files under `base`, import them into `base`/home (the last import builds),
    then checkpoint and close the warehouse so that other processes can copy it whole."""
    root = base / "home"
    files = write_world_files(base / "files")
    runs = []
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PROPCAST_HOME", str(root))
        env.setenv("FORCE_VENDOR_FAILURE", VENDORS_DOWN)
        Home(root).ensure()
        for i, (kind, path) in enumerate(files):
            last = i == len(files) - 1
            args = ("import", kind, str(path), *(() if last else ("--no-build",)))
            runs.append(ImportRun(args, *cli(*args)))
    close_for_copy(Home(root))
    return ImportedWorld(root, tuple(runs))


def copy_imported_home(world: ImportedWorld, root: Path) -> Home:
    """A private copy of the world's home at `root` (its warehouse and inbox)."""
    root.mkdir(parents=True)
    shutil.copy2(Home(world.root).warehouse, root / "warehouse.duckdb")
    shutil.copytree(Home(world.root).inbox, root / "inbox")
    return Home(root).ensure()
