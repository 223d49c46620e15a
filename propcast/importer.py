"""`propcast import totals|props FILE`: a user's history file into the warehouse (issue 9).

The file's header is checked first (a file missing a required column is refused whole, nothing
written). Then it is copied into `inbox/imports/<feed>/` under a content-hashed name and
ingested like any vendor file (vendor `imports`, propcast.vendors.imports): bad rows go to
raw_quarantine with their reason, a re-import of the same bytes adds nothing (payload hash).
Last, unless told not to, one dbt build of what reads the imports (`source:imports+`, with what
those models read) from the file's first game date on. The caller holds the writer lock.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from propcast.dbt_runner import Dbt
from propcast.fetch import copy_into_inbox
from propcast.ingest import ingest
from propcast.pipeline import BuildSummary, table_rows
from propcast.raw_schema import ensure_raw_schema
from propcast.settings import Home
from propcast.timeutil import today_in_slate_tz
from propcast.vendors.base import UnparseablePayload
from propcast.vendors.imports import DUPLICATE_PREFIX, KINDS, VENDOR, Kind
from propcast.vendors.messycsv import header_columns, missing_columns
from propcast.warehouse import connect

#: The dbt selection an import builds: what reads the imports (`source:imports+`) and what those
#: models read (`@`), scoring and training excluded — with what reads them (`+`): fct_predictions
#: scores fct_game_total_features, and a test of it that also reads dim_game must not run.
BUILD_SELECT = ["@source:imports"]
BUILD_EXCLUDE = ["tag:train", "tag:phase_predictions+"]
TOP_REASONS = 5

_REGISTRY = (
    "select status, rows_loaded, rows_quarantined, error, loaded_at "
    "from raw.raw_odds_payloads where payload_sha256 = ?"
)
_REASONS = "select reason, count(*) from raw.raw_quarantine where payload_sha256 = ? group by 1"
_QUARANTINED = (
    "select row_number, reason, row_text from raw.raw_quarantine "
    "where payload_sha256 = ? order by row_number"
)
_DATES = {
    "game_totals": "select min(game_date), max(game_date) from raw.raw_imports__game_totals "
    "where payload_sha256 = ?",
    "prop_odds": "select min(game_date), max(game_date) from raw.raw_imports__prop_odds "
    "where payload_sha256 = ?",
    "sbr_games": "select min(game_date), max(game_date) from raw.raw_imports__sbr_games "
    "where payload_sha256 = ?",
}


class ImportRefused(ValueError):
    """The file is refused whole before anything is written (unreadable, not a CSV, a required
    column missing); the message says why."""


@dataclass
class ImportResult:
    kind: str
    file: str
    payload_sha256: str
    inbox_file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    already_imported: bool = False
    imported_at: datetime | None = None  # when the payload was first loaded
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    quarantine_file: str | None = None
    game_dates: tuple[date | None, date | None] = (None, None)
    error: str | None = None  # the file was quarantined whole by ingest
    build: BuildSummary | None = None

    @property
    def built(self) -> bool:
        return self.build is not None and self.build.result.success

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "payload_sha256": self.payload_sha256,
            "inbox_file": self.inbox_file,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "already_imported": self.already_imported,
            "imported_at": str(self.imported_at) if self.imported_at else None,
            "quarantine_reasons": self.quarantine_reasons,
            "quarantine_file": self.quarantine_file,
            "first_game_date": str(self.game_dates[0]) if self.game_dates[0] else None,
            "last_game_date": str(self.game_dates[1]) if self.game_dates[1] else None,
            "error": self.error,
            "built": self.built,
            "build_nodes": self.build.counts if self.build else {},
        }


def reason_class(reason: str) -> str:
    """A quarantine reason without its row number, to count reasons by kind."""
    if reason.startswith(DUPLICATE_PREFIX):
        return "exact duplicate of an earlier row"
    return reason


def top_reasons(reasons: dict[str, int], n: int = TOP_REASONS) -> list[tuple[str, int]]:
    return sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:n]


def read_checked(kind: Kind, path: Path) -> bytes:
    """The file's bytes, after its header is checked; raises ImportRefused."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        columns = header_columns(content)
    except UnparseablePayload as exc:
        raise ImportRefused(f"{path} is not a CSV file: {exc}") from None
    missing = missing_columns(columns, kind.required)
    if missing:
        raise ImportRefused(
            f"{path} lacks the required columns {', '.join(missing)} "
            f"(columns found: {', '.join(columns) or 'none'}; "
            f"required: {', '.join(kind.required)}; optional: {', '.join(kind.optional)})"
        )
    return content


def inbox_name(path: Path, digest: str) -> str:
    """`<file stem>.<first 16 hex of the content hash>.csv`: the same bytes, the same name."""
    stem = re.sub(r"[^0-9A-Za-z_-]+", "_", path.stem).strip("_")[:60] or "import"
    return f"{stem}.{digest[:16]}.csv"


def _registry(home: Home, digest: str) -> tuple | None:
    with connect(home) as con:
        ensure_raw_schema(con)
        return con.execute(_REGISTRY, [digest]).fetchone()


def _copy(home: Home, path: Path, target: Path, digest: str) -> None:
    copy_into_inbox(home, path, target)
    if hashlib.sha256(target.read_bytes()).hexdigest() != digest:
        target.unlink(missing_ok=True)
        raise ImportRefused(f"{path} changed while it was imported; import it again")


def import_file(
    home: Home,
    kind: str,
    path: Path,
    *,
    run_build: bool = True,
    dbt: Dbt | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import one file of `kind` (`totals` or `props`); see the module docstring."""
    spec = KINDS[kind]
    path = Path(path)
    content = read_checked(spec, path)
    digest = hashlib.sha256(content).hexdigest()
    target = home.inbox / VENDOR / spec.feed / inbox_name(path, digest)
    result = ImportResult(kind, str(path), digest, str(target.relative_to(home.root)))
    before = _registry(home, digest)
    if before is None:
        _copy(home, path, target, digest)
        ingest(home, vendors={VENDOR}, progress=progress)
    _collect(home, spec, result, before)
    if run_build and result.error is None and result.game_dates[0] is not None:
        result.build = _build(home, result.game_dates[0], dbt)
    return result


def _collect(home: Home, spec: Kind, result: ImportResult, before: tuple | None) -> None:
    """What the payload loaded, from the warehouse (whichever process loaded it)."""
    with connect(home) as con:
        row = con.execute(_REGISTRY, [result.payload_sha256]).fetchone()
        if row is None:
            raise RuntimeError(
                f"ingest did not register {result.inbox_file} (payload {result.payload_sha256})"
            )
        reasons = con.execute(_REASONS, [result.payload_sha256]).fetchall()
        dates = con.execute(_DATES[spec.feed], [result.payload_sha256]).fetchone()
        quarantined = pd.DataFrame(
            con.execute(_QUARANTINED, [result.payload_sha256]).fetchall(),
            columns=["row_number", "reason", "row_text"],
        )
    status, loaded, bad, error, loaded_at = row
    result.game_dates = (dates[0], dates[1])
    result.imported_at = loaded_at
    result.rows_read = int(loaded) + int(bad)
    result.error = error if status == "quarantined" else None
    result.already_imported = before is not None
    if not result.already_imported:
        result.rows_loaded, result.rows_quarantined = int(loaded), int(bad)
        counts: Counter[str] = Counter()
        for reason, n in reasons:
            counts[reason_class(reason)] += int(n)
        result.quarantine_reasons = dict(counts)
    if int(bad):
        result.quarantine_file = str(_write_quarantine(home, result, quarantined))


def _write_quarantine(home: Home, result: ImportResult, rows: pd.DataFrame) -> Path:
    """This file's refused rows (line, reason, the row as read) as a CSV beside the outputs."""
    out = home.outputs / "imports" / Path(result.inbox_file).with_suffix(".quarantine.csv").name
    out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out, index=False)
    return out


def _build(home: Home, first: date, dbt: Dbt | None) -> BuildSummary:
    """One `dbt build` of what reads the imports and of its parents (on an empty home nothing
    else has built them: the other vendors' staging views, the seeds), incremental slices
    rebuilt from the file's first game date. Training and scoring are left to `propcast train`
    and `propcast build`; a test is run only when every model it reads is selected."""
    today = today_in_slate_tz()
    start = min(first, today - timedelta(days=1))
    command = ["build", "--select", *BUILD_SELECT, "--exclude", *BUILD_EXCLUDE]
    command += ["--indirect-selection", "cautious"]
    run_vars = {"run_date": today.isoformat(), "slice_start": start.isoformat()}
    result = (dbt or Dbt(home)).invoke(command, run_vars=run_vars)
    return BuildSummary(run_date=today, result=result, tables=table_rows(home))
