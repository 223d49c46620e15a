"""The project's metadata held to public dbt conventions.

- `column_gaps`: the warehouse against its YAML. dbt's catalog (`dbt docs generate`) lists the
  columns each table, view and source really has; the manifest lists the columns the YAML
  declares. Every warehouse column must be declared with a description, and every declared
  column must exist, or `dbt docs` describes a warehouse that is not there.
- `lint`: dbt-score (thresholds in pyproject.toml, [tool.dbt-score]) and dbt-bouncer
  (dbt-bouncer.yml: dbt-project-evaluator's rules) on the parsed manifest. The catalog half of
  dbt-bouncer runs in the integration suite, on the catalog of its test warehouse. Plus the
  one rule neither tool knows, `unenforced_not_null`: a column's not_null constraint is
  checked by the engine (a contracted table) or by the node's `not_null_constraints` test.

The tools live in their own virtualenv (dependency group `metadata` in pyproject.toml;
dbt-bouncer needs duckdb<2, the warehouse pins duckdb 2): PROPCAST_METADATA_TOOLS names its
bin folder, default `.venv-meta/bin` in the project (`make lint` installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from propcast.settings import PROJECT_DIR

CHECKED_RESOURCES = ("model", "seed", "snapshot")


@dataclass
class ColumnGaps:
    """Per node (`unique_id`): columns in the warehouse but not in YAML, in YAML but not in the
    warehouse, and declared without a description."""

    undeclared: dict[str, list[str]] = field(default_factory=dict)
    stale: dict[str, list[str]] = field(default_factory=dict)
    undescribed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.undeclared or self.stale or self.undescribed)

    def lines(self) -> list[str]:
        out = []
        for label, gaps in (
            ("in the warehouse, not declared in YAML", self.undeclared),
            ("declared in YAML, not in the warehouse", self.stale),
            ("declared without a description", self.undescribed),
        ):
            for node, columns in sorted(gaps.items()):
                out.append(f"{node}: {label}: {', '.join(columns)}")
        return out


def column_gaps(manifest: dict, catalog: dict) -> ColumnGaps:
    """Compare the catalog's columns with the manifest's declared ones (case-insensitive)."""
    gaps = ColumnGaps()
    declared_nodes = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in CHECKED_RESOURCES
    }
    declared_nodes.update(manifest["sources"])
    built = {**catalog["nodes"], **catalog["sources"]}
    for uid, node in sorted(declared_nodes.items()):
        if uid not in built:
            continue  # not in this warehouse (e.g. a disabled or never-built node)
        actual = {name.lower() for name in built[uid]["columns"]}
        declared = {name.lower(): col for name, col in node.get("columns", {}).items()}
        if missing := sorted(actual - set(declared)):
            gaps.undeclared[uid] = missing
        if gone := sorted(set(declared) - actual):
            gaps.stale[uid] = gone
        if blank := sorted(
            n for n, c in declared.items() if not (c.get("description") or "").strip()
        ):
            gaps.undescribed[uid] = blank
    return gaps


def unenforced_not_null(manifest: dict) -> list[str]:
    """Models and seeds declaring not_null constraints that nothing checks. The engine refuses
    a null only in a contracted table it creates each run; every other node (a view, an
    incremental table created before the constraint, a Python model, a seed) needs its
    `not_null_constraints` test (macros/tests/test_not_null_constraints.sql)."""
    tested = {
        node["attached_node"]
        for node in manifest["nodes"].values()
        if (node.get("test_metadata") or {}).get("name") == "not_null_constraints"
    }
    unchecked = []
    for uid, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] not in ("model", "seed"):
            continue
        constrained = [
            name
            for name, column in node.get("columns", {}).items()
            if any(c.get("type") == "not_null" for c in column.get("constraints", []))
        ]
        config = node.get("config", {})
        engine_enforced = (
            config.get("contract", {}).get("enforced") and config.get("materialized") == "table"
        )
        if constrained and not engine_enforced and uid not in tested:
            unchecked.append(f"{uid}: not_null declared on {', '.join(constrained)}, unchecked")
    return unchecked


def tools_bin() -> Path:
    """The bin folder of the metadata tools' virtualenv."""
    configured = os.environ.get("PROPCAST_METADATA_TOOLS", "").strip()
    return Path(configured) if configured else PROJECT_DIR / ".venv-meta" / "bin"


def _tool(name: str) -> str:
    path = tools_bin() / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: install the metadata tools with `make lint` (dependency group "
            "`metadata` of pyproject.toml) or point PROPCAST_METADATA_TOOLS at their bin folder"
        )
    return str(path)


def run_dbt_score(target: Path) -> subprocess.CompletedProcess:
    """dbt-score on target/manifest.json; its thresholds come from pyproject.toml."""
    return subprocess.run(
        [_tool("dbt-score"), "lint", "--manifest", str(target / "manifest.json")],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )


def run_dbt_bouncer(
    target: Path, only: str, output: Path | None = None
) -> subprocess.CompletedProcess:
    """dbt-bouncer's `only` checks (manifest_checks or catalog_checks) of dbt-bouncer.yml on
    the artifacts in `target`."""
    config = yaml.safe_load((PROJECT_DIR / "dbt-bouncer.yml").read_text())
    config["dbt_artifacts_dir"] = str(target)
    with tempfile.TemporaryDirectory() as scratch:
        config_file = Path(scratch) / "dbt-bouncer.yml"
        config_file.write_text(yaml.safe_dump(config, sort_keys=False))
        command = [_tool("dbt-bouncer"), "run", "--config-file", str(config_file), "--only", only]
        if output is not None:
            command += ["--output-file", str(output)]
        return subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True)


def lint() -> int:
    """Parse the project into a scratch home, then dbt-score and dbt-bouncer's manifest checks."""
    from concurrent.futures import ThreadPoolExecutor

    from propcast.dbt_runner import Dbt
    from propcast.settings import Home

    with tempfile.TemporaryDirectory(prefix="propcast-metadata-") as scratch:
        home = Home(Path(scratch) / "home").ensure()
        Dbt(home).manifest()
        unchecked = unenforced_not_null(json.loads((home.dbt_target / "manifest.json").read_text()))
        print("== not_null constraints ==")
        print("\n".join(unchecked) or "every declared not_null is enforced or tested")
        failed = bool(unchecked)
        # The two tools read the same manifest in their own processes: both cores at once.
        with ThreadPoolExecutor(max_workers=2) as pool:
            score = pool.submit(run_dbt_score, home.dbt_target)
            bouncer = pool.submit(run_dbt_bouncer, home.dbt_target, "manifest_checks")
            outcomes = (
                ("dbt-score", score.result()),
                ("dbt-bouncer (manifest checks)", bouncer.result()),
            )
        for label, proc in outcomes:
            print(f"== {label} ==")
            print((proc.stdout + proc.stderr).strip()[-6000:])
            failed |= proc.returncode != 0
    print("metadata lint: FAILED" if failed else "metadata lint: OK")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    """`python -m propcast.metadata lint` or `python -m propcast.metadata columns TARGET_DIR`."""
    if argv[:1] == ["lint"]:
        return lint()
    if argv[:1] != ["columns"] or len(argv) != 2:
        print("usage: python -m propcast.metadata lint | columns TARGET_DIR", file=sys.stderr)
        return 2
    target = Path(argv[1])
    gaps = column_gaps(
        json.loads((target / "manifest.json").read_text()),
        json.loads((target / "catalog.json").read_text()),
    )
    for line in gaps.lines():
        print(line)
    print("columns: warehouse and YAML agree" if gaps.ok else "columns: YAML and warehouse differ")
    return 0 if gaps.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
