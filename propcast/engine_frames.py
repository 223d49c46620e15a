"""The boundary between the dbt Python models and the engine that runs them.

On DuckDB (dbt-duckdb) a Python model gets a DuckDB cursor (wrapped by dbt-duckdb) as
`session` and may return a pyarrow Table, which keeps DATE columns dates even when it has no
row (an empty pandas date column is `object`, which DuckDB types NULL). On BigQuery the model
runs on Dataproc (a SparkSession) or BigQuery DataFrames (a bigframes Session), whose
materialization takes a pandas DataFrame (or the engine's own). Reading goes through
propcast.predictions.to_pandas; these two functions are the rest of the boundary. The BigQuery
side is untested (no BigQuery here): README "Running on BigQuery".
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

#: Where a DuckDB session's class lives: DuckDB's own module, or dbt-duckdb's wrappers of its
#: connection and cursor (what a dbt Python model actually gets as `session`).
DUCKDB_SESSION_MODULES = ("duckdb", "_duckdb", "dbt.adapters.duckdb")


def is_duckdb(session: Any) -> bool:
    module = type(session).__module__
    return any(module == name or module.startswith(f"{name}.") for name in DUCKDB_SESSION_MODULES)


def query_to_pandas(session: Any, sql: str) -> pd.DataFrame:
    """Run a query on the model's engine, the result as pandas: DuckDB and Spark sessions
    have `.sql()`, a bigframes Session has `.read_gbq()`."""
    result = session.sql(sql) if hasattr(session, "sql") else session.read_gbq(sql)
    for method in ("df", "toPandas", "to_pandas"):
        if hasattr(result, method):
            return getattr(result, method)()
    raise TypeError(f"cannot read a query result of {type(result).__name__} as pandas")


def for_engine(result: pa.Table | pd.DataFrame, session: Any) -> pa.Table | pd.DataFrame:
    """What a Python model returns: the pyarrow Table as it is on DuckDB, pandas elsewhere."""
    if isinstance(result, pa.Table) and not is_duckdb(session):
        return result.to_pandas(date_as_object=True)
    return result
