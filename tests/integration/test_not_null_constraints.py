"""Declared not_null constraints hold (README "Data tests"): a contracted mart's table refuses a
null when it is written; every other model carries one `not_null_constraints` test
(macros/tests/test_not_null_constraints.sql) that fails naming each null column and its count.
"""

from __future__ import annotations

import duckdb
import pytest

from propcast.dbt_runner import Dbt
from propcast.settings import Home
from propcast.warehouse import connect

TESTED = "int_player_name_map"
SELECTION = ["test", "--select", f"{TESTED},test_name:not_null_constraints"]


def _compiled_test_sql(home: Home) -> str:
    (path,) = home.dbt_target.glob(f"compiled/**/not_null_constraints_{TESTED}*.sql")
    return path.read_text()


def test_one_scan_names_every_null_column_and_its_count(world_home: Home) -> None:
    dbt = Dbt(world_home)
    clean = dbt.invoke(SELECTION)
    assert clean.success and [n.status for n in clean.nodes] == ["pass"]
    with connect(world_home) as con:
        con.execute(
            "update main.int_player_name_map set league = null where rowid in "
            "(select rowid from main.int_player_name_map order by player_name_key limit 3)"
        )
        con.execute(
            "update main.int_player_name_map set valid_from = null where rowid in "
            "(select rowid from main.int_player_name_map order by player_name_key limit 1)"
        )
    dirty = dbt.invoke(SELECTION)
    assert not dirty.success
    assert [(n.status, n.failures) for n in dirty.nodes] == [("fail", 2)]
    with connect(world_home) as con:
        found = sorted(con.execute(_compiled_test_sql(world_home)).fetchall())
    assert found == [("league", 3), ("valid_from", 1)]


def test_a_contracted_mart_refuses_a_null_at_write_time(world_home: Home) -> None:
    with connect(world_home) as con:
        nullable = dict(
            con.execute(
                "select column_name, is_nullable from information_schema.columns "
                "where table_schema = 'main' and table_name = 'dim_team'"
            ).fetchall()
        )
        assert nullable["league"] == "NO" and nullable["team_code"] == "YES"
        with pytest.raises(duckdb.ConstraintException, match="league"):
            con.execute("insert into main.dim_team (team_id, league) values ('NBA-XXX', null)")
