"""Security (issue 12, item 8): no credential in any log, report or registry row; no path option
reaches outside the home; every value that reaches SQL is bound, never formatted in.

- A run-day on a copy of the demo home with fake secrets in the environment (a vendor API key,
  a BigQuery keyfile, a dbt secret env var, an alert command carrying a token): none of them
  appears in the command's output, in any file under PROPCAST_HOME or in any warehouse row
  (`make reliability`; `make test` checks the alert's failure message alone: a dbt run costs
  more than this file's share of CI).
- The writer lock's holder file (which records the command line) masks an argument that holds
  a secret of the environment.
- Free-text options given `..` and absolute paths (`--vendor`, `--package`, `model pin`, dbt
  `--select`) read nothing outside the home; the CLI has no path option that is not covered
  here (the coming `propcast import` will add one: this test then asks for its case).
- SQL: an `ast` scan of the package finds every f-string, `.format`, `%` and `+` that builds
  SQL text; each interpolated expression must be on the allow-list (sql_scan.py) with the
  reason it is not data (a schema or table name from a constant, a generated temp table name,
  an integer the code computes, ...). Values are bound (`?`) or dbt vars.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import typing
import uuid
from pathlib import Path

import duckdb
import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.locking import HOLDER_FILE
from propcast.settings import PROJECT_DIR, Home
from tests.integration.conftest import DemoWorld
from tests.reliability.sql_scan import ALLOWED, SCANNED, sql_interpolations
from tests.reliability.tally import full_matrix, record

# --- no credential in logs, reports, registry rows ---------------------------------------


def secret_env(tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    """Fake credentials as a deployment would set them, and the markers that must not leak."""
    tag = uuid.uuid4().hex[:10]
    markers = [f"pcsecret-{kind}-{tag}" for kind in ("apikey", "keyfile", "dbtenv", "alert")]
    keyfile = tmp_path / "bq-keyfile.json"
    keyfile.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "propcast-project",
                "private_key_id": markers[1],
                "private_key": f"-----BEGIN PRIVATE KEY-----\n{markers[1]}\n-----END PRIVATE KEY-----\n",
                "client_email": "propcast@propcast-project.iam.gserviceaccount.com",
            }
        )
    )
    env = {
        "PROPCAST_ODDSAPI_KEY": markers[0],
        "GOOGLE_APPLICATION_CREDENTIALS": str(keyfile),
        "DBT_ENV_SECRET_BQ_TOKEN": markers[2],
        # A webhook whose token is an argument; its program is missing, so the alert fails
        # and says why (the failure message must not carry the command line).
        "PROPCAST_ALERT_CMD": f"pc-no-such-notifier --header 'Authorization: Bearer {markers[3]}'",
    }
    return env, markers


def files_with(root: Path, markers: list[str]) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.relative_to(root)}: {m}" for m in markers if m.encode() in data]
    return found


def rows_with(warehouse: Path, markers: list[str], schemas: tuple[str, ...] = ()) -> list[str]:
    """Tables (of `schemas`, default all) with a row holding a marker in a text column (nested
    types that hold text are read as text)."""
    found = []
    # Not read-only: a run-day in this process leaves dbt-duckdb's connection open, and DuckDB
    # shares a file only between connections of one configuration.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set enable_progress_bar = false")
        columns = con.execute(
            "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
            "join information_schema.tables t using (table_schema, table_name) "
            "where t.table_type = 'BASE TABLE' and (c.data_type like '%VARCHAR%' "
            "or c.data_type like '%JSON%') order by 1, 2, c.ordinal_position"
        ).fetchall()
        by_table: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in columns:
            if not schemas or schema in schemas:
                by_table.setdefault((schema, table), []).append(column)
        for (schema, table), names in by_table.items():
            text = " or ".join(f'contains("{c}"::varchar, ?)' for c in names for _ in markers)
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where {text}',
                [m for _ in names for m in markers],
            ).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}: {hits} rows hold a marker")
    assert by_table, "no text column scanned"
    return found


@pytest.mark.skipif(not full_matrix(), reason="a dbt run (~25 s): make reliability")
def test_no_credential_in_logs_reports_or_registry(
    demo_home: Home, demo_world: DemoWorld, tmp_path: Path
) -> None:
    """run-day (a vendor down, so the alert fires) with fake credentials in the environment:
    no marker in its output, under PROPCAST_HOME (logs, dbt target/, outputs, runs, the
    warehouse file) or in any warehouse row (run registry included)."""
    secrets, markers = secret_env(tmp_path)
    env = {**secrets, "PROPCAST_HOME": str(demo_home.root), "FORCE_VENDOR_FAILURE": "CSVFEED"}
    env["PROPCAST_DBT_LOG_LEVEL"] = "debug"  # the scan reads dbt's most verbose log
    slate = str(demo_world.slate)
    commands = [["run-day", "--date", slate, "--json"]]
    if full_matrix():
        commands += [["report", "--date", slate], ["export", "--date", slate], ["health"]]
    output = ""
    for args in commands:  # in this process: dbt is already imported, the run costs its work
        result = CliRunner().invoke(app, args, env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"traceback from {args}") from result.exception
        assert result.exit_code in (0, 3) or args == ["health"], result.output
        output += result.output
        if args[0] == "run-day":
            run_id = json.loads(result.output.strip().splitlines()[-1])["run_id"]
    assert "alert not sent" in output and "pc-no-such-notifier" in output, output
    assert [m for m in markers if m in output] == [], output
    scanned = [demo_home.dbt_logs / "dbt.log", demo_home.dbt_target / "run_results.json"]
    assert all(p.exists() for p in scanned), scanned
    assert files_with(demo_home.root, markers) == []
    assert rows_with(demo_home.warehouse, markers) == []
    # The scans see what the run wrote: its run id is in its state file and registry row.
    assert files_with(demo_home.root, [run_id]) and any(
        "raw_run_registry" in hit for hit in rows_with(demo_home.warehouse, [run_id])
    )
    record("security", len(commands) + 2, len(commands) + 2)


def test_failed_alert_does_not_echo_its_command(home: Home, monkeypatch) -> None:
    """An alert that cannot be sent is reported without its command line, which may carry a
    token (the run-day case above shows it end to end; this is its cheap sample)."""
    from propcast.alerts import ALERT_ENV, send_alert

    token = f"pcsecret-alert-{uuid.uuid4().hex[:10]}"
    for command, why in [
        (f"pc-no-such-notifier --header 'Authorization: Bearer {token}'", "could not run"),
        (f"sh -c 'exit 7' --token {token}", "exited 7"),
        (f"curl -H 'Authorization: Bearer {token}", "could not run"),  # unbalanced quote
    ]:
        monkeypatch.setenv(ALERT_ENV, command)
        result = send_alert("FAILED run-day 2027-01-12")
        assert result is not None and not result.sent and why in result.problem, result
        assert token not in result.problem, result.problem
    record("security", 3, 3)


HOLD_WITH_ARGS = """
import os, sys
from propcast.locking import writer_lock
from propcast.settings import Home
with writer_lock(Home.from_env(), "run-day 2027-01-12"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_holder_file_masks_secret_arguments(home: Home) -> None:
    """A writer started with a secret on its command line (the value of a *_KEY variable)
    records its command line in the holder file with that argument masked."""
    marker = f"pcsecret-argv-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "PROPCAST_HOME": str(home.root), "PROPCAST_ODDSAPI_KEY": marker}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WITH_ARGS, "--api-key", marker, f"--token={marker}"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().startswith("held")
        recorded = json.loads((home.runs / HOLDER_FILE).read_text())
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert marker not in json.dumps(recorded), recorded
    assert recorded["argv"][-3:] == ["--api-key", "***", "***"], recorded
    record("security", 1)


# --- no path option reaches outside the home ---------------------------------------------

#: CLI options that take a file-system path, each with the test that feeds it `..` and odd names.
PATH_OPTIONS: dict[str, str] = {
    # The file to import is read wherever it is (it is the user's file); what it writes stays in
    # inbox/imports/<feed>/ under a sanitised content-hashed name.
    "import props file": "tests/integration/test_import_cli.py::"
    "test_import_path_with_dotdot_writes_only_into_the_inbox",
    # `import totals FILES...`: one CSV (the case above) or SBR workbooks, folders and globs.
    "import totals files": "tests/integration/test_sbr_import.py::"
    "test_workbook_path_with_dotdot_writes_only_into_the_inbox",
    # `bets import FILE`: the user's bet history, read wherever it is; its quarantine file is
    # written under outputs/ledger/ with a sanitised name.
    "bets import file": "tests/integration/test_ledger_cli.py::"
    "test_bets_import_path_with_dotdot_writes_only_into_outputs",
}
#: Parameters named like a path that take none (checked by name, so listed by name).
NOT_PATHS = {"import totals file_format": "csv or sbr: a choice, never opened"}


def commands(typer_app, prefix: str = ""):
    """(command line, callback) of every registered command, groups included."""
    for command in typer_app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        yield f"{prefix}{name}", command.callback
    for group in typer_app.registered_groups:
        yield from commands(group.typer_instance, f"{prefix}{group.name} ")


def _types(hint) -> set:
    """Every type a parameter annotation mentions (Annotated, unions, containers unpacked)."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return _types(args[0])
    return {hint, *(t for a in args for t in _types(a))}


def test_cli_has_no_unvetted_path_option() -> None:
    """Every option typed as a path or file, or named like one, is listed in PATH_OPTIONS
    (which names the case that feeds it `..` and absolute paths)."""
    found = set()
    seen = 0
    for line, callback in commands(app):
        for param, hint in typing.get_type_hints(callback, include_extras=True).items():
            seen += 1
            typed = any(
                isinstance(t, type) and issubclass(t, os.PathLike | io.IOBase) for t in _types(hint)
            )
            named = re.search(r"path|file|dir|folder", param, re.IGNORECASE)
            if (typed or named) and f"{line} {param}" not in NOT_PATHS:
                found.add(f"{line} {param}")
    assert seen > 40 and "run-day" in dict(commands(app)), seen  # the walk reached them all
    assert found == set(PATH_OPTIONS), (
        f"path options without a traversal case: {sorted(found - set(PATH_OPTIONS))}; "
        "add a `..`/absolute-path case to test_free_text_options_read_nothing_outside"
    )
    record("security", 1)


def test_free_text_options_read_nothing_outside(
    demo_home: Home, demo_world: DemoWorld, tmp_path: Path
) -> None:
    """`..` and absolute paths in free-text options: refused as usage (exit 2) or not found
    (exit 1), never read: a decoy vendor file outside the home, carrying a marker, stays out
    of the warehouse and of every output."""
    marker = f"pcdecoy-{uuid.uuid4().hex[:10]}"
    outside = tmp_path / "outside"
    sample = next((demo_home.inbox / "oddsapi").rglob("*.json"))
    decoy = outside / "oddsapi" / sample.parent.name / sample.name.replace(".json", "x.json")
    decoy.parent.mkdir(parents=True)
    decoy.write_text(sample.read_text().replace('"description":"', f'"description":"{marker}', 1))
    rel = os.path.relpath(outside, demo_home.inbox)
    slate = str(demo_world.slate)
    cases = [
        (["ingest", "--vendor", f"{rel}/oddsapi"], 2),
        (["ingest", "--vendor", str(outside / "oddsapi")], 2),
        (["backfill", "--start-date", slate, "--end-date", slate, "--vendor", rel], 2),
        (["model", "pin", f"{rel}/oddsapi"], 1),
        (["model", "pin", str(decoy)], 1),
    ]
    if full_matrix():
        cases += [
            (["build", "--date", slate, "--select", f"path:{outside}"], None),
            (["health", "--deep", "--package", f"{rel}/oddsapi"], None),
        ]
    output = ""
    for args, expected in cases:
        result = CliRunner().invoke(app, args, env={"PROPCAST_HOME": str(demo_home.root)})
        if result.exception and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"traceback from {args}") from result.exception
        if expected is not None:
            assert result.exit_code == expected, (args, result.output)
        output += result.output
    assert marker not in output
    assert rows_with(demo_home.warehouse, [marker], schemas=("raw",)) == []  # where ingest writes
    assert files_with(demo_home.root, [marker]) == []
    record("security", len(cases), len(cases))


# --- every value that reaches SQL is bound (the scan: tests/reliability/sql_scan.py) ------


def test_the_sql_scan_catches_formatting() -> None:
    """The scan itself: each way of formatting a value into SQL is caught."""
    bad = """
def f(con, name, day):
    con.execute(f"select * from t where name = '{name}'")
    con.execute("delete from t where day = '%s'" % day)
    con.execute("select * from t where name = '{}'".format(name))
    query = "select * from t where name = '" + name + "'"
    con.sql(f"pragma {name}")
    con.execute("select * from t where name = ?", [name])
"""
    found = sql_interpolations(bad, "x.py")
    assert set(found) == {("x.py", "name"), ("x.py", "day")}, found
    assert found[("x.py", "name")] == [3, 5, 6, 7], found


def test_every_sql_value_is_bound() -> None:
    """No value is formatted into SQL in propcast/, cli/ or python_models/: each interpolation
    is an allow-listed identifier or fragment (with its reason), and no entry is stale."""
    found: dict[tuple[str, str], list[int]] = {}
    for folder in SCANNED:
        for path in sorted((PROJECT_DIR / folder).rglob("*.py")):
            rel = str(path.relative_to(PROJECT_DIR))
            found.update(sql_interpolations(path.read_text(), rel))
    unvetted = sorted(
        f"{f}:{lines} {{{expr}}}" for (f, expr), lines in found.items() if (f, expr) not in ALLOWED
    )
    assert not unvetted, (
        "values formatted into SQL (bind them with ?, or allow-list an identifier with its "
        f"reason): {unvetted}"
    )
    stale = sorted(set(ALLOWED) - set(found))
    assert not stale, f"allow-list entries that no longer occur: {stale}"
    record("security", 1)
