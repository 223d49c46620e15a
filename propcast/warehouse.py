"""Connections to the DuckDB warehouse file.

dbt-duckdb keeps its connection open in this process after an invocation, and DuckDB refuses a
second connection to the same file with a different configuration (read-only vs read-write), so
every in-process connection uses the default one.
"""

from __future__ import annotations

import duckdb

from propcast.settings import Home


def connect(home: Home) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home.warehouse))
