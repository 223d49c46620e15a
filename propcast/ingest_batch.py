"""One ingest batch: staged rows, registry and quarantine rows, written in one transaction.

`propcast.ingest` finds the new inbox files and hands each batch here. A feed's payloads are
staged together in DuckDB; the files the bulk reader cannot vouch for are parsed alone; `write`
then inserts the rows, the payloads' registry rows and the files' signatures in one transaction,
so a crash cannot leave rows whose payload is unregistered (which a rerun would load again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from propcast.faults import fault_point
from propcast.raw_schema import RAW_SCHEMA
from propcast.vendors.base import ParsedPayload, Payload, UnparseablePayload, rejected_frame
from propcast.vendors.staging import Staged, scannable

if TYPE_CHECKING:
    from propcast.ingest import Feed, IngestReport


@dataclass(frozen=True)
class NewPayload:
    feed: Feed
    payload: Payload
    digest: str
    source_file: str


@dataclass(frozen=True)
class ExaminedFile:
    """An inbox file read and hashed: its (size, mtime) as seen before it was read."""

    source_file: str
    file_bytes: int
    file_mtime_ns: int
    payload_sha256: str


class RawBatch:
    """Staged rows and registry entries waiting to be written in one transaction."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        loaded_at: datetime,
        examined: Sequence[ExaminedFile] = (),
    ) -> None:
        self.con = con
        self.loaded_at = loaded_at
        self.examined = list(examined)
        # Per feed: its staged temp table and the payloads whose rows it loads (Arrow).
        self.staged: list[tuple[Feed, Staged, pa.Table]] = []
        self.rows: dict[str, list[pd.DataFrame]] = {}  # files parsed alone
        self.registry: list[pd.DataFrame] = []
        self.quarantine: list[pd.DataFrame] = []

    def stage(self, feed: Feed, items: list[NewPayload], report: IngestReport) -> None:
        """Stage one feed's new payloads together (in DuckDB) and what they load and refuse."""
        staged = feed.stage(
            self.con, [item.payload for item in items], f"_stage_{feed.vendor}_{feed.feed}"
        )
        digests = np.array([item.digest for item in items], dtype=object)
        sources = np.array([item.source_file for item in items], dtype=object)
        self.staged.append((feed, staged, _bulk_payloads(staged, digests, sources)))
        rows_per_payload = np.zeros(len(items), dtype=np.int64)
        for payload, rows in self.con.execute(
            f"select payload, count(*) from {staged.table} where reason is null group by payload"
        ).fetchall():
            rows_per_payload[payload] = rows

        fetched_at = dict(staged.fetched_at)
        rejected = [staged.rejected]
        quarantined: dict[int, str] = {}
        for index in staged.one_by_one(len(items)):
            try:
                parsed = feed.parse(items[index].payload.content)
            except UnparseablePayload as exc:
                quarantined[index] = str(exc)
                continue
            fetched_at[index] = parsed.fetched_at
            rows_per_payload[index] += len(parsed.rows)
            if len(parsed.rows):
                self.rows.setdefault(feed.table, []).append(
                    self._stamped(parsed, digests[index], sources[index])
                )
            rejected.append(
                rejected_frame(
                    [index] * len(parsed.rejected),
                    [r.row_number for r in parsed.rejected],
                    [r.row_text for r in parsed.rejected],
                    [r.reason for r in parsed.rejected],
                )
            )
        rejected_rows = pd.concat(rejected, ignore_index=True)
        at = rejected_rows["payload"].to_numpy(dtype=np.int64)
        self.quarantine.append(
            pd.DataFrame(
                {
                    "quarantined_at": self.loaded_at,
                    "vendor": feed.vendor,
                    "feed": feed.feed,
                    "source_file": sources[at],
                    "payload_sha256": digests[at],
                    "row_number": rejected_rows["row_number"].to_numpy(),
                    "row_text": rejected_rows["row_text"].to_numpy(),
                    "reason": rejected_rows["reason"].to_numpy(),
                }
            )
        )
        rejected_per_payload = np.bincount(at, minlength=len(items))
        self._register(feed, fetched_at, (rows_per_payload, rejected_per_payload), digests, sources)
        if fetched_at:
            report.payloads_loaded += len(fetched_at)
            report.rows_loaded[feed.table] += int(rows_per_payload.sum())
            report.rows_quarantined[feed.table] += len(rejected_rows)

        for index, error in quarantined.items():
            self._quarantine_whole(feed, items[index], error, report)

    def _stamped(self, parsed: ParsedPayload, digest: str, source_file: str) -> pd.DataFrame:
        """A file parsed alone: its good rows with the payload's provenance columns."""
        fetched = pd.Series([parsed.fetched_at] * len(parsed.rows), dtype="datetime64[us]")
        return parsed.rows.assign(
            payload_sha256=digest,
            source_file=source_file,
            fetched_at=fetched.to_numpy(),
            loaded_at=self.loaded_at,
        )

    def _register(
        self,
        feed: Feed,
        fetched_at: dict[int, datetime],
        counts: tuple[np.ndarray, np.ndarray],
        digests: np.ndarray,
        sources: np.ndarray,
    ) -> None:
        """The registry rows of the payloads that loaded (`counts`: rows loaded and rows
        quarantined, per payload); a payload with a quarantined row is `partial`."""
        rows_loaded, rows_quarantined = counts
        loaded = sorted(fetched_at)
        fetched = pd.Series(fetched_at, dtype="datetime64[us]")
        self.registry.append(
            pd.DataFrame(
                {
                    "payload_sha256": digests[loaded],
                    "vendor": feed.vendor,
                    "feed": feed.feed,
                    "source_file": sources[loaded],
                    "fetched_at": fetched.reindex(loaded).to_numpy(),
                    "loaded_at": self.loaded_at,
                    "status": np.where(rows_quarantined[loaded] > 0, "partial", "loaded"),
                    "rows_loaded": rows_loaded[loaded],
                    "rows_quarantined": rows_quarantined[loaded],
                    "error": None,
                }
            )
        )

    def _quarantine_whole(
        self, feed: Feed, item: NewPayload, error: str, report: IngestReport
    ) -> None:
        common = {"vendor": feed.vendor, "feed": feed.feed, "source_file": item.source_file}
        self.registry.append(
            pd.DataFrame(
                [
                    {
                        "payload_sha256": item.digest,
                        **common,
                        "fetched_at": None,
                        "loaded_at": self.loaded_at,
                        "status": "quarantined",
                        "rows_loaded": 0,
                        "rows_quarantined": 0,
                        "error": error,
                    }
                ]
            )
        )
        self.quarantine.append(
            pd.DataFrame(
                [
                    {
                        "quarantined_at": self.loaded_at,
                        **common,
                        "payload_sha256": item.digest,
                        "row_number": None,
                        "row_text": item.payload.content[:2000].decode("utf-8", errors="replace"),
                        "reason": error,
                    }
                ]
            )
        )
        report.payloads_quarantined += 1
        report.problems.append(f"{feed.vendor}: {item.source_file} quarantined whole: {error}")

    def drop(self) -> None:
        for _, staged, _ in self.staged:
            self.con.execute(f"drop table if exists {staged.table}")

    def write(self) -> None:
        if not self.registry and not self.examined:
            return
        con = self.con
        tables = {
            table: pd.concat(frames, ignore_index=True) for table, frames in self.rows.items()
        }
        if self.registry:
            tables["raw_odds_payloads"] = pd.concat(self.registry, ignore_index=True)
            quarantine = pd.concat(self.quarantine, ignore_index=True)
            tables["raw_quarantine"] = quarantine.astype({"row_number": "Int64"})
        fault_point("ingest:before-transaction")
        con.execute("begin transaction")
        try:
            for feed, staged, payloads in self.staged:
                con.register("_ingest_payloads", payloads)
                con.execute(
                    f"insert into {RAW_SCHEMA}.{feed.table} by name "
                    "select s.* exclude (payload, row_number, reason), p.payload_sha256, "
                    "p.source_file, p.fetched_at, $loaded_at::timestamp as loaded_at "
                    f"from {staged.table} s join _ingest_payloads p on s.payload = p.payload "
                    "where s.reason is null",
                    {"loaded_at": self.loaded_at},
                )
                con.unregister("_ingest_payloads")
            fault_point("ingest:txn:after-bulk-rows")
            for table, frame in tables.items():
                if len(frame):
                    con.register("_ingest_batch", scannable(frame))
                    con.execute(
                        f"insert into {RAW_SCHEMA}.{table} by name select * from _ingest_batch"
                    )
                    con.unregister("_ingest_batch")
                    fault_point(f"ingest:txn:after-{table}")
            fault_point("ingest:txn:before-signatures")
            self._record_examined()
            fault_point("ingest:txn:before-commit")
            con.execute("commit")
            fault_point("ingest:after-commit")
        except Exception:
            con.execute("rollback")
            raise

    def _record_examined(self) -> None:
        """In the batch's transaction: a file's signature is recorded only with its rows."""
        if not self.examined:
            return
        frame = pd.DataFrame([vars(f) for f in self.examined]).assign(examined_at=self.loaded_at)
        self.con.register("_ingest_examined", frame)
        self.con.execute(
            f"insert or replace into {RAW_SCHEMA}.raw_inbox_files by name "
            "select * from _ingest_examined"
        )
        self.con.unregister("_ingest_examined")


def _bulk_payloads(staged: Staged, digests: np.ndarray, sources: np.ndarray) -> pa.Table:
    """The payloads whose rows the staged table loads, with their provenance (Arrow)."""
    bulk = sorted(staged.fetched_at)
    return pa.table(
        {
            "payload": pa.array(bulk, pa.int64()),
            "payload_sha256": pa.array(digests[bulk].tolist(), pa.string()),
            "source_file": pa.array(sources[bulk].tolist(), pa.string()),
            "fetched_at": pa.array([staged.fetched_at[i] for i in bulk], pa.timestamp("us")),
        }
    )
