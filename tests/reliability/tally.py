"""The reliability summary: each fault test records what it survived; `make reliability`
prints one line from the records of every worker.

`record(category, survived, tried)` appends a JSON line to a file in PROPCAST_RELIABILITY_TALLY
(a folder; unset: records are dropped, as in `make test`'s sample). `python -m
tests.reliability.tally FOLDER` sums them per category and prints the summary line.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

TALLY_ENV = "PROPCAST_RELIABILITY_TALLY"
FULL_ENV = "PROPCAST_RELIABILITY_FULL"
#: The summary's categories, in its order: (key, label).
CATEGORIES = (
    ("reruns", "reruns converged"),
    ("kill_points", "kill points survived"),
    ("bad_input", "bad-input classes quarantined"),
    ("outages", "outages survived"),
    ("locks", "lock cases"),
    ("incidents", "incidents reproduced and recovered"),
    ("config", "config cases"),
    ("security", "security checks"),
)


def full_matrix() -> bool:
    """`make reliability` runs every case; `make test` a sample (PROPCAST_RELIABILITY_FULL)."""
    return os.environ.get(FULL_ENV, "") == "1"


def record(category: str, survived: int, tried: int = 1) -> None:
    if category not in dict(CATEGORIES):
        raise ValueError(f"unknown reliability category {category!r}")
    folder = os.environ.get(TALLY_ENV, "").strip()
    if not folder:
        return
    path = Path(folder) / f"tally-{os.getpid()}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps({"category": category, "survived": survived, "tried": tried}) + "\n")


def summarize(folder: Path) -> str:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path in sorted(folder.glob("tally-*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            totals[row["category"]][0] += row["survived"]
            totals[row["category"]][1] += row["tried"]
    parts = [f"{label} {totals[key][0]}/{totals[key][1]}" for key, label in CATEGORIES]
    failed = any(survived < tried for survived, tried in totals.values())
    return ("reliability FAILED: " if failed else "reliability: ") + ", ".join(parts)


if __name__ == "__main__":  # pragma: no cover - `make reliability` prints the last line
    print(summarize(Path(sys.argv[1])))
