"""`make check-bigquery`: compile every SQL model and data test for the bigquery target
offline, then check each with BigQuery's parser, BigQuery's function list and the DuckDB-only
syntax rules (propcast.bigquery_sql_rules), and each model's BigQuery config.

No BigQuery is reachable here, so dbt compiles with fake credentials (an `authorized_user`
file that is never used), `--no-populate-cache`, and var `bigquery_offline_check`, which makes
the project's macros answer what they would ask the service (macros/portability). The models
come from the compiled manifest, so a model added later is checked too. Python models are not
compiled (dbt would reach Google): they are listed as unchecked.

    python -m propcast.bigquery_check [--project-dir DIR] [--work-dir DIR] [--timeout S]

Exit codes: 0 every SQL model passed; 1 a model failed, or the compile failed or timed out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from propcast.bigquery_sql_rules import sql_problems
from propcast.settings import PROJECT_DIR

# A daily run's compile: the incremental branch (is_incremental() true) for this slate date.
OFFLINE_VARS = {"bigquery_offline_check": True, "run_date": "2026-01-15"}
FAKE_CREDENTIALS = {
    "type": "authorized_user",
    "client_id": "propcast-offline-check.apps.googleusercontent.com",
    "client_secret": "not-a-secret",
    "refresh_token": "not-a-token",
}
DEFAULT_TIMEOUT_S = 300


@dataclass
class CheckReport:
    checked: dict[str, list[str]] = field(default_factory=dict)  # model or test -> problems
    tests: int = 0  # how many of `checked` are data tests
    unchecked: list[str] = field(default_factory=list)  # Python models
    error: str | None = None

    @property
    def failed(self) -> dict[str, list[str]]:
        return {name: problems for name, problems in self.checked.items() if problems}

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed and bool(self.checked)


class CompileError(RuntimeError):
    """dbt could not compile the project for the bigquery target offline."""


def offline_environment(project_dir: Path, work_dir: Path) -> dict[str, str]:
    """dbt's environment for the offline compile: fake credentials, everything under work_dir."""
    work_dir.mkdir(parents=True, exist_ok=True)
    credentials = work_dir / "fake_authorized_user.json"
    credentials.write_text(json.dumps(FAKE_CREDENTIALS), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROPCAST_BQ_")}
    env.update(
        {
            "PROPCAST_HOME": str(work_dir),
            "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
            "GOOGLE_CLOUD_PROJECT": "propcast-offline-check",
            "DBT_PROFILES_DIR": str(project_dir),
            "DBT_PROJECT_DIR": str(project_dir),
            "DBT_TARGET_PATH": str(work_dir / "target"),
            "DBT_LOG_PATH": str(work_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    return env


def python_model_exclusion(project_dir: Path) -> list[str]:
    """`--exclude` of the project's Python models (dbt would reach Google to compile them)."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    names = sorted(
        path.stem
        for folder in project.get("model-paths", ["models"])
        for path in (project_dir / folder).rglob("*.py")
        if not path.name.startswith("_")
    )
    return ["--exclude", *names] if names else []


def compile_for_bigquery(project_dir: Path, work_dir: Path, timeout_s: float) -> dict[str, Any]:
    """Compile the SQL models for the bigquery target; the compiled manifest as a dict."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        "compile",
        "--target",
        "bigquery",
        "--no-populate-cache",
        "--select",
        "resource_type:model",
        "resource_type:test",
        *python_model_exclusion(project_dir),
        "--indirect-selection",
        "empty",
        "--vars",
        json.dumps(OFFLINE_VARS),
        "--quiet",
    ]
    manifest_path = work_dir / "target" / "manifest.json"
    manifest_path.unlink(missing_ok=True)
    try:
        done = subprocess.run(
            command,
            cwd=project_dir,
            env=offline_environment(project_dir, work_dir),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CompileError(
            f"dbt compile --target bigquery did not finish in {timeout_s:.0f} s: a macro or "
            "model asks BigQuery while compiling (load_relation, get_columns_in_relation, "
            "run_query); make it answer from bigquery_offline_check() (macros/portability). "
            f"dbt's log: {work_dir / 'logs' / 'dbt.log'}"
        ) from exc
    if done.returncode != 0 or not manifest_path.exists():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise CompileError(f"dbt compile --target bigquery failed:\n{tail}")
    return json.loads(manifest_path.read_text(encoding="utf-8"))


def config_problems(node: dict[str, Any]) -> list[str]:
    """A model's BigQuery config: incrementals replace day partitions (one partition write a
    day, never a row-level merge), and partition and cluster columns are the model's own."""
    config = node.get("config", {})
    problems = []
    if config.get("materialized") == "incremental" and node.get("language") == "sql":
        if config.get("incremental_strategy") != "insert_overwrite":
            problems.append("an incremental SQL model must use insert_overwrite on BigQuery")
        if not config.get("partition_by"):
            problems.append("an incremental SQL model must be partitioned (partition_by)")
    documented = {name.lower() for name in node.get("columns", {})}
    partition = (config.get("partition_by") or {}).get("field")
    cluster = config.get("cluster_by") or []
    cluster = [cluster] if isinstance(cluster, str) else list(cluster)
    if len(cluster) > 4:
        problems.append(f"cluster_by {cluster}: BigQuery clusters by at most 4 columns")
    for column in [c for c in [partition, *cluster] if c]:
        if documented and column.lower() not in documented:
            problems.append(f"partition/cluster column {column} is not a column of the model")
    return problems


def check_manifest(manifest: dict[str, Any]) -> CheckReport:
    """Check every model and data test of a manifest compiled for BigQuery."""
    report = CheckReport()
    for node in sorted(manifest["nodes"].values(), key=lambda n: n["unique_id"]):
        if node["resource_type"] not in ("model", "test") or node["package_name"] != "propcast":
            continue
        if node["resource_type"] == "test":
            sql = node.get("compiled_code")
            report.checked[f"test {node['name']}"] = (
                sql_problems(sql) if sql else ["was not compiled"]
            )
            report.tests += 1
            continue
        if node["language"] != "sql":
            report.unchecked.append(node["name"])
            continue
        sql = node.get("compiled_code")
        problems = ["was not compiled"] if not sql else sql_problems(sql)
        report.checked[node["name"]] = problems + config_problems(node)
    return report


def run_check(project_dir: Path, work_dir: Path, timeout_s: float) -> CheckReport:
    try:
        manifest = compile_for_bigquery(project_dir, work_dir, timeout_s)
    except CompileError as exc:
        return CheckReport(error=str(exc))
    return check_manifest(manifest)


def print_report(report: CheckReport, seconds: float, project_dir: Path) -> None:
    for name, problems in report.failed.items():
        path = f"{name} (target/compiled for bigquery)"
        for problem in problems:
            print(f"  {path}: {problem}")
    if report.unchecked:
        print(
            f"  not compiled (Python models, untested on BigQuery: README 'Running on "
            f"BigQuery'): {', '.join(report.unchecked)}"
        )
    if report.error:
        print(report.error)
    verdict = "OK" if report.ok else "FAILED"
    print(
        f"{verdict} check-bigquery: {len(report.checked) - report.tests} SQL models and "
        f"{report.tests} data tests of {project_dir} compiled for bigquery and checked, "
        f"{len(report.failed)} failed, in {seconds:.1f} s"
    )
    if not report.ok:
        print(
            "  recover: fix the models named above (engine differences go behind "
            "adapter.dispatch macros), then `make check-bigquery`"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="dbt's target/ and logs/ for the check (default PROPCAST_HOME/bigquery-check)",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    args = parser.parse_args(argv)
    home = Path(os.environ.get("PROPCAST_HOME", PROJECT_DIR / ".home"))
    work_dir = args.work_dir or home / "bigquery-check"
    started = time.monotonic()
    report = run_check(args.project_dir.resolve(), work_dir.resolve(), args.timeout)
    print_report(report, time.monotonic() - started, args.project_dir)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
