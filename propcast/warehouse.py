"""Connections to the DuckDB warehouse file.

dbt-duckdb keeps its connection open in this process after an invocation, and DuckDB refuses a
second connection to the same file with a different configuration (read-only vs read-write), so
every in-process connection uses the default one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from propcast.settings import Home


def connect(home: Home) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home.warehouse))


@contextmanager
def read_only(
    home: Home,
    error: Callable[[str, str], Exception],
    *,
    command: str,
    first_build: str,
    needs: str,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse opened read-only for a command that only reads it (evaluate, simulate,
    bets report). The three failures a user meets are raised as `error(message, recover)`:
    no warehouse yet (recover with `first_build`), a writer holding the file (wait, then
    `command` again), a mart not built or built by an older version (`propcast build`).
    `needs` names the marts read."""
    if not home.warehouse.exists():
        raise error(f"no warehouse at {home.warehouse}: nothing has been built yet", first_build)
    try:
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            yield con
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        raise error(
            f"the warehouse cannot be opened read-only ({_first_line(exc)}); another process "
            "is writing it",
            f"propcast status  (wait for the run to finish), then {command}",
        ) from None
    except (duckdb.CatalogException, duckdb.BinderException) as exc:
        raise error(
            f"the warehouse's {needs}: missing or built by an older propcast ({_first_line(exc)})",
            f"propcast build  (builds {needs}), then {command}",
        ) from None


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def copy_warehouse(home: Home, target: Path) -> None:
    """Copy the warehouse file whole: checkpoint first, so changes still in the write-ahead log
    (dbt-duckdb keeps its connection open in-process) are in the copied file."""
    with connect(home) as con:
        con.execute("checkpoint")
    shutil.copy2(home.warehouse, target)
