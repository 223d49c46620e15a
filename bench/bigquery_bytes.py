"""Estimate the bytes a daily run would scan (and be billed) on BigQuery, from a DuckDB warehouse.

No BigQuery is reachable here, so this is arithmetic on measured sizes (README "Running on
BigQuery"). For every table of the warehouse it measures BigQuery's logical bytes per column
(INT64, FLOAT64, DATE, TIMESTAMP 8 bytes; BOOL 1; STRING 2 + its UTF-8 bytes; NULL 0) and, for
tables with game_date, the bytes of one day's partition. Then, for each node a morning run
builds (every model but the training one, and every data test), it adds what the node reads:

- a model stored in game_date slices reads 2 days (D-1, D) of each input that has game_date
  (partition pruning through in_build_slice), and all of an input without one;
- any other model reads all of each input;
- a data test reads its column (its model's whole row for a model-level test), 2 days of it
  for a sliced model (get_where_subquery), else all of it;
- a view read is the read of what the view reads (recursively);
- only the columns whose names the node's compiled SQL mentions are billed (BigQuery bills the
  columns a query needs; an input none of whose column names appear is billed whole).

Full-table reads are scaled to `--seasons` (rows grow with the history: 5 seasons of
fct_prop_odds are 4.8x one season's in README "Benchmarks"); day reads are not. Billing adds
BigQuery's on-demand minimum of 10 MB per table referenced by a query.

    python bench/bigquery_bytes.py --home PROPCAST_HOME [--seasons 5] [--warehouse-seasons 1]
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

MIN_BILLED = 10 * 1024**2  # on-demand minimum per table referenced by a query
FIXED_WIDTH = {"BOOLEAN": 1}


@dataclass
class TableSize:
    column_bytes: dict[str, float]  # logical bytes of each column, whole table
    days: int  # distinct game_dates (0: no game_date column)

    @property
    def total(self) -> float:
        return sum(self.column_bytes.values())

    def day_bytes(self, columns: list[str] | None = None) -> float:
        chosen = columns or list(self.column_bytes)
        return sum(self.column_bytes.get(c, 0.0) for c in chosen) / max(self.days, 1)


def measure(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> TableSize:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    parts = []
    for name, data_type in columns:
        quoted = f'"{name}"'
        if data_type.upper() in ("VARCHAR", "JSON") or data_type.upper().startswith("VARCHAR"):
            parts.append(f"coalesce(sum(2 + strlen({quoted}::varchar)), 0)")
        else:
            width = FIXED_WIDTH.get(data_type.upper(), 8)
            parts.append(f"{width} * count({quoted})")
    names = [c[0].lower() for c in columns]
    days = (
        f'count(distinct "{columns[names.index("game_date")][0]}")' if "game_date" in names else "0"
    )
    row = con.execute(
        f'select {", ".join(parts) or "0"}, {days} from "{schema}"."{table}"'
    ).fetchone()
    return TableSize(dict(zip(names, (float(v) for v in row[:-1]), strict=True)), int(row[-1]))


def referenced_words(node: dict) -> set[str] | None:
    """The words of a model's compiled SQL: BigQuery bills only the columns a query needs, and
    prunes the `select *` of import CTEs to the columns used later. None when not compiled."""
    sql = (node.get("compiled_code") or "").lower()
    if not sql:
        return None
    return set(re.findall(r"[a-z_][a-z0-9_]*", sql))


def relation_key(node: dict) -> tuple[str, str]:
    return (node["schema"].lower(), (node.get("alias") or node["name"]).lower())


def measure_warehouse(home: Path, nodes: dict[str, dict]) -> dict[str, TableSize]:
    """The size of every model, seed and source table the warehouse holds, by node id."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    sizes: dict[str, TableSize] = {}
    for uid, node in nodes.items():
        if node["resource_type"] in ("model", "seed", "source"):
            schema, name = relation_key(node)
            found = con.execute(
                "select count(*) from information_schema.tables where lower(table_schema) = ? "
                "and lower(table_name) = ?",
                [schema, name],
            ).fetchone()[0]
            if found:
                sizes[uid] = measure(con, schema, name)
    return sizes


def estimate(home: Path, seasons: float, warehouse_seasons: float) -> dict:
    manifest = json.loads((home / "target" / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}
    sizes = measure_warehouse(home, nodes)
    growth = seasons / warehouse_seasons

    def read(uid: str, sliced: bool, columns: list[str] | None = None, words=None) -> float:
        node = nodes[uid]
        if node.get("config", {}).get("materialized") == "view":
            view_words = referenced_words(node)
            return sum(read(dep, sliced, None, view_words) for dep in node["depends_on"]["nodes"])
        size = sizes.get(uid)
        if size is None:
            return 0.0
        if columns is None and words is not None:
            columns = [c for c in size.column_bytes if c in words] or None
        if sliced and size.days:
            return 2 * size.day_bytes(columns)
        whole = sum(size.column_bytes.get(c, 0.0) for c in columns) if columns else size.total
        return whole * (growth if size.days else 1.0)

    per_node: dict[str, tuple[float, int]] = {}
    for uid, node in manifest["nodes"].items():
        kind, config = node["resource_type"], node.get("config", {})
        if kind == "model" and "train" not in node.get("tags", []):
            if config.get("materialized") == "view":
                continue  # read by the models that select from it
            sliced = bool(config.get("meta", {}).get("sliced_by_game_date"))
            deps = node["depends_on"]["nodes"]
            words = referenced_words(node)
            per_node[uid] = (sum(read(d, sliced, None, words) for d in deps), len(deps))
        elif kind == "test" and node.get("attached_node"):
            model = manifest["nodes"].get(node["attached_node"], {})
            sliced = bool(model.get("config", {}).get("meta", {}).get("sliced_by_game_date"))
            column = node.get("column_name")
            deps = node["depends_on"]["nodes"]
            scanned = read(node["attached_node"], sliced, [column.lower()] if column else None)
            scanned += sum(read(d, False, None) for d in deps if d != node["attached_node"])
            per_node[uid] = (scanned, len(deps))
    scanned = sum(v[0] for v in per_node.values())
    billed = sum(max(v[0], MIN_BILLED * max(v[1], 1)) for v in per_node.values())
    top = sorted(per_node.items(), key=lambda kv: -kv[1][0])[:10]
    return {
        "seasons": seasons,
        "queries": len(per_node),
        "models": sum(1 for u in per_node if u.startswith("model.")),
        "tests": sum(1 for u in per_node if u.startswith("test.")),
        "table_references": sum(v[1] for v in per_node.values()),
        "scanned_bytes": scanned,
        "billed_bytes_with_10mb_minimum": billed,
        "largest": {uid.split(".")[-1][:60]: round(v[0] / 1e6, 1) for uid, v in top},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="a built PROPCAST_HOME")
    parser.add_argument("--seasons", type=float, default=5.0, help="history to estimate for")
    parser.add_argument(
        "--warehouse-seasons", type=float, default=1.0, help="history the warehouse holds"
    )
    args = parser.parse_args()
    result = estimate(args.home, args.seasons, args.warehouse_seasons)
    print(
        f"a daily run at {args.seasons:g} seasons: {result['queries']} queries "
        f"({result['models']} models, {result['tests']} data tests), "
        f"{result['table_references']} table references"
    )
    print(
        f"  scanned {result['scanned_bytes'] / 1e9:.3f} GB; billed with the 10 MB minimum per "
        f"table referenced: {result['billed_bytes_with_10mb_minimum'] / 1e9:.3f} GB"
    )
    for name, megabytes in result["largest"].items():
        print(f"  {megabytes:10.1f} MB  {name}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
