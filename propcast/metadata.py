"""The warehouse against its YAML: columns that exist undeclared, or are declared and gone.

dbt's catalog (`dbt docs generate`) lists the columns each table, view and source really has;
the manifest lists the columns the YAML declares. Every warehouse column must be declared with
a description, and every declared column must exist — otherwise `dbt docs` and the tools that
read it (dbt-score, dbt-bouncer, dbt-coverage) describe a warehouse that is not there.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

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


def main(argv: list[str]) -> int:
    """`python -m propcast.metadata TARGET_DIR`: exit 1 and list the gaps, if any."""
    target = Path(argv[0] if argv else "target")
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
