"""Fixtures of the fault-injection suite: the integration worlds, and a crash lab that runs the
real CLI in a subprocess (so it can be SIGKILLed) on a copy of the demo home.

The lab keeps one stage folder per module and resets it from a pristine copy before each run:
dbt's partial-parse cache (target/) is only valid for the path it was parsed at (the profile
holds the warehouse path), so reusing one path saves every CLI call but the first a full parse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from propcast.faults import KILL_ENV, TRACE_ENV
from propcast.settings import Home
from propcast.warehouse import copy_warehouse
from tests.integration.conftest import built_world, demo_home, demo_world, world_home  # noqa: F401
from tests.tools.compare_warehouses import table_checksums, table_columns

PROPCAST = Path(sys.executable).with_name("propcast")
#: Kept across resets: dbt's artefacts (target/ holds the partial-parse cache for this path).
KEPT = ("target", "logs")
#: Compared schemas: the raw layer (Python ingest) and every dbt table.
SCHEMAS = ("raw", "main")
#: Raw tables that carry each payload's rows (the others: registry, quarantine, signatures).
NOT_PAYLOAD_ROWS = {"raw_odds_payloads", "raw_quarantine", "raw_inbox_files", "raw_run_registry"}


@dataclass(frozen=True)
class CliRun:
    args: tuple[str, ...]
    returncode: int
    output: str
    trace: list[str]

    @property
    def killed_at(self) -> str | None:
        """`name#N` of the kill point the process SIGKILLed itself at (from its trace)."""
        kills = [line[5:] for line in self.trace if line.startswith("KILL ")]
        return kills[-1] if kills else None


class CrashLab:
    """A pristine copy of a home and one stage path where each scenario runs."""

    def __init__(self, source: Home, base: Path) -> None:
        self.pristine = base / "pristine"
        self.stage = Home(base / "stage" / "home")
        self.traces = base / "traces"
        self.traces.mkdir(parents=True, exist_ok=True)
        self.pristine.mkdir(parents=True)
        copy_warehouse(source, self.pristine / "warehouse.duckdb")
        for entry in source.root.iterdir():
            if entry.is_dir() and entry.name not in KEPT:
                shutil.copytree(entry, self.pristine / entry.name)
            elif entry.is_file() and entry.suffix == ".json":
                shutil.copy2(entry, self.pristine / entry.name)
        self._runs = 0

    def reset(self) -> Home:
        """The stage as the pristine copy (dbt's target/ and logs/ kept)."""
        root = self.stage.root
        if root.exists():
            for entry in root.iterdir():
                if entry.name in KEPT:
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        root.mkdir(parents=True, exist_ok=True)
        for entry in self.pristine.iterdir():
            copy = shutil.copytree if entry.is_dir() else shutil.copy2
            copy(entry, root / entry.name)
        return self.stage

    def run(self, args: Sequence[str], kill_at: str | None = None, timeout: int = 900) -> CliRun:
        """`propcast <args>` on the stage, traced; killed at `kill_at` when given."""
        self._runs += 1
        trace = self.traces / f"run-{self._runs}.trace"
        env = {k: v for k, v in os.environ.items() if k not in (KILL_ENV, TRACE_ENV)}
        env.update(
            PROPCAST_HOME=str(self.stage.root),
            PROPCAST_RETRAIN_EVERY_DAYS="0",
            COLUMNS="200",
            **{TRACE_ENV: str(trace)},
            **({KILL_ENV: kill_at} if kill_at else {}),
        )
        done = subprocess.run(
            [str(PROPCAST), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        lines = trace.read_text().splitlines() if trace.exists() else []
        return CliRun(tuple(args), done.returncode, done.stdout + done.stderr, lines)


def checksums(
    home: Home, exclude_tables: set[str], exclude_columns: dict[str, set[str]]
) -> dict[str, tuple[int, int]]:
    """Row count and content hash of every raw and dbt table (`schema.table`), without the
    named tables and columns (doubles rounded to 1e-9, as tests/tools/compare_warehouses)."""
    path = str(home.warehouse)
    columns = {
        table: names - exclude_columns.get(table, set())
        for table, names in table_columns(path).items()
        if table.split(".")[0] in SCHEMAS
    }
    return table_checksums(path, exclude_tables, columns)


def payload_violations(home: Home) -> list[str]:
    """What a partially visible payload would leave: registry and raw rows that disagree.

    Every registered payload's rows_loaded equals the raw rows carrying its hash and its
    rows_quarantined the quarantined rows of it; no raw or quarantined row without its payload
    row; no inbox file signature without its payload (the file would be skipped unread
    forever); no payload registered twice."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        tables = [
            t
            for (t,) in con.execute(
                "select distinct table_name from information_schema.columns "
                "where table_schema = 'raw' and column_name = 'payload_sha256'"
            ).fetchall()
            if t not in NOT_PAYLOAD_ROWS
        ]
        rows = " union all ".join(
            f"select payload_sha256, '{t}' as source from raw.{t}" for t in tables
        )
        checks = {
            "rows_loaded differs from the raw rows of the payload": f"""
                with r as (select payload_sha256, count(*) as n from ({rows}) group by all)
                select p.source_file || ': ' || p.rows_loaded || ' vs ' || coalesce(r.n, 0)
                from raw.raw_odds_payloads p left join r using (payload_sha256)
                where p.rows_loaded <> coalesce(r.n, 0)""",
            "rows_quarantined differs from its quarantined rows": """
                with q as (select payload_sha256, count(*) as n from raw.raw_quarantine
                           where row_number is not null group by all)
                select p.source_file || ': ' || p.rows_quarantined || ' vs ' || coalesce(q.n, 0)
                from raw.raw_odds_payloads p left join q using (payload_sha256)
                where p.rows_quarantined <> coalesce(q.n, 0)""",
            "raw rows without their payload row": f"""
                select distinct source || ' ' || payload_sha256 from ({rows})
                where payload_sha256 not in (select payload_sha256 from raw.raw_odds_payloads)""",
            "quarantined rows without their payload row": """
                select distinct source_file from raw.raw_quarantine
                where payload_sha256 not in (select payload_sha256 from raw.raw_odds_payloads)""",
            "inbox signatures without their payload": """
                select source_file from raw.raw_inbox_files
                where payload_sha256 not in (select payload_sha256 from raw.raw_odds_payloads)""",
            "payload registered twice": """
                select payload_sha256 from raw.raw_odds_payloads group by all
                having count(*) > 1""",
        }
        found = []
        for what, sql in checks.items():
            found += [f"{what}: {row[0]}" for row in con.execute(sql).fetchall()[:5]]
    return found


def unreadable_run_states(home: Home) -> list[str]:
    """Run state files that are not whole JSON objects (a half-written state)."""
    bad = []
    for path in sorted(home.runs.glob("*.json")):
        try:
            if not isinstance(json.loads(path.read_text()), dict):
                bad.append(path.name)
        except ValueError:
            bad.append(path.name)
    return bad
