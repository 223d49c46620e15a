"""The twelve incidents of DESIGN §7, one test each: reproduce it on a copy of the demo home,
prove the one command that shows it and the one that recovers it (docs/runbooks/<nn>-*.md).

`incident_home` restores the demo world's home (trained, walk-forward scored, the morning
run-day of slate 2027-01-12 done) before each test, always at the same path of this worker:
dbt's target/ stays there between tests, so the CLI's dbt parse is a partial one (about 1 s)
instead of the full parse a new path costs (about 6 s: the profile names the warehouse path).
Before the files are replaced, dbt-duckdb's in-process connection is released, or the next
command would read the replaced file through the DuckDB instance it keeps open.

Incidents that need the same expensive runs share one scenario, run once per worker, whose
commands' outcomes each test checks: `bad_morning` (3, 6, 8, 9: a replayed morning with a
vendor down, no odds yet, doubled rows, then the priced rerun) and `bad_deploy` (4, 7: a
constant model deployed, the refused rerun, rollback and recover). Every command runs through
the real CLI, in process (`cli`), with `--json`.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest
from filelock import FileLock
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.raw_schema import TABLES as RAW_TABLES
from propcast.settings import Home
from propcast.warehouse import connect, copy_warehouse
from tests.integration.conftest import DemoWorld, demo_world  # noqa: F401
from tests.tools.compare_warehouses import table_checksums, table_columns

#: The demo's slate: the suite clock's yesterday, priced by the demo's morning run-day.
SLATE = date(2027, 1, 12)
#: What a test that needs its own settings must not inherit from the shell.
SETTINGS = ("FORCE_VENDOR_FAILURE", "PROPCAST_ALERT_CMD", "PROPCAST_MAX_QUARANTINE_SHARE")

runner = CliRunner()
T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    """One CLI command: exit code, output (whitespace collapsed, so rich's wrapping does not
    split what is asserted) and the final JSON object."""

    code: int
    out: str
    body: dict

    def __str__(self) -> str:
        return f"exit {self.code}: {self.out[-3000:]}"


def cli(*args: str, **env: str) -> Result:
    """`propcast <args> --json` in process; `env` overrides settings for this command."""
    result = runner.invoke(app, [*args, "--json"], env=env or None)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    lines = result.output.strip().splitlines()
    body = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return Result(result.exit_code, " ".join(result.output.split()), body)


def rows(home: Home, sql: str, *params: object) -> list[tuple]:
    with connect(home) as con:
        return con.execute(sql, list(params)).fetchall()


def scalar(home: Home, sql: str, *params: object):
    return rows(home, sql, *params)[0][0]


def release_dbt_connection() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after an invocation
    (it would keep serving a warehouse file that has since been replaced)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()
    gc.collect()


class Bench:
    """One fixed home path per worker, restored from a snapshot before each use."""

    def __init__(self, snapshot: Path, work: Path) -> None:
        self.snapshot, self.work = snapshot, work

    def restore(self) -> Home:
        release_dbt_connection()
        self.work.mkdir(parents=True, exist_ok=True)
        for entry in self.work.iterdir():
            if entry.name not in ("target", "logs"):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        copy_entries(self.snapshot, self.work)
        return Home(self.work).ensure()


def copy_entries(source: Path, target: Path, skip: tuple[str, ...] = ()) -> None:
    for entry in source.iterdir():
        if entry.name in skip:
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)


#: The demo bench of this process (tests/reliability uses it too: one dbt parse cache).
_DEMO_BENCH: list[Bench] = []


def demo_bench(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Bench:  # noqa: F811
    """A snapshot of the demo home (no dbt artefacts) and this process's work path, made once
    per process whichever folder's fixture asks first."""
    if not _DEMO_BENCH:
        snapshot = tmp_path_factory.mktemp("demo_snapshot") / "home"
        snapshot.mkdir()
        copy_warehouse(demo_world.home, snapshot / "warehouse.duckdb")
        skip = ("target", "logs", "warehouse.duckdb", "warehouse.duckdb.wal")
        copy_entries(demo_world.home.root, snapshot, skip)
        _DEMO_BENCH.append(Bench(snapshot, tmp_path_factory.mktemp("demo_work") / "home"))
    return _DEMO_BENCH[0]


@pytest.fixture(scope="session")
def bench(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Bench:  # noqa: F811
    return demo_bench(demo_world, tmp_path_factory)


def settings_for(home: Home) -> dict[str, str]:
    """The environment every incident command runs in: the home, no retraining (the demo's
    model serves every slate), and none of the shell's fault switches."""
    return {"PROPCAST_HOME": str(home.root), "PROPCAST_RETRAIN_EVERY_DAYS": "0"}


@pytest.fixture
def incident_home(bench: Bench) -> Iterator[Home]:
    """The demo home, fresh for this test, at this worker's fixed path."""
    with staged(bench) as home:
        yield home


def demo_version(home: Home) -> str:
    """The demo's one registered props model (it scored every walk-forward slate; the game
    totals have their own family, game_total_nba)."""
    return scalar(
        home, "select model_version from main.ml_model_registry where model_family = 'player_prop'"
    )


def deploy_constant_model(home: Home) -> str:
    """Register, as a newer deploy of the demo's model, one whose stacker is a constant
    (expit(0.4) = 0.599 for every line), fingerprinted like any trained model. Returns its
    version."""
    import pandas as pd

    from propcast.models.calibration import Stacker
    from propcast.models.trained import canonical_json, make_model_version, model_content_hash

    with connect(home) as con:
        row = (
            con.execute("select * from main.ml_model_registry where model_family = 'player_prop'")
            .df()
            .iloc[0]
            .to_dict()
        )
    stacker = json.loads(row["calibrator"])
    row["calibrator"] = Stacker(
        dispersion=stacker["dispersion"], inputs=(), coef=(), intercept=0.4,
        no_market_inputs=(), no_market_coef=(), no_market_intercept=0.4,
    ).to_json()  # fmt: skip
    content = model_content_hash(
        canonical_json(json.loads(row["params"])),
        row["booster_over"],
        row["booster_mean"],
        row["calibrator"],
    )
    train_end = pd.Timestamp(row["train_end"]).date()
    row["model_version"] = make_model_version(row["market_family"], train_end, content)
    row["registered_at"] = pd.Timestamp(row["registered_at"]) + pd.Timedelta(hours=1)
    with connect(home) as con:
        con.register("_deploy", pd.DataFrame([row]))
        con.execute("insert into main.ml_model_registry by name select * from _deploy")
        con.unregister("_deploy")
    return str(row["model_version"])


#: Raw tables whose rows belong to a payload (by payload_sha256).
#: Every raw table that keys its rows by the payload they came from.
PAYLOAD_TABLES = tuple(t for t, columns in RAW_TABLES.items() if "payload_sha256" in columns)


def unload(home: Home, vendor: str, day: date) -> int:
    """Take a vendor's files for `day` out of the home as if never delivered: the inbox files,
    their payloads' rows in every raw table, their inbox signatures. Returns the files gone."""
    files = [p for p in (home.inbox / vendor).rglob(f"{day}__*") if p.is_file()]
    assert files, f"no {vendor} files for {day} in {home.inbox}"
    names = {p.name for p in files}
    with connect(home) as con:
        hashes = [
            h
            for h, source in con.execute(
                "select payload_sha256, source_file from raw.raw_odds_payloads where vendor = ?",
                [vendor],
            ).fetchall()
            if Path(source).name in names
        ]
        assert len(hashes) == len(files), (hashes, names)
        for table in PAYLOAD_TABLES:
            con.execute(
                f"delete from raw.{table} where payload_sha256 in (select unnest(?::varchar[]))",
                [hashes],
            )
    for path in files:
        path.unlink()
    return len(files)


def table_sums(
    warehouse: Path,
    skip_tables: set[str],
    skip_columns: dict[str, set[str]],
    schemas: tuple[str, ...] = ("raw", "main"),
) -> dict[str, tuple[int, int]]:
    """Row count and content hash (doubles to 1e-9) of every raw and dbt table (of `schemas`)
    by `schema.table`, without the named tables and columns (under "*": in every table). Opens the file read-only: release
    dbt's connection to it first."""
    path = str(warehouse)
    everywhere = skip_columns.get("*", set())
    columns = {
        table: names - skip_columns.get(table, set()) - everywhere
        for table, names in table_columns(path).items()
        if table.split(".")[0] in schemas and table not in skip_tables
    }
    return table_checksums(path, set(), columns)


def differing(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]]) -> dict[str, tuple]:
    return {t: (a.get(t), b.get(t)) for t in sorted(set(a) | set(b)) if a.get(t) != b.get(t)}


#: The demo's morning replayed: 09:00 US/Eastern is before the slate's first snapshot (10:00),
#: 14:00 is the pricing clock (the cutoff of the demo's own run-day for the slate).
EARLY = {"PROPCAST_NOW": "2027-01-12T09:00:00-05:00"}
PRICED = {"PROPCAST_NOW": "2027-01-12T14:00:00-05:00"}
#: What differs from the demo after the morning, by design. The run registry grows one row
#: per run (counted, not compared). Columns from the clock: when rows were loaded (carried from
#: the raw layer to the marts), files examined, rows quarantined, lines scored, the run's now
#: (the morning runs at 09:00 and 14:00 on 2027-01-12; the demo ran at the suite's now,
#: 2027-01-13 10:30). From the runs: the run a phase was recorded by. fct_ingest_daily counts
#: payloads per load date, so the morning's loads are on another date than the demo's.
RUN_TABLES = {"raw.raw_run_registry", "main.fct_run_registry", "main.fct_ingest_daily"}
CLOCK_COLUMNS = {
    "*": {"loaded_at"},
    "raw.raw_quarantine": {"quarantined_at"},
    "raw.raw_inbox_files": {"examined_at", "file_mtime_ns"},
    "main.int_run_parameters": {"now_utc"},
    "main.dim_game": {"status_loaded_at"},
    "main.fct_predictions": {"scored_at"},
    "main.fct_phase_status_daily": {"latest_run_id", "recorded_outcome", "is_complete"},
}
ODDS_VENDORS = ("oddsapi", "csvfeed", "decimalfeed")


@dataclass(frozen=True)
class BadMorning:
    """Incidents 3, 6, 8 and 9 on one replayed morning of the demo's slate, once per worker.

    The home is put back to the morning of 2027-01-12, before the demo's run-day: the slate's
    odds and last night's results not delivered yet, no run and no prediction for the slate.
    At 09:00 the scheduled `run-day` (no --date) runs with csvfeed down (FORCE_VENDOR_FAILURE):
    no vendor has published the slate's odds yet, only yesterday's are loaded. A legacy loader
    then doubles some of yesterday's odds rows. At 14:00 the vendor is back and the same
    command runs again. Each command's outcome is kept; after the 14:00 run the warehouse is
    compared with the demo's, whose run-day for the slate had the same cutoff."""

    early: Result
    early_status: Result
    early_report: str
    early_run_report: str
    control: Result
    doubled: int
    doubled_golden: Result
    priced: Result
    priced_status: Result
    priced_report: str
    golden: Result
    csvfeed_files: tuple[int, int, int]  # the slate's csvfeed payloads: demo, 09:00, 14:00
    run_rows: tuple[int, int]  # run registry rows: the demo's, after the morning
    differs: dict[str, tuple]  # tables whose content differs from the demo's (should be none)


def _report(home: Home, kind: str = "report") -> str:
    return (home.outputs / "monitoring" / f"daily_{kind}_{SLATE}.md").read_text()


def _csvfeed_files(home: Home) -> int:
    return scalar(
        home,
        "select count(*) from raw.raw_odds_payloads where vendor = 'csvfeed' "
        "and source_file like ?",
        f"%{SLATE}__%",
    )


def before_the_morning(home: Home) -> None:
    """The home as it was on the slate's morning, before the demo's run-day: its odds and the
    night's results undelivered, no run recorded, nothing scored for it."""
    for vendor in ODDS_VENDORS:
        unload(home, vendor, SLATE)
    unload(home, "league", date(2027, 1, 11))  # published at 03:00 on the slate's day
    for path in home.runs.glob("*.json"):
        path.unlink()
    # Nothing of the slate derived yet: its rows go from every table, as before the demo's
    # run-day (a rerun would replace them too, but then this would not be the morning).
    with connect(home) as con:
        tables = con.execute(
            "select table_name from information_schema.columns join information_schema.tables "
            "using (table_catalog, table_schema, table_name) where table_schema = 'main' "
            "and column_name = 'game_date' and table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f'delete from main."{table}" where game_date = ?', [SLATE])


def double_rows(home: Home, day: date, limit: int = 25) -> int:
    """A legacy loader's rerun: some of `day`'s odds rows appended again."""
    with connect(home) as con:
        con.execute(
            "insert into main.fct_prop_odds select * from main.fct_prop_odds "
            f"where game_date = ? limit {limit}",
            [day],
        )
    return limit


def run_bad_morning(bench: Bench) -> BadMorning:
    with staged(bench) as home:
        demo_files = _csvfeed_files(home)
        before_the_morning(home)
        early = cli("run-day", **EARLY, FORCE_VENDOR_FAILURE="CSVFEED")
        early_status = cli("status", **EARLY)
        early_report, early_run_report = _report(home), _report(home, "run")
        early_files = _csvfeed_files(home)
        control = cli("positive-control", "--date", "2027-01-11", **EARLY)
        doubled = double_rows(home, date(2027, 1, 11))
        doubled_golden = cli("validate-golden", "--existing", **EARLY)
        priced = cli("run-day", **PRICED)
        priced_status = cli("status", **PRICED)
        priced_report = _report(home)
        golden = cli("validate-golden", "--existing", **PRICED)
        priced_files = _csvfeed_files(home)
        release_dbt_connection()
        demo = bench.snapshot / "warehouse.duckdb"
        runs = (
            table_sums(demo, set(), {})["raw.raw_run_registry"][0],
            table_sums(home.warehouse, set(), {})["raw.raw_run_registry"][0],
        )
        differs = differing(
            table_sums(demo, RUN_TABLES, CLOCK_COLUMNS),
            table_sums(home.warehouse, RUN_TABLES, CLOCK_COLUMNS),
        )
        return BadMorning(
            early, early_status, early_report, early_run_report, control, doubled, doubled_golden, priced,
            priced_status, priced_report, golden, (demo_files, early_files, priced_files),
            runs, differs,
        )  # fmt: skip


@dataclass(frozen=True)
class BadDeploy:
    """Incidents 4 and 7 on one copy of the demo home, once per worker.

    A deploy registers a model that predicts one probability for every line; it is the newest,
    so it serves the slate. The slate's rerun (`recover --date D --from-phase predictions`)
    fails in its predictions phase: the fallback guard refuses to publish, the day is half
    processed. Then `model rollback` and `recover --date D`. Each command's outcome is kept,
    with the model versions that scored the slate after each run."""

    good: str
    constant: str
    refused: Result
    status: Result
    verify: Result
    models: Result
    rollback: Result
    recovered: Result
    after_status: Result
    after_verify: Result
    scored: tuple[list[tuple], list[tuple]]  # versions on the slate's props rows: after each run
    predictions: tuple[int, int]  # the slate's rows: the demo's, after the recovery


def run_bad_deploy(bench: Bench) -> BadDeploy:
    # The props' rows (the slate's game totals are scored by their own family's model).
    scored_sql = (
        "select distinct model_version from main.fct_predictions where game_date = ? "
        "and market != 'game_total'"
    )
    count_sql = "select count(*) from main.fct_predictions where game_date = ?"
    day = str(SLATE)
    with staged(bench) as home:
        good, demo_rows = demo_version(home), scalar(home, count_sql, SLATE)
        constant = deploy_constant_model(home)
        refused = cli("recover", "--date", day, "--from-phase", "predictions")
        refused_scored = rows(home, scored_sql, SLATE)
        status, verify = cli("status", "--date", day), cli("verify", "--date", day)
        models = cli("model", "list", "--date", day)
        rollback = cli("model", "rollback", "--date", day)
        recovered = cli("recover", "--date", day)
        return BadDeploy(
            good, constant, refused, status, verify, models, rollback, recovered,
            cli("status", "--date", day), cli("verify", "--date", day),
            (refused_scored, rows(home, scored_sql, SLATE)),
            (demo_rows, scalar(home, count_sql, SLATE)),
        )  # fmt: skip


@contextmanager
def staged(bench: Bench) -> Iterator[Home]:
    """The bench restored, with the incident settings for the block (outside any test)."""
    with pytest.MonkeyPatch.context() as env:
        home = bench.restore()
        for key, value in settings_for(home).items():
            env.setenv(key, value)
        for key in SETTINGS:
            env.delenv(key, raising=False)
        yield home
        release_dbt_connection()


def once_per_run(request: pytest.FixtureRequest, name: str, scenario: Callable[[Bench], T]) -> T:
    """Run a scenario once per test run, not once per xdist worker: make test spreads the
    incident files over workers (--dist loadfile), and every command outcome a scenario keeps
    is plain data. The first worker runs it under a file lock in the run's shared temp folder
    and pickles the outcome; the others wait for it and read it (pytest-xdist's recipe)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return scenario(request.getfixturevalue("bench"))
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    path = factory.getbasetemp().parent / f"{name}-{run}.pickle"
    with FileLock(f"{path}.lock"):
        if path.exists():
            return pickle.loads(path.read_bytes())
        outcome = scenario(request.getfixturevalue("bench"))
        path.write_bytes(pickle.dumps(outcome))
        return outcome


@pytest.fixture(scope="session")
def bad_morning(request: pytest.FixtureRequest) -> BadMorning:
    return once_per_run(request, "bad_morning", run_bad_morning)


@pytest.fixture(scope="session")
def bad_deploy(request: pytest.FixtureRequest) -> BadDeploy:
    return once_per_run(request, "bad_deploy", run_bad_deploy)
