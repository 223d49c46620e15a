"""The twelve incidents of DESIGN §7, one test each: reproduce it on a copy of the demo home,
prove the one command that shows it and the one that recovers it (docs/runbooks/<nn>-*.md).

`incident_home` restores the demo world's home (trained, walk-forward scored, the morning
run-day of slate 2027-01-12 done) before each test, always at the same path of this worker:
dbt's target/ stays there between tests, so the CLI's dbt parse is a partial one (about 1 s)
instead of the full parse a new path costs (about 6 s: the profile names the warehouse path).
Before the files are replaced, dbt-duckdb's in-process connection is released, or the next
command would read the replaced file through the DuckDB instance it keeps open.

Every command runs through the real CLI, in process (`cli`), with `--json`.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.settings import Home
from propcast.warehouse import connect, copy_warehouse
from tests.integration.conftest import DemoWorld, demo_world  # noqa: F401

#: The demo's slate (the suite clock's yesterday) and the model that scored it.
SLATE = date(2027, 1, 12)
#: What a test that needs its own settings must not inherit from the shell.
SETTINGS = ("FORCE_VENDOR_FAILURE", "PROPCAST_ALERT_CMD", "PROPCAST_MAX_QUARANTINE_SHARE")

runner = CliRunner()


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
            if entry.name in ("target", "logs"):
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        for entry in self.snapshot.iterdir():
            if entry.is_dir():
                shutil.copytree(entry, self.work / entry.name)
            else:
                shutil.copy2(entry, self.work / entry.name)
        return Home(self.work).ensure()


@pytest.fixture(scope="session")
def bench(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Bench:  # noqa: F811
    """A snapshot of the demo home (no dbt artefacts) and this worker's work path."""
    snapshot = tmp_path_factory.mktemp("incident_snapshot") / "home"
    snapshot.mkdir()
    src = demo_world.home.root
    copy_warehouse(demo_world.home, snapshot / "warehouse.duckdb")
    for entry in src.iterdir():
        if entry.name in ("target", "logs", "warehouse.duckdb") or entry.name.startswith(
            "warehouse.duckdb."
        ):
            continue
        if entry.is_dir():
            shutil.copytree(entry, snapshot / entry.name)
        else:
            shutil.copy2(entry, snapshot / entry.name)
    return Bench(snapshot, tmp_path_factory.mktemp("incident_work") / "home")


def settings_for(home: Home) -> dict[str, str]:
    """The environment every incident command runs in: the home, no retraining (the demo's
    model serves every slate), and none of the shell's fault switches."""
    return {"PROPCAST_HOME": str(home.root), "PROPCAST_RETRAIN_EVERY_DAYS": "0"}


@pytest.fixture
def incident_home(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> Iterator[Home]:
    """The demo home, fresh for this test, at this worker's fixed path."""
    home = bench.restore()
    for key, value in settings_for(home).items():
        monkeypatch.setenv(key, value)
    for key in SETTINGS:
        monkeypatch.delenv(key, raising=False)
    yield home
    release_dbt_connection()


def demo_version(home: Home) -> str:
    """The demo's one registered model (it scored every walk-forward slate)."""
    return scalar(home, "select model_version from main.ml_model_registry")


__all__ = [
    "SLATE",
    "Bench",
    "Result",
    "cli",
    "demo_version",
    "os",
    "release_dbt_connection",
    "rows",
    "scalar",
    "settings_for",
]


def deploy_constant_model(home: Home) -> str:
    """Register, as a newer deploy of the demo's model, one whose stacker is a constant
    (expit(0.4) = 0.599 for every line), fingerprinted like any trained model. Returns its
    version."""
    import pandas as pd

    from propcast.models.calibration import Stacker
    from propcast.models.train import _canonical_json, _version_hash, make_model_version

    with connect(home) as con:
        row = con.execute("select * from main.ml_model_registry").df().iloc[0].to_dict()
    stacker = json.loads(row["calibrator"])
    row["calibrator"] = Stacker(
        dispersion=stacker["dispersion"], inputs=(), coef=(), intercept=0.4,
        no_market_inputs=(), no_market_coef=(), no_market_intercept=0.4,
    ).to_json()  # fmt: skip
    content = _version_hash(
        _canonical_json(json.loads(row["params"])),
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
PAYLOAD_TABLES = (
    "raw_odds_payloads", "raw_oddsapi__prop_odds", "raw_csvfeed__prop_odds",
    "raw_decimalfeed__prop_odds", "raw_boxscores", "raw_schedule", "raw_quarantine",
    "raw_inbox_files",
)  # fmt: skip


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
