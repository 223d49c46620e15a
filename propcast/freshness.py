"""Source freshness as the team reads it: per source, the latest due game_date's verdict.

The verdict comes from `dbt source freshness` (whose `loaded_at_query` judges the latest
game_date that has data due — see models/staging docs); the load facts beside it come from the
raw tables themselves so a person can see *why*.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import duckdb

from propcast.dbt_runner import Dbt
from propcast.settings import Home
from propcast.warehouse import connect

VERDICT_ORDER = {"pass": 0, "warn": 1, "error": 2, "runtime error": 3}


@dataclass
class SourceFreshness:
    source: str
    relation: str
    verdict: str
    age_hours: float | None
    latest_game_date: str | None
    latest_loaded_at: str | None
    rows: int
    message: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def check(home: Home, dbt: Dbt | None = None) -> list[SourceFreshness]:
    dbt = dbt or Dbt(home)
    result = dbt.invoke(["source", "freshness"])
    sources_json = home.dbt_target / "sources.json"
    if not sources_json.exists():
        raise RuntimeError(f"dbt source freshness produced no results: {result.error}")
    manifest = dbt.manifest()
    checks: list[SourceFreshness] = []
    con = connect(home)
    try:
        for entry in json.loads(sources_json.read_text())["results"]:
            node = manifest.sources[entry["unique_id"]]
            latest_date, latest_load, rows = _facts(con, node.relation_name)
            age = entry.get("max_loaded_at_time_ago_in_s")
            checks.append(
                SourceFreshness(
                    source=f"{node.source_name}.{node.name}",
                    relation=node.relation_name,
                    verdict=entry["status"],
                    age_hours=round(age / 3600, 2) if age is not None else None,
                    latest_game_date=latest_date,
                    latest_loaded_at=latest_load,
                    rows=rows,
                    message=entry.get("error") or entry.get("message"),
                )
            )
    finally:
        con.close()
    return sorted(checks, key=lambda c: c.source)


def _facts(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[str | None, str | None, int]:
    """The latest game_date, when its rows loaded (not the table's latest load: a backfill of
    old dates loads today without saying anything about the latest date), and the row count."""
    try:
        row = con.execute(
            f"select max(game_date), max(loaded_at) filter (where game_date = "
            f"(select max(game_date) from {relation})), count(*) from {relation}"
        ).fetchone()
    except duckdb.Error:
        return None, None, 0
    latest_date, latest_load, rows = row
    return (
        str(latest_date) if latest_date else None,
        str(latest_load) if latest_load else None,
        int(rows),
    )


def worst(checks: list[SourceFreshness]) -> str:
    if not checks:
        return "error"
    return max((c.verdict for c in checks), key=lambda v: VERDICT_ORDER.get(v, 3))
