"""Where a dbt invocation's time went, read from its artefacts: per invocation parse and wall
seconds from dbt.log, the slowest nodes from run_results.json (bench/scale's `profile`)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOG_TIME = re.compile(r"^(\d\d:\d\d:\d\d\.\d+) ")
_LOG_START = re.compile(r"Running with dbt=")
_LOG_PARSED = re.compile(r"Found \d+ models?|Performance info:")
_LOG_PARTIAL = re.compile(
    r"(Unable to do partial parsing[^\n]*|Partial parsing enabled[^\n]*|"
    r"Partial parse save file not found[^\n]*)"
)
_LOG_REPORT = re.compile(r"Resource report: (\{.*\})")


def parse_times(log_text: str, launched: datetime, last_command: str | None = None) -> list[dict]:
    """Per dbt invocation in a dbt.log excerpt: command, when it started (seconds after the
    step was launched), its parse seconds (start to 'Found N models', or all of a `parse`),
    its wall seconds, and whether dbt parsed partially (and why not).

    Command and wall seconds come from dbt's debug-level resource report when the file log
    holds it (PROPCAST_DBT_LOG_LEVEL=debug). At the default info level the wall seconds run from
    the invocation's first line to its last, and only the last invocation's command is known:
    `last_command`, from its run_results.json (`args.which`)."""
    out: list[dict] = []
    current: dict | None = None

    def seconds(moment: datetime, since: datetime) -> float:
        return round((moment - since).total_seconds() % 86400, 2)  # the log has no date

    base = launched.replace(year=1900, month=1, day=1)
    for raw in log_text.splitlines():
        line = _ANSI.sub("", raw)
        stamp = _LOG_TIME.match(line)
        if not stamp:
            continue
        moment = datetime.strptime(stamp.group(1)[:15], "%H:%M:%S.%f")
        if _LOG_START.search(line):
            current = {"command": None, "start_s": seconds(moment, base), "_start": moment,
                       "parse_s": None, "wall_s": None, "partial_parse": None}  # fmt: skip
            out.append(current)
        if current is None:
            continue
        current["_last"] = moment
        _read_line(line, current, seconds(moment, current["_start"]))
    for c in out:
        if c["wall_s"] is None:
            c["wall_s"] = seconds(c["_last"], c["_start"])
        del c["_start"], c["_last"]
    if out and out[-1]["command"] is None:
        out[-1]["command"] = last_command
    return out


def _read_line(line: str, current: dict, since_start: float) -> None:
    """What one log line tells about its invocation: partial parsing, the parse's end, and
    (debug level) the resource report's command and wall seconds."""
    partial = _LOG_PARTIAL.search(line)
    if partial and current["partial_parse"] is None:
        current["partial_parse"] = partial.group(1).strip()[:100]
    if current["parse_s"] is None and _LOG_PARSED.search(line):
        current["parse_s"] = since_start
    report = _LOG_REPORT.search(line)
    if report:
        try:
            info = json.loads(report.group(1))
        except ValueError:
            info = {}
        current["command"] = info.get("command_name")
        current["wall_s"] = round(float(info.get("command_wall_clock_time", 0.0)), 2)
        if current["command"] == "parse":
            current["parse_s"] = current["wall_s"]


def run_results(target: Path) -> dict:
    """The last dbt invocation's run_results.json on `target` ({} when there is none)."""
    path = target / "run_results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def last_command(results: dict) -> str | None:
    """The command of the invocation behind `results` (run_results.json's `args.which`)."""
    return results.get("args", {}).get("which")


def top_nodes(results: dict, target: Path, n: int = 10) -> tuple[list[dict], dict]:
    """The slowest nodes of the invocation behind `results` (its run_results.json), and
    execution seconds summed by kind (Python models, SQL models, tests, seeds, from `target`'s
    manifest) with the invocation's elapsed seconds."""
    if not results:
        return [], {}
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    language = {uid: node.get("language") for uid, node in manifest.get("nodes", {}).items()}
    nodes, kinds = [], {}
    for r in results.get("results", []):
        uid, seconds = r["unique_id"], float(r.get("execution_time") or 0.0)
        nodes.append({"node": uid, "status": r["status"], "execution_time_s": round(seconds, 2)})
        kind = uid.split(".", 1)[0]
        if kind == "model":
            kind = "python_model" if language.get(uid) == "python" else "sql_model"
        kinds[f"{kind}s_s"] = kinds.get(f"{kind}s_s", 0.0) + seconds
    nodes.sort(key=lambda r: r["execution_time_s"], reverse=True)
    summary = {k: round(v, 2) for k, v in sorted(kinds.items())}
    summary["elapsed_s"] = round(float(results.get("elapsed_time") or 0.0), 2)
    return nodes[:n], summary
