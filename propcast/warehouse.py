"""Connections to the DuckDB warehouse file.

dbt-duckdb keeps its connection open in this process after an invocation, and DuckDB refuses a
second connection to the same file with a different configuration (read-only vs read-write), so
every in-process connection uses the default one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from propcast.settings import Home


def connect(home: Home) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home.warehouse))


def copy_warehouse(home: Home, target: Path) -> None:
    """Copy the warehouse file whole: checkpoint first, so changes still in the write-ahead log
    (dbt-duckdb keeps its connection open in-process) are in the copied file."""
    with connect(home) as con:
        con.execute("checkpoint")
    shutil.copy2(home.warehouse, target)
