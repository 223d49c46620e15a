"""Load inbox files into the raw layer: bulk, idempotent by content hash, bad rows quarantined.

Layout: `inbox/<vendor>/<feed>/<file>`. A payload whose sha256 is in `raw_odds_payloads` is
skipped, so reruns and overlapping backfills never duplicate rows. New payloads are loaded in
batches: each feed's files of a batch are staged together in the warehouse connection (`stage`:
DuckDB reads the JSON feeds, pyarrow the CSV ones, into a temp table whose rows carry the first
check they fail, if any; timestamp and number texts are converted once per distinct text, in
Python, exactly as a file parsed alone converts them), good rows go from there straight into the
raw table, and a file the bulk reader cannot vouch for is parsed alone (`parse`), which
quarantines it whole or loads it. Each batch is written in one transaction with its registry
rows, so a crash cannot leave rows whose payload is unregistered (which a rerun would load again).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from propcast.faults import fault_point
from propcast.ingest_batch import ExaminedFile, NewPayload, RawBatch
from propcast.raw_schema import RAW_SCHEMA, ensure_raw_schema
from propcast.settings import Home, SettingsError
from propcast.timeutil import utc_now
from propcast.vendors import csvfeed, decimalfeed, imports, league, oddsapi, sbr
from propcast.vendors.base import ParsedPayload, Payload
from propcast.vendors.staging import Staged
from propcast.warehouse import connect


@dataclass(frozen=True)
class Feed:
    vendor: str
    feed: str
    table: str
    parse: Callable[[bytes], ParsedPayload]
    stage: Callable[[duckdb.DuckDBPyConnection, Sequence[Payload], str], Staged]


FEEDS: dict[tuple[str, str], Feed] = {
    (f.vendor, f.feed): f
    for f in (
        Feed("oddsapi", oddsapi.FEED, oddsapi.TABLE, oddsapi.parse, oddsapi.stage),
        Feed("csvfeed", csvfeed.FEED, csvfeed.TABLE, csvfeed.parse, csvfeed.stage),
        Feed(
            "decimalfeed",
            decimalfeed.FEED,
            decimalfeed.TABLE,
            decimalfeed.parse,
            decimalfeed.stage,
        ),
        Feed(
            "league",
            "schedule",
            "raw_schedule",
            league.parse_schedule,
            league.stage_schedule,
        ),
        Feed(
            "league",
            "boxscores",
            "raw_boxscores",
            league.parse_boxscores,
            league.stage_boxscores,
        ),
        Feed(
            "league",
            "availability",
            "raw_availability",
            league.parse_availability,
            league.stage_availability,
        ),
        # `propcast import totals|props` (propcast.importer): the user's files, never fetched.
        Feed(
            imports.VENDOR,
            imports.TOTALS_FEED,
            imports.TOTALS_TABLE,
            imports.parse_totals,
            imports.stage_totals,
        ),
        Feed(sbr.VENDOR, sbr.FEED, sbr.TABLE, sbr.parse, sbr.stage),
        Feed(
            imports.VENDOR,
            imports.PROPS_FEED,
            imports.PROPS_TABLE,
            imports.parse_props,
            imports.stage_props,
        ),
    )
}

# New payload bytes per batch (and transaction): ~300k rows of odds, memory stays modest.
BATCH_BYTES = 32 << 20
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
    refused_files: list[str] = field(default_factory=list)  # never read: why (inbox_files)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows_loaded.values())

    def quarantine_problem(self, max_share: float | None = None) -> str | None:
        """Why this load counts as degraded: an inbox entry refused, a payload quarantined
        whole, or more rows quarantined than the tolerated share (a few bad rows a day are
        normal vendor noise)."""
        share_limit = quarantine_share_limit() if max_share is None else max_share
        bad_rows = sum(self.rows_quarantined.values())
        share = bad_rows / max(bad_rows + self.total_rows, 1)
        if self.refused_files:
            return f"{len(self.refused_files)} inbox entries refused: {self.refused_files[0]}"
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
) -> tuple[list[tuple[Feed, Path]], list[Path], list[str]]:
    """The feed files to read, the files ignored (not under a feed's folder), and the entries
    refused, with why (`_refusal`): those are never read."""
    known: list[tuple[Feed, Path]] = []
    ignored: list[Path] = []
    refused: list[str] = []
    if not home.inbox.exists():
        return known, ignored, refused
    for path in sorted(p for p in home.inbox.rglob("*") if p.is_file() or p.is_symlink()):
        why = _refusal(path, home.inbox)
        if why or not path.is_file():  # refused, or a link to a folder inside, or broken
            refused += [why] if why else []
            continue
        parts = path.relative_to(home.inbox).parts
        feed = FEEDS.get((parts[0], parts[1])) if len(parts) >= 3 else None
        if feed is None:
            ignored.append(path)
        elif vendors is None or feed.vendor in vendors:
            known.append((feed, path))
    return known, ignored, refused


def _refusal(path: Path, inbox: Path) -> str | None:
    """Why an inbox entry is not read: a symlink leading out of the inbox (ingest reads the
    inbox and nothing else), or a name that is not UTF-8 (it could not be recorded)."""
    relative = path.relative_to(inbox)
    try:
        str(relative).encode("utf-8")
    except UnicodeEncodeError:
        return f"refused {os.fsencode(relative)!r}: its name is not UTF-8 (not read)"
    if path.is_symlink() and not path.resolve().is_relative_to(inbox.resolve()):
        return f"refused {relative}: a symlink to {path.resolve()}, outside the inbox (not read)"
    return None


def _file_signature(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    new: list[NewPayload],
    loaded_at: datetime,
    report: IngestReport,
    examined: Sequence[ExaminedFile] = (),
) -> None:
    batch = RawBatch(con, loaded_at, examined)
    by_feed: dict[Feed, list[NewPayload]] = {}
    for item in new:
        by_feed.setdefault(item.feed, []).append(item)
    try:
        for feed, items in by_feed.items():
            batch.stage(feed, items, report)
        batch.write()
    finally:
        batch.drop()


def ingest(
    home: Home,
    *,
    vendors: set[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    loaded_at: datetime | None = None,
) -> IngestReport:
    """Load every not-yet-loaded inbox file of the given vendors (all when None).

    `progress(done, total)` is called after each batch (files skipped or loaded so far)."""
    started = time.perf_counter()
    report = IngestReport()
    files, ignored, report.refused_files = inbox_files(home, vendors)
    report.files_seen = len(files)
    report.ignored_files = [str(p.relative_to(home.inbox)) for p in ignored]
    report.problems += report.refused_files
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
        signatures = {
            source_file: (size, mtime_ns)
            for source_file, size, mtime_ns in con.execute(
                f"select source_file, file_bytes, file_mtime_ns from {RAW_SCHEMA}.raw_inbox_files"
            ).fetchall()
        }
        new: list[NewPayload] = []
        examined: list[ExaminedFile] = []
        new_bytes = 0
        for done, (feed, path) in enumerate(files, start=1):
            relative = str(path.relative_to(home.inbox))
            signature = _file_signature(path)
            if signatures.get(relative) == signature:
                # Examined before with this size and mtime: skipped unread. The inbox keeps
                # every file, so hashing all of it each morning would cost more every season.
                report.files_skipped += 1
            else:
                content = path.read_bytes()
                digest = hashlib.sha256(content).hexdigest()
                examined.append(ExaminedFile(relative, *signature, digest))
                if digest in known:
                    report.files_skipped += 1
                else:
                    known.add(digest)
                    new.append(NewPayload(feed, Payload(path, content), digest, relative))
                    fault_point("ingest:file-read")
                    new_bytes += len(content)
            if new_bytes >= BATCH_BYTES or done == len(files):
                _load_batch(con, new, stamp, report, examined)
                fault_point("ingest:batch-written")
                new, examined, new_bytes = [], [], 0
                if progress:
                    progress(done, len(files))
    finally:
        con.close()
    report.seconds = time.perf_counter() - started
    return report


def bulk_read_baseline(paths: Sequence[Path]) -> float:
    """DuckDB alone reading `paths`, in raw rows per second: the ceiling to compare
    `IngestReport.total_rows / seconds` with. Each folder's files are read in one go (CSV with
    `read_csv`; JSON with `read_json`, its nested lists unnested down to the innermost records,
    such as an odds outcome), materialised in memory; no checks, no hashing, no warehouse."""
    folders: dict[tuple[Path, str], list[str]] = {}
    for path in paths:
        folders.setdefault((path.parent, path.suffix.lower()), []).append(str(path))
    rows = 0
    started = time.perf_counter()
    with duckdb.connect() as con:
        for (_, suffix), files in folders.items():
            if suffix == ".csv":
                relation = con.read_csv(files, header=True, all_varchar=True)
            elif suffix == ".json":
                relation = con.sql(
                    "select * from read_json($files, format='unstructured')",
                    params={"files": files},
                )
                relation = _innermost_records(con, relation)
            else:
                continue
            relation.create("baseline_read")
            rows += con.execute("select count(*) from baseline_read").fetchone()[0]
            con.execute("drop table baseline_read")
    return rows / max(time.perf_counter() - started, 1e-9)


def _innermost_records(
    con: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation
) -> duckdb.DuckDBPyRelation:
    """Unnest the first list column, level after level, until the rows hold no list."""
    while True:
        lists = [c for c, t in zip(relation.columns, relation.types, strict=True) if "[]" in str(t)]
        if not lists:
            return relation
        relation = relation.select(f'unnest("{lists[0]}", recursive := true)')
