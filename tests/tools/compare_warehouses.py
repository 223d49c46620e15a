"""Compare every table of two warehouses by row count and an order-independent content hash.

`python -m tests.tools.compare_warehouses A.duckdb B.duckdb [--exclude TABLE ...]
[--common-columns]`: prints the tables whose content differs (doubles and decimals compared as
doubles rounded to 1e-9) and exits 1 when any does. Used to prove that a refactor of the SQL
leaves every table's content unchanged (same world, same clock; exclude raw_inbox_files, whose
file_mtime_ns differs between any two ingests of copied files). With --common-columns a table
is compared on the columns both warehouses have (a refactor that adds a column to an
intermediate model, or turns a decimal into a double, keeps the old columns' values).
"""

from __future__ import annotations

import argparse

import duckdb
import numpy as np
import pandas as pd

DECIMALS = 9


def table_columns(path: str) -> dict[str, set[str]]:
    with duckdb.connect(path, read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name, column_name from information_schema.columns"
        ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def table_checksums(
    path: str,
    exclude: set[str],
    only_columns: dict[str, set[str]] | None = None,
    where: str = "",
) -> dict[str, tuple[int, int]]:
    """Row count and content hash (doubles to 1e-9) per table, of the rows `where` keeps."""
    with duckdb.connect(path, read_only=True) as con:
        rows = con.execute(
            "select c.table_schema || '.' || c.table_name, c.column_name, c.data_type "
            "from information_schema.columns c join information_schema.tables t "
            "using (table_catalog, table_schema, table_name) "
            "where t.table_type = 'BASE TABLE' order by 1, c.ordinal_position"
        ).fetchall()
        columns: dict[str, list[str]] = {}
        for table, column, data_type in rows:
            if table.split(".")[-1] in exclude:
                continue
            if only_columns is not None and column not in only_columns.get(table, set()):
                continue
            quoted = f'"{column}"'
            if data_type in ("DOUBLE", "FLOAT") or data_type.startswith("DECIMAL"):
                quoted = f"round(cast({quoted} as double), {DECIMALS})"
            columns.setdefault(table, []).append(quoted)
        return {
            table: con.execute(
                f"select count(*), coalesce(sum(hash({', '.join(cols)})::hugeint), 0) "
                f"from {table} {where}"
            ).fetchone()
            for table, cols in columns.items()
        }


def differs_beyond_float_noise(path_a: str, path_b: str, table: str, atol: float = 1e-9) -> bool:
    """Whether `table` (`schema.name`) differs between two warehouses by more than float noise.

    The checksums above round doubles to a 1e-9 grid, and DuckDB's parallel aggregates change a
    sum's last bits with how the threads split the rows (measured: up to 7e-16 on
    fct_forecast_accuracy_daily between thread counts), so a value lying on a grid boundary
    can hash differently in two equal runs. Here the rows are matched (sorted on every column,
    doubles rounded to 6 decimals) and doubles compared within `atol`, everything else exactly."""
    frames = []
    for path in (path_a, path_b):
        with duckdb.connect(path, read_only=True) as con:
            frames.append(con.execute(f"select * from {table}").df())
    a, b = frames
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return True
    floats = [c for c in a.columns if a[c].dtype.kind == "f" or b[c].dtype.kind == "f"]
    others = [c for c in a.columns if c not in floats]

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        key = frame[others].astype(str).assign(**{c: frame[c].round(6) for c in floats})
        return frame.loc[key.sort_values(list(key.columns)).index].reset_index(drop=True)

    a, b = ordered(a), ordered(b)
    if not a[others].astype(str).equals(b[others].astype(str)):
        return True
    return not all(
        np.allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=0, atol=atol, equal_nan=True)
        for c in floats
    )


def _stable_value(column: str, data_type: str) -> str:
    """A column as the checksum hashes it: floats and decimals as whole units of 1e-9 (so
    platforms whose last bits differ agree), every other type as it is."""
    quoted = f'"{column}"'
    if data_type in ("DOUBLE", "FLOAT", "REAL") or data_type.startswith("DECIMAL"):
        return f"cast(round(cast({quoted} as double) * 1e{DECIMALS}) as hugeint)"
    return quoted


def stable_checksums(
    con: duckdb.DuckDBPyConnection, tables: list[str]
) -> dict[str, dict[str, object]]:
    """Per table (`schema.name`): its row count and an order-independent checksum of its rows
    (the sum of DuckDB's hash of each row, as a decimal string)."""
    out: dict[str, dict[str, object]] = {}
    for table in tables:
        schema, name = table.split(".")
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name],
        ).fetchall()
        values = ", ".join(_stable_value(c, t) for c, t in columns)
        rows, total = con.execute(
            f"select count(*), coalesce(sum(cast(hash({values}) as hugeint)), 0) "
            f'from "{schema}"."{name}"'
        ).fetchone()
        out[table] = {"rows": int(rows), "checksum": str(total)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--exclude", nargs="*", default=[])
    parser.add_argument("--common-columns", action="store_true")
    args = parser.parse_args()
    common = None
    if args.common_columns:
        in_a, in_b = table_columns(args.a), table_columns(args.b)
        common = {t: in_a[t] & in_b[t] for t in set(in_a) & set(in_b)}
    a = table_checksums(args.a, set(args.exclude), common)
    b = table_checksums(args.b, set(args.exclude), common)
    differ = 0
    for table in sorted(set(a) | set(b)):
        if a.get(table) != b.get(table):
            differ += 1
            print(f"DIFFERS {table}: {a.get(table)} vs {b.get(table)}")
    print(f"{len(set(a) & set(b))} tables in both, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
