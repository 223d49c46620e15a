"""The offline BigQuery rules (propcast.bigquery_sql_rules, propcast.bigquery_check): DuckDB-only
syntax and functions are refused, BigQuery SQL passes, model configs are checked."""

from __future__ import annotations

import pytest

from propcast.bigquery_check import check_manifest, config_problems
from propcast.bigquery_sql_rules import bigquery_functions, sql_problems

BIGQUERY_SQL = """
with games (game_id, game_date) as (select 'g1', date '2026-01-15')
select
    game_id,
    date_add(game_date, interval 1 day) as next_day,
    date_diff(game_date, date '2026-01-01', day) as day_number,
    safe_cast('7' as int64) as seven,
    safe.parse_date('%F', '2026-01-15') as parsed,
    farm_fingerprint(game_id) as hashed,
    regexp_replace(lower(game_id), r'\\p{M}', '') as key,
    struct(1 as a, 'x' as b) as pair,
    [1, 2, 3][offset(0)] as first_item,
    array(select x from unnest([1, 2]) as x) as items,
    countif(game_id is not null) over (partition by game_date) as n,
    mod(7, 2) as odd
from games
where game_id in (select game_id from games) and exists (select 1)
qualify row_number() over (partition by game_id order by game_date) = 1
"""


def test_bigquery_sql_passes() -> None:
    assert sql_problems(BIGQUERY_SQL) == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select x::int from t", "`::` cast"),
        ("select payload->>'name' from t", "`->>`"),
        ("select * exclude (a) from t", "`* exclude`"),
        ("select list_value(1, 2) from t", "list_value() is not a BigQuery function"),
        ("select strftime(d, '%Y') from t", "strftime() is not a BigQuery function"),
        ("select * from read_json_auto('x.json')", "read_json_auto() is not a BigQuery function"),
        ("select 7 % 2 from t", "`%` modulo"),
        ("select {'a': 1} as s from t", "struct literal"),
        ('select "player" from t', "double-quoted name"),
        ("select name ilike 'a%' from t", "ILIKE"),
        ("select count(*) filter (where x > 1) from t", "FILTER"),
        ("select items[1] from t", "array subscript"),
        ("select '\\d+' as pattern from t", "backslash"),
        ("select d + interval '1 day' from t", "interval '<n> <unit>'"),
        ("select distinct on (a) a, b from t", "DISTINCT ON"),
        ("select a from t asof join u on t.d >= u.d", "ASOF"),
        ("select 2 ^ 3 from t", "XOR"),
        ("select from where", "does not parse as BigQuery SQL"),
    ],
)
def test_duckdb_only_sql_is_refused(sql: str, expected: str) -> None:
    problems = sql_problems(sql)
    assert any(expected in problem for problem in problems), problems


def test_the_function_list_is_bigquerys() -> None:
    functions = bigquery_functions()
    assert {"date_add", "safe_cast", "farm_fingerprint", "json_value", "string_agg"} <= functions
    assert not {"list_value", "strftime", "read_json_auto", "strip_accents"} & functions


def _node(name: str, *, language: str = "sql", sql: str | None = "select 1", **config) -> dict:
    return {
        "unique_id": f"model.propcast.{name}",
        "name": name,
        "resource_type": "model",
        "package_name": "propcast",
        "language": language,
        "compiled_code": sql,
        "config": config,
        "columns": {"game_date": {}, "league": {}, "market": {}},
    }


def test_incremental_models_replace_partitions() -> None:
    partitioned = {"field": "game_date", "data_type": "date"}
    good = _node("a", materialized="incremental", incremental_strategy="insert_overwrite",
                 partition_by=partitioned, cluster_by=["league", "market"])  # fmt: skip
    merge = _node("b", materialized="incremental", incremental_strategy="merge")
    unknown_column = _node("c", materialized="table", partition_by=partitioned,
                           cluster_by=["league", "player_id"])  # fmt: skip
    assert config_problems(good) == []
    assert "insert_overwrite" in " ".join(config_problems(merge))
    assert "partitioned" in " ".join(config_problems(merge))
    assert config_problems(unknown_column) == [
        "partition/cluster column player_id is not a column of the model"
    ]


def test_every_sql_model_and_data_test_of_the_manifest_is_checked() -> None:
    manifest = {
        "nodes": {
            n["unique_id"]: n
            for n in [
                _node("good"),
                _node("bad", sql="select x::int"),
                _node("not_compiled", sql=None),
                _node("scored", language="python", sql=None),
                {**_node("not_null_x", sql="select 'De''Aaron'"), "resource_type": "test"},
            ]
        }
    }
    report = check_manifest(manifest)
    assert set(report.checked) == {"good", "bad", "not_compiled", "test not_null_x"}
    assert set(report.failed) == {"bad", "not_compiled", "test not_null_x"}
    assert report.tests == 1
    assert report.unchecked == ["scored"]
    assert not report.ok
