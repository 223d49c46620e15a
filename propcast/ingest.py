"""Load inbox files into the raw layer: bulk, idempotent by content hash, bad rows quarantined.

Layout: `inbox/<vendor>/<feed>/<file>`. A payload whose sha256 is in `raw_odds_payloads` is
skipped, so reruns and overlapping backfills never duplicate rows. Each batch of payloads is
written in one transaction with its registry rows, so a crash cannot leave rows whose payload
is unregistered (which a rerun would load again).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from propcast.raw_schema import RAW_SCHEMA, ensure_raw_schema
from propcast.settings import Home, SettingsError
from propcast.timeutil import utc_now
from propcast.vendors import csvfeed, decimalfeed, league, oddsapi
from propcast.vendors.base import ParsedPayload, UnparseablePayload
from propcast.warehouse import connect


@dataclass(frozen=True)
class Feed:
    vendor: str
    feed: str
    table: str
    parse: Callable[[bytes], ParsedPayload]


FEEDS: dict[tuple[str, str], Feed] = {
    (f.vendor, f.feed): f
    for f in (
        Feed("oddsapi", oddsapi.FEED, oddsapi.TABLE, oddsapi.parse),
        Feed("csvfeed", csvfeed.FEED, csvfeed.TABLE, csvfeed.parse),
        Feed("decimalfeed", decimalfeed.FEED, decimalfeed.TABLE, decimalfeed.parse),
        Feed("league", "schedule", "raw_schedule", league.parse_schedule),
        Feed("league", "boxscores", "raw_boxscores", league.parse_boxscores),
    )
}

BATCH_ROWS = 500_000
DEFAULT_QUARANTINE_SHARE = 0.01


def quarantine_share_limit() -> float:
    """PROPCAST_MAX_QUARANTINE_SHARE (0..1, default 0.01): above it a load is degraded."""
    raw = os.environ.get("PROPCAST_MAX_QUARANTINE_SHARE", "").strip()
    if not raw:
        return DEFAULT_QUARANTINE_SHARE
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SettingsError(
            f"PROPCAST_MAX_QUARANTINE_SHARE={raw!r} must be a share between 0 and 1 (e.g. 0.01)"
        )
    return value


@dataclass
class IngestReport:
    files_seen: int = 0
    files_skipped: int = 0
    payloads_loaded: int = 0
    payloads_quarantined: int = 0
    rows_loaded: Counter = field(default_factory=Counter)
    rows_quarantined: Counter = field(default_factory=Counter)
    ignored_files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows_loaded.values())

    def quarantine_problem(self, max_share: float | None = None) -> str | None:
        """Why this load counts as degraded: a payload quarantined whole, or more rows
        quarantined than the tolerated share (a few bad rows a day are normal vendor noise)."""
        share_limit = quarantine_share_limit() if max_share is None else max_share
        bad_rows = sum(self.rows_quarantined.values())
        share = bad_rows / max(bad_rows + self.total_rows, 1)
        if self.payloads_quarantined:
            return f"{self.payloads_quarantined} payloads quarantined whole"
        if share > share_limit:
            return f"{bad_rows} rows quarantined ({share:.2%} > {share_limit:.2%} tolerated)"
        return None

    def summary(self) -> str:
        parts = [
            f"{self.files_seen} files seen",
            f"{self.payloads_loaded} new payloads loaded",
            f"{self.files_skipped} already loaded (skipped)",
            f"{self.total_rows:,} rows",
        ]
        if self.payloads_quarantined or self.rows_quarantined:
            parts.append(
                f"{self.payloads_quarantined} payloads and "
                f"{sum(self.rows_quarantined.values())} rows quarantined"
            )
        return ", ".join(parts) + f" in {self.seconds:.1f}s"


def inbox_files(
    home: Home, vendors: set[str] | None = None
) -> tuple[list[tuple[Feed, Path]], list[Path]]:
    known: list[tuple[Feed, Path]] = []
    ignored: list[Path] = []
    if not home.inbox.exists():
        return known, ignored
    for path in sorted(p for p in home.inbox.rglob("*") if p.is_file()):
        parts = path.relative_to(home.inbox).parts
        feed = FEEDS.get((parts[0], parts[1])) if len(parts) >= 3 else None
        if feed is None:
            ignored.append(path)
        elif vendors is None or feed.vendor in vendors:
            known.append((feed, path))
    return known, ignored


class _Batch:
    """Rows and registry entries waiting to be written in one transaction."""

    def __init__(self) -> None:
        self.frames: dict[str, list[pd.DataFrame]] = {}
        self.payloads: list[dict] = []
        self.quarantine: list[dict] = []
        self.rows = 0

    def add_rows(self, table: str, frame: pd.DataFrame) -> None:
        if len(frame):
            self.frames.setdefault(table, []).append(frame)
            self.rows += len(frame)

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        if not self.payloads:
            return
        con.execute("begin transaction")
        try:
            for table, frames in self.frames.items():
                batch = pd.concat(frames, ignore_index=True)
                con.register("_ingest_batch", batch)
                con.execute(f"insert into {RAW_SCHEMA}.{table} by name select * from _ingest_batch")
                con.unregister("_ingest_batch")
            _insert_records(con, "raw_odds_payloads", self.payloads)
            _insert_records(con, "raw_quarantine", self.quarantine)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        self.__init__()


def _insert_records(con: duckdb.DuckDBPyConnection, table: str, records: list[dict]) -> None:
    if records:
        frame = pd.DataFrame.from_records(records)
        con.register("_ingest_records", frame)
        con.execute(f"insert into {RAW_SCHEMA}.{table} by name select * from _ingest_records")
        con.unregister("_ingest_records")


def ingest(
    home: Home,
    *,
    vendors: set[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    loaded_at: datetime | None = None,
) -> IngestReport:
    """Load every not-yet-loaded inbox file of the given vendors (all when None)."""
    started = time.perf_counter()
    report = IngestReport()
    files, ignored = inbox_files(home, vendors)
    report.files_seen = len(files)
    report.ignored_files = [str(p.relative_to(home.inbox)) for p in ignored]
    stamp = loaded_at or utc_now()

    con = connect(home)
    try:
        ensure_raw_schema(con)
        known = {
            h
            for (h,) in con.execute(
                f"select payload_sha256 from {RAW_SCHEMA}.raw_odds_payloads"
            ).fetchall()
        }
        batch = _Batch()
        for done, (feed, path) in enumerate(files, start=1):
            payload = path.read_bytes()
            digest = hashlib.sha256(payload).hexdigest()
            relative = str(path.relative_to(home.inbox))
            if digest in known:
                report.files_skipped += 1
            else:
                known.add(digest)
                _stage_payload(feed, payload, digest, relative, stamp, batch, report)
                if batch.rows >= BATCH_ROWS:
                    batch.flush(con)
            if progress:
                progress(done, len(files))
        batch.flush(con)
    finally:
        con.close()
    report.seconds = time.perf_counter() - started
    return report


def _stage_payload(
    feed: Feed,
    payload: bytes,
    digest: str,
    source_file: str,
    loaded_at: datetime,
    batch: _Batch,
    report: IngestReport,
) -> None:
    registry = {
        "payload_sha256": digest,
        "vendor": feed.vendor,
        "feed": feed.feed,
        "source_file": source_file,
        "loaded_at": loaded_at,
    }
    try:
        parsed = feed.parse(payload)
    except UnparseablePayload as exc:
        failed = {"fetched_at": None, "status": "quarantined", "rows_loaded": 0}
        batch.payloads.append({**registry, **failed, "rows_quarantined": 0, "error": str(exc)})
        batch.quarantine.append(
            {
                "quarantined_at": loaded_at,
                "vendor": feed.vendor,
                "feed": feed.feed,
                "source_file": source_file,
                "payload_sha256": digest,
                "row_number": None,
                "row_text": payload[:2000].decode("utf-8", errors="replace"),
                "reason": str(exc),
            }
        )
        report.payloads_quarantined += 1
        report.problems.append(f"{feed.vendor}: {source_file} quarantined whole: {exc}")
        return

    rows = parsed.rows.assign(
        payload_sha256=digest,
        source_file=source_file,
        fetched_at=parsed.fetched_at,
        loaded_at=loaded_at,
    )
    batch.add_rows(feed.table, rows)
    for bad in parsed.rejected:
        batch.quarantine.append(
            {
                "quarantined_at": loaded_at,
                "vendor": feed.vendor,
                "feed": feed.feed,
                "source_file": source_file,
                "payload_sha256": digest,
                "row_number": bad.row_number,
                "row_text": bad.row_text,
                "reason": bad.reason,
            }
        )
    status = "partial" if parsed.rejected else "loaded"
    batch.payloads.append(
        {
            **registry,
            "fetched_at": parsed.fetched_at,
            "status": status,
            "rows_loaded": len(rows),
            "rows_quarantined": len(parsed.rejected),
            "error": None,
        }
    )
    report.payloads_loaded += 1
    report.rows_loaded[feed.table] += len(rows)
    report.rows_quarantined[feed.table] += len(parsed.rejected)
