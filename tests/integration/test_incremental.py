"""Incremental game_date slices: morning runs that rebuild D-1 and D give the same SQL marts as
a full refresh, and scoring a day never retrains (training follows the configured cadence).

One 26-day world (fixed dates): history through day 21 is built in full, a model is trained
for day 22, then the morning job runs days 22-24 the way a team would, each one fetching that
day's files and rebuilding only its slices. A copy of the warehouse is then rebuilt with
--full-refresh and every table is compared with the incremental one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from propcast.daily import TRAIN_SELECTION, DayOutcome, dbt_vars, run_day
from propcast.dbt_runner import Dbt
from propcast.fetch import fetch_from_feeds
from propcast.ingest import ingest
from propcast.pipeline import build
from propcast.settings import Home
from propcast.timeutil import PRICING_CLOCK, slate_time_to_utc
from propcast.warehouse import connect, copy_warehouse
from propcast.world import generate

START = date(2025, 11, 3)
DAYS = 26
FIRST_MORNING = START + timedelta(days=21)  # day 22: the first slate run by the morning job
MORNINGS = [FIRST_MORNING + timedelta(days=i) for i in range(3)]  # days 22, 23, 24
#: A 21-day history cannot hold the default 14 validation + 14 calibration dates.
TRAIN_OVERRIDES = {"validation_days": 5, "calibration_days": 5}
#: History: neither rebuilt by a refresh (by design) nor derived from the raw layer alone.
HISTORY_TABLES = {"ml_model_registry", "fct_predictions"}
#: Refreshed with the predictors (tag refresh_with_training), not by a morning: the mornings'
#: copy is as of the last training, a full refresh re-estimates it on every settled line.
TRAINING_SNAPSHOTS = {"fct_outcome_correlations"}
#: Doubles are compared to 1e-9: a different row order may change a sum's last bits.
DECIMALS = 9


@dataclass
class MorningRuns:
    home: Home
    dbt: Dbt
    outcomes: list[DayOutcome]
    registry_sizes: list[dict[str, int]]


def registry_size(home: Home) -> dict[str, int]:
    """Registered models per family (player_prop; game_total: the world's vendors quote totals)."""
    with connect(home) as con:
        rows = con.execute(
            "select model_family, count(*) from main.ml_model_registry group by all"
        ).fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def mornings(tmp_path_factory: pytest.TempPathFactory) -> MorningRuns:
    home = Home(tmp_path_factory.mktemp("incremental") / "home").ensure()
    generate(home.world, seed=5, start=START, days=DAYS, books=6)
    dbt = Dbt(home, project_vars={"train_overrides": TRAIN_OVERRIDES})

    history_end = FIRST_MORNING - timedelta(days=1)
    fetch_from_feeds(home, home.world / "feeds", cutoff=slate_time_to_utc(FIRST_MORNING, time(0)))
    ingest(home)
    first = build(home, history_end, dbt=dbt)
    assert first.result.success, first.problems()
    trained = dbt.invoke(
        ["run", *TRAIN_SELECTION],
        run_vars=dbt_vars(FIRST_MORNING, slate_time_to_utc(FIRST_MORNING, PRICING_CLOCK)),
    )
    assert trained.success, trained.error or [n.message for n in trained.failed]

    outcomes, sizes = [], [registry_size(home)]
    for day in MORNINGS:
        # The last morning retrains: its newest model's outcomes end 2 days before its eve.
        every = 2 if day == MORNINGS[-1] else 7
        cutoff = slate_time_to_utc(day, PRICING_CLOCK)
        outcome = run_day(home, day, cutoff, dbt=dbt, say=lambda _: None, retrain_every=every)
        assert outcome.status in ("ok", "degraded"), outcome.message
        outcomes.append(outcome)
        sizes.append(registry_size(home))
    return MorningRuns(home, dbt, outcomes, sizes)


def test_scoring_a_day_never_retrains_and_retraining_follows_the_cadence(
    mornings: MorningRuns,
) -> None:
    # Days 22 and 23 score with the models trained for day 22 (within the 7-day cadence) ...
    for family in ("player_prop", "game_total"):
        assert [sizes.get(family) for sizes in mornings.registry_sizes[:3]] == [1, 1, 1], family
    assert [o.trained for o in mornings.outcomes[:2]] == [None, None]
    # ... day 24, told to retrain every 2 days, trains on outcomes through day 23 first.
    assert mornings.registry_sizes[3] == {"player_prop": 2, "game_total": 2}
    assert mornings.outcomes[2].trained == str(MORNINGS[-1] - timedelta(days=1))
    with connect(mornings.home) as con:
        versions = con.execute(
            "select game_date, any_value(train_end) from main.fct_predictions "
            "group by game_date order by game_date"
        ).fetchall()
    assert [d for d, _ in versions] == MORNINGS
    assert all(train_end < game_date for game_date, train_end in versions)


def test_morning_runs_rebuild_only_their_slices(mornings: MorningRuns) -> None:
    """The last morning's compiled SQL reads its sliced inputs from the day before it on."""
    compiled = mornings.home.dbt_target / "compiled" / "propcast" / "models"
    sql = (compiled / "intermediate" / "odds" / "int_prop_odds_unioned.sql").read_text()
    day_before = MORNINGS[-1] - timedelta(days=1)
    assert sql.count(f"game_date >= cast('{day_before}' as date)") == 3  # one per vendor


def test_full_refresh_gives_the_same_tables(mornings: MorningRuns, tmp_path: Path) -> None:
    refreshed = Home(tmp_path / "refreshed").ensure()
    copy_warehouse(mornings.home, refreshed.warehouse)
    last = mornings.outcomes[-1]
    result = mornings.dbt.with_home(refreshed).invoke(
        # `run`: the comparison is of tables; the mornings ran every data test already.
        ["run", "--exclude", "tag:train", "--full-refresh"],
        run_vars=dbt_vars(last.run_date, last.cutoff),
    )
    assert result.success, result.error or [f"{n.unique_id}: {n.message}" for n in result.failed]

    with connect(mornings.home) as con:
        tables = compared_tables(con)
        incremental = {name: checksum(con, name, columns) for name, columns in tables.items()}
    with connect(refreshed) as con:
        full = {name: checksum(con, name, columns) for name, columns in tables.items()}
    assert len(tables) >= 15, sorted(tables)
    for name in ("fct_prop_odds", "fct_prop_line_features", "int_prop_odds_best_line"):
        assert name in tables
    assert {n: (incremental[n], full[n]) for n in tables if incremental[n] != full[n]} == {}


def compared_tables(con) -> dict[str, list[str]]:
    """Every dbt table but the history ones and the training snapshots, with its columns as
    compared."""
    rows = con.execute(
        "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where c.table_schema = 'main' and t.table_type = 'BASE TABLE' "
        "order by c.table_name, c.ordinal_position"
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column, data_type in rows:
        if table in HISTORY_TABLES | TRAINING_SNAPSHOTS:
            continue
        quoted = f'"{column}"'
        if data_type in ("DOUBLE", "FLOAT"):
            quoted = f"round({quoted}, {DECIMALS})"
        tables.setdefault(table, []).append(quoted)
    return tables


def checksum(con, table: str, columns: list[str]) -> tuple[int, int]:
    """Row count and an order-independent sum of row hashes: equal for the same multiset."""
    return con.execute(
        f"select count(*), coalesce(sum(hash({', '.join(columns)})::hugeint), 0) from main.{table}"
    ).fetchone()


def test_equal_tables_are_not_an_accident_of_empty_ones(mornings: MorningRuns) -> None:
    with connect(mornings.home) as con:
        counts = dict(
            con.execute(
                "select game_date >= ?, count(*) from main.fct_prop_odds group by 1", [MORNINGS[0]]
            ).fetchall()
        )
    assert counts[True] > 1000 and counts[False] > 10 * 1000, counts


def test_bigquery_replaces_day_partitions(tmp_path: Path) -> None:
    """Parsed offline for BigQuery (no service is reachable here): the same sliced models are
    insert_overwrite incrementals partitioned by game_date; nothing else is a slice."""
    manifest = Dbt(Home(tmp_path / "bq").ensure(), target="bigquery").manifest()
    sliced = {
        node.name: node.config
        for node in manifest.nodes.values()
        if node.resource_type == "model" and node.config.meta.get("sliced_by_game_date")
    }
    incremental = {name: c for name, c in sliced.items() if c.materialized == "incremental"}
    assert {"int_prop_odds_unioned", "fct_prop_odds", "fct_prop_line_features"} <= set(incremental)
    for config in incremental.values():
        assert config.incremental_strategy == "insert_overwrite"
        assert config.get("partition_by") == {
            "field": "game_date",
            "data_type": "date",
            "granularity": "day",
        }
