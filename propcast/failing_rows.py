"""The rows a failing data test found, a few of each, so a failure says which player, game or
date it is about and not only "Got 11 results". dbt hands back each test's compiled query; it
is run again, limited, on the warehouse the build just wrote."""

from __future__ import annotations

import duckdb

from propcast.dbt_runner import DbtResult, NodeResult
from propcast.settings import Home
from propcast.warehouse import connect

#: Rows shown per failing test, and the width of one row's line.
EXAMPLES = 3
WIDTH = 160


def _line(columns: list[str], row: tuple) -> str:
    text = ", ".join(f"{column}={value}" for column, value in zip(columns, row, strict=True))
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def node_examples(con: duckdb.DuckDBPyConnection, node: NodeResult) -> list[str]:
    """Up to EXAMPLES of the rows the test returned, one line each (none when its query cannot
    run again: the failure's own message is what the user sees then)."""
    if not node.compiled_sql:
        return []
    try:
        cursor = con.execute(f"select * from ({node.compiled_sql}) as failing limit ?", [EXAMPLES])
        columns = [d[0] for d in cursor.description]
        return [_line(columns, row) for row in cursor.fetchall()]
    except duckdb.Error:
        return []


def failing_examples(home: Home, result: DbtResult) -> dict[str, list[str]]:
    """Per failed or warned data test (unique_id), the lines of its first rows."""
    tests = [n for n in result.failed + result.warned if n.compiled_sql]
    if not tests or not home.warehouse.exists():
        return {}
    with connect(home) as con:
        found = {n.unique_id: node_examples(con, n) for n in tests}
    return {key: lines for key, lines in found.items() if lines}
