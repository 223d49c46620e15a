"""The checksum test: the session's built warehouse (`built_world`, a seeded 24-day demo world)
against the golden checksums in tests/golden/warehouse_checksums.json.

Every intermediate and mart table (`int_`, `fct_`, `dim_` in schema main) has its row count and
an order-independent checksum stored (floats in whole units of 1e-9, so platforms agree;
tests/tools/compare_warehouses.py `stable_checksums`). A refactor of the SQL (folding repeated
SQL into macros, say) must leave them all unchanged; a change meant to alter the content (a
model's logic, the demo world's generator, a DuckDB upgrade) refreshes the golden with
`make golden` and commits it. It only reads the session warehouse (about a second).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from propcast.warehouse import connect
from tests.integration.conftest import WORLD_DAYS, BuiltWorld
from tests.tools.compare_warehouses import stable_checksums

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "warehouse_checksums.json"
REFRESH = "make golden"
#: Set to 1 (as `make golden` does) to write the golden instead of checking it.
UPDATE_ENV = "PROPCAST_UPDATE_GOLDEN"


def checked_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The intermediate and mart tables of the warehouse (views, seeds and raw excluded)."""
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' and table_schema = 'main' "
        "and regexp_matches(table_name, '^(int|fct|dim)_') order by 1"
    ).fetchall()
    return [table for (table,) in rows]


def world_of(built: BuiltWorld) -> dict[str, object]:
    return {
        "seed": 11,
        "days": WORLD_DAYS,
        "books": 5,
        "first_day": built.first_day.isoformat(),
        "last_day": built.last_day.isoformat(),
    }


def differences(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """One line per table whose rows or checksum differ, or that is on one side only."""
    lines = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            lines.append(f"{table}: not in the golden ({got['rows']} rows)")
        elif got is None:
            lines.append(f"{table}: in the golden ({want['rows']} rows), not in the warehouse")
        elif want != got:
            change = "same rows" if want["rows"] == got["rows"] else "rows"
            lines.append(f"{table}: {change} {want['rows']} -> {got['rows']}, checksum differs")
    return lines


def test_warehouse_matches_the_golden_checksums(built_world: BuiltWorld) -> None:
    # The session's own connection settings (dbt-duckdb keeps one open in this process).
    with connect(built_world.home) as con:
        con.execute("set enable_progress_bar = false")
        actual = stable_checksums(con, checked_tables(con))
    world = world_of(built_world)
    if os.environ.get(UPDATE_ENV) == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        body = {"refresh": REFRESH, "world": world, "tables": actual}
        GOLDEN.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
        return
    golden = json.loads(GOLDEN.read_text())
    if golden["world"] != world:
        pytest.skip(f"the session world ({world}) is not the golden's ({golden['world']})")
    assert len(actual) >= 30, sorted(actual)  # the marts and intermediates were found
    lines = differences(golden["tables"], actual)
    assert not lines, (
        f"{len(lines)} of {len(actual)} tables differ from {GOLDEN.name}:\n  "
        + "\n  ".join(lines)
        + f"\nIf the change is meant (a model's logic, the demo world, DuckDB's version), "
        f"refresh the golden with `{REFRESH}` and commit tests/golden/{GOLDEN.name}."
    )


def test_the_difference_names_each_table() -> None:
    expected = {"main.a": {"rows": 1, "checksum": "1"}, "main.b": {"rows": 2, "checksum": "2"}}
    actual = {"main.a": {"rows": 1, "checksum": "9"}, "main.c": {"rows": 3, "checksum": "3"}}
    assert differences(expected, actual) == [
        "main.a: same rows 1 -> 1, checksum differs",
        "main.b: in the golden (2 rows), not in the warehouse",
        "main.c: not in the golden (3 rows)",
    ]
