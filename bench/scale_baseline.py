"""bench/scale's baseline: DuckDB reading a home's inbox files with no logic, the ceiling that
ingest's rows per second is compared with."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter

# Each feed's files read by DuckDB with no logic: JSON unnested to the rows ingest loads (one per
# outcome/offer), a text field read so values are materialised; CSV read as text.
BASELINE_SQL = {
    ("oddsapi", "prop_odds"): """
        with e as (select unnest(data) as e from read_json($files)),
        b as (select unnest(e.bookmakers) as b from e),
        m as (select unnest(b.markets) as m from b)
        select count(*), max(o.description) from (select unnest(m.outcomes) as o from m)""",
    ("decimalfeed", "prop_odds"): """
        with f as (select unnest(fixtures) as f from read_json($files))
        select count(*), max(o.participant) from (select unnest(f.offers) as o from f)""",
}
CSV_SQL = """select count(*), max(columns(*)) from read_csv($files, all_varchar = true,
    strict_mode = false, null_padding = true)"""


def duckdb_baseline(home: Path, which: str = "auto") -> dict:
    """DuckDB reading the home's inbox files with no logic: rows per second (and rows, seconds).

    `package` (and `auto` when it exists): `propcast.ingest.bulk_read_baseline`, the package's
    definition of the baseline; `own` (and `auto` without it): this module's reading below.
    """
    from propcast import ingest
    from propcast.settings import Home

    files = ingest.inbox_files(Home(home))[0]
    package_baseline = getattr(ingest, "bulk_read_baseline", None)
    if which == "package" and package_baseline is None:
        raise RuntimeError("propcast.ingest.bulk_read_baseline does not exist (yet)")
    if package_baseline is not None and which != "own":
        started = perf_counter()
        rate = float(package_baseline([path for _, path in files]))
        seconds = perf_counter() - started
        return {"rows_per_s": rate, "seconds": seconds, "rows": None, "files": len(files),
                "source": "propcast.ingest.bulk_read_baseline"}  # fmt: skip
    return _own_baseline(files)


def _own_baseline(files: list) -> dict:
    import duckdb

    by_feed: dict[tuple[str, str], list[str]] = {}
    for feed, path in files:
        by_feed.setdefault((feed.vendor, feed.feed), []).append(str(path))
    con = duckdb.connect()
    rows, per_feed = 0, {}
    started = perf_counter()
    for key, paths in sorted(by_feed.items()):
        if key in BASELINE_SQL:
            sql = BASELINE_SQL[key]
        elif all(p.endswith(".csv") for p in paths):
            sql = CSV_SQL
        else:
            raise RuntimeError(f"no DuckDB baseline query for feed {key}")
        n = con.execute(sql, {"files": paths}).fetchone()[0]
        per_feed["/".join(key)] = n
        rows += n
    seconds = perf_counter() - started
    con.close()
    return {"rows_per_s": rows / max(seconds, 1e-9), "seconds": seconds, "rows": rows,
            "files": len(files), "rows_per_feed": per_feed, "source": "bench/scale.py"}  # fmt: skip
