"""The Python models' engine boundary (propcast.engine_frames): DuckDB keeps its pyarrow Table
(dates stay dates); any other engine's session gets pandas, with dates as dates."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow as pa

from propcast.engine_frames import for_engine, is_duckdb, query_to_pandas

TABLE = pa.table({"game_date": pa.array([dt.date(2026, 1, 15)]), "prob_over": [0.55]})


class SparkLikeSession:
    """Stands in for Dataproc's SparkSession, which cannot run here: `.sql()` returns a
    frame with `.toPandas()`."""

    class Frame:
        def __init__(self, frame: pd.DataFrame) -> None:
            self.frame = frame

        def toPandas(self) -> pd.DataFrame:
            return self.frame

    def sql(self, sql: str) -> Frame:
        return self.Frame(pd.DataFrame({"model_version": ["v1", "v2"]}))


def test_duckdb_keeps_the_arrow_table() -> None:
    con = duckdb.connect()
    assert is_duckdb(con) and is_duckdb(con.cursor())
    assert for_engine(TABLE, con) is TABLE
    con.execute("create table registry as select 'v1' as model_version")
    assert query_to_pandas(con, "select model_version from registry")["model_version"].tolist() == [
        "v1"
    ]


def test_other_engines_get_pandas_with_dates() -> None:
    session = SparkLikeSession()
    assert not is_duckdb(session)
    frame = for_engine(TABLE, session)
    assert isinstance(frame, pd.DataFrame)
    assert frame["game_date"].tolist() == [dt.date(2026, 1, 15)]
    assert query_to_pandas(session, "select 1")["model_version"].tolist() == ["v1", "v2"]


def test_dbt_duckdbs_cursor_wrapper_is_duckdb() -> None:
    """A dbt Python model on DuckDB gets dbt-duckdb's wrapper of a cursor, not DuckDB's own
    class: it must still keep the arrow table (an empty pandas date column would be typed NULL)."""
    from dbt.adapters.duckdb.environments.local import DuckDBCursorWrapper

    wrapped = DuckDBCursorWrapper(duckdb.connect().cursor())
    assert is_duckdb(wrapped)
    assert for_engine(TABLE, wrapped) is TABLE
