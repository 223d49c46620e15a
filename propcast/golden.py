"""Golden-run invariants: what a healthy end-to-end run of the demo world must show.

Every mart at its declared grain (the primary-key tests in the YAML, read from dbt's manifest),
no empty core table, freshness passing, predictions that vary, at least one recommendation,
and the run's reports on disk. `propcast validate-golden` runs the demo world and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from propcast.dbt_runner import Dbt
from propcast.reports import monitoring_dir
from propcast.settings import Home
from propcast.timeutil import clock_at
from propcast.warehouse import connect

#: Tables a golden run must fill (raw layer, marts, history).
MUST_HAVE_ROWS = (
    "raw.raw_odds_payloads", "main.dim_game", "main.dim_player", "main.fct_player_game_stats",
    "main.fct_prop_odds", "main.fct_prop_line_features", "main.ml_model_registry",
    "main.fct_predictions", "main.fct_bet_recommendations",
)  # fmt: skip
MIN_PROB_STD = 0.005  # DESIGN §5: below this the predictions are a fallback


@dataclass(frozen=True)
class GoldenCheck:
    name: str
    passed: bool
    detail: str


def declared_grains(dbt: Dbt) -> dict[str, list[str]]:
    """Model name -> primary-key columns, from its unique / unique_combination_of_columns test."""
    manifest = dbt.manifest()
    grains: dict[str, list[str]] = {}
    for node in manifest.nodes.values():
        meta = getattr(node, "test_metadata", None)
        attached = getattr(node, "attached_node", None) or ""
        if meta is None or not attached.startswith("model."):
            continue
        model = manifest.nodes[attached]
        if meta.name == "unique_combination_of_columns":
            grains[model.name] = list(meta.kwargs["combination_of_columns"])
        elif meta.name == "unique" and getattr(node, "column_name", None):
            grains.setdefault(model.name, [node.column_name])
    return grains


def check_golden(
    home: Home, slate: date, cutoff: datetime, dbt: Dbt | None = None
) -> list[GoldenCheck]:
    """The invariants for the run of `slate`; freshness is judged at the run's `cutoff` (what
    the morning job saw: later the slate's own results are due and not part of the run)."""
    from propcast import freshness

    dbt = dbt or Dbt(home)
    grains = declared_grains(dbt)
    with connect(home) as con:
        checks = [_rows(con, table) for table in MUST_HAVE_ROWS]
        checks += [_grain(con, model, columns) for model, columns in sorted(grains.items())]
        checks += [_varies(con, slate), _recommends(con)]
    with clock_at(cutoff):
        sources = freshness.check(home, dbt)
    stale = [f"{s.source}: {s.verdict}" for s in sources if s.verdict != "pass"]
    checks.append(
        GoldenCheck(
            f"freshness at the run's cutoff {cutoff:%Y-%m-%d %H:%M} UTC",
            bool(sources) and not stale,
            "; ".join(stale) or f"{len(sources)} sources pass",
        )
    )
    checks.append(_reports(home, slate))
    return checks


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> GoldenCheck:
    try:
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    except duckdb.CatalogException:
        return GoldenCheck(f"rows {table}", False, "table missing")
    return GoldenCheck(f"rows {table}", rows > 0, f"{rows:,} rows")


def _grain(con: duckdb.DuckDBPyConnection, model: str, columns: list[str]) -> GoldenCheck:
    keys = ", ".join(columns)
    try:
        dupes = con.execute(
            f"select count(*) from (select {keys} from main.{model} "
            f"group by {keys} having count(*) > 1)"
        ).fetchone()[0]
    except duckdb.CatalogException:
        return GoldenCheck(f"grain {model}", True, "not built in this run (view or disabled)")
    detail = f"no duplicates on ({keys})" if not dupes else f"{dupes} duplicated ({keys}) keys"
    return GoldenCheck(f"grain {model}", dupes == 0, detail)


def _varies(con: duckdb.DuckDBPyConnection, slate: date) -> GoldenCheck:
    rows, spread = con.execute(
        "select count(*), coalesce(stddev_samp(prob_over), 0) from main.fct_predictions "
        "where game_date = ?",
        [slate],
    ).fetchone()
    ok = rows > 0 and spread >= MIN_PROB_STD
    return GoldenCheck(
        f"predictions vary on {slate}", ok, f"{rows} predictions, std(prob_over) {spread:.4f}"
    )


def _recommends(con: duckdb.DuckDBPyConnection) -> GoldenCheck:
    """At least one recommendation, or lines the edge gate withheld (README "The edge gate":
    the pricing found value on the model's probability, the evidence did not back it)."""
    bets, days, withheld = con.execute(
        "select count(*) filter (where is_recommended), "
        "count(distinct game_date) filter (where is_recommended), "
        "count(*) filter (where reason_code = 'edge_not_shown') "
        "from main.fct_bet_recommendations"
    ).fetchone()
    detail = f"{bets} bets recommended on {days} dates"
    if withheld:
        detail += f"; {withheld} lines with model value withheld by the edge gate (edge_not_shown)"
    return GoldenCheck("recommendations", bets > 0 or withheld > 0, detail)


def _reports(home: Home, slate: date) -> GoldenCheck:
    folder = monitoring_dir(home)
    wanted = [f"daily_run_{slate}.md", f"daily_report_{slate}.md"]
    missing = [name for name in wanted if not (folder / name).is_file()]
    return GoldenCheck(
        "reports", not missing, f"missing: {', '.join(missing)}" if missing else "present"
    )
