"""`propcast import totals --format sbr FILE.xlsx [...]`: SBR season workbooks (issue 16).

Every workbook is read and its layout, league and season settled first (propcast.vendors.
sbr_workbook): one refused workbook refuses the command, nothing written. Each becomes one
payload of feed `sbr_games` (vendor `imports`) in `inbox/imports/sbr_games/`, under a name
carrying its content hash; one ingest loads the new ones (propcast.vendors.sbr: a raw row per
game, a game failing a check quarantined with its reason; a payload already loaded adds
nothing), then one dbt build of what reads the imports from the earliest game on, as
`propcast import totals` for a CSV. The caller holds the writer lock.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from propcast.dbt_runner import Dbt
from propcast.importer import (
    ImportRefused,
    ImportResult,
    _build,
    _collect,
    _registry,
    inbox_name,
)
from propcast.ingest import ingest
from propcast.settings import Home
from propcast.vendors.imports import Kind
from propcast.vendors.sbr import FEED, TABLE, VENDOR
from propcast.vendors.sbr_workbook import SbrRefused, SbrSheet, read_sbr

SBR = Kind(FEED, TABLE, (), (), lambda text, delimiter: (text, []))
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

_UNMAPPED = (
    "select vendor_away_team, away_team_id, vendor_home_team, home_team_id "
    "from main.stg_imports__sbr_games "
    "where payload_sha256 = ? and line_type = 'close' "
    "and (home_team_id is null or away_team_id is null)"
)


def expand_paths(items: Sequence[str | Path]) -> list[Path]:
    """Files, folders (their workbooks) and globs, each file once, in the order given."""
    found: list[Path] = []
    for item in map(str, items):
        if Path(item).is_dir():
            found += sorted(
                p for p in Path(item).iterdir() if p.suffix.lower() in WORKBOOK_SUFFIXES
            )
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item))
            if not matches:
                raise ImportRefused(f"no file matches {item}")
            found += matches
        else:
            found.append(Path(item))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise ImportRefused(f"no workbook in {', '.join(map(str, items))}")
    return unique


def read_all(paths: Sequence[Path], league: str | None, season: str | None) -> list[SbrSheet]:
    """Every workbook read, or ImportRefused naming the first refused one."""
    sheets = []
    for path in paths:
        if not path.is_file():
            raise ImportRefused(f"cannot read {path}: no such file")
        try:
            sheets.append(read_sbr(path, league, season))
        except SbrRefused as exc:
            raise ImportRefused(str(exc)) from None
    return sheets


def _write_payload(home: Home, content: bytes, target: Path) -> None:
    """Into the inbox atomically (written beside it, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = home.root / ".partial"
    scratch.mkdir(exist_ok=True)
    partial = scratch / f"{os.getpid()}-{target.name}"
    partial.write_bytes(content)
    partial.replace(target)


def import_sbr(
    home: Home,
    paths: Sequence[Path],
    *,
    league: str | None = None,
    season: str | None = None,
    run_build: bool = True,
    dbt: Dbt | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ImportResult]:
    """Import SBR workbooks (see the module docstring); one ImportResult per workbook, its
    rows being games."""
    sheets = read_all(paths, league, season)
    results, befores = [], []
    for path, sheet in zip(paths, sheets, strict=True):
        content = sheet.payload()
        digest = hashlib.sha256(content).hexdigest()
        target = home.inbox / VENDOR / FEED / inbox_name(path, digest)
        befores.append(_registry(home, digest))
        if befores[-1] is None:
            _write_payload(home, content, target)
        results.append(
            ImportResult("totals", str(path), digest, str(target.relative_to(home.root)))
        )
    if any(before is None for before in befores):
        ingest(home, vendors={VENDOR}, progress=progress)
    for result, before in zip(results, befores, strict=True):
        _collect(home, SBR, result, before)
    firsts = [r.game_dates[0] for r in results if r.error is None and r.game_dates[0]]
    if run_build and firsts:
        summary = _build(home, min(firsts), dbt)
        for result in results:
            result.build = summary
    return results


def unmapped_teams(home: Home, result: ImportResult) -> dict[str, int]:
    """SBR team labels of this workbook that no team alias maps (games left out of the marts)."""
    from propcast.warehouse import connect

    counts: dict[str, int] = {}
    try:
        with connect(home) as con:
            rows = con.execute(_UNMAPPED, [result.payload_sha256]).fetchall()
    except duckdb.Error:  # not built yet: nothing to say
        return counts
    for away, away_id, home_label, home_id in rows:
        for label, team_id in ((away, away_id), (home_label, home_id)):
            if team_id is None:
                counts[label] = counts.get(label, 0) + 1
    return counts
