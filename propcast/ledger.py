"""The ledger of placed bets: its raw tables, loading a parsed file, and the build after it.

`raw.raw_ledger__placed_bets` is append-only, one row per placed bet keyed by its content hash
(`bet_hash`): re-importing a file, or an export overlapping an earlier one, adds nothing.
`raw.raw_ledger__imports` registers each file (payload hash) with its counts. Refused rows are
written to PROPCAST_HOME/outputs/ledger/<file>.<hash>.quarantine.csv (line, reason, row).
Then dbt builds the ledger models (`source:ledger+`): stg_ledger__placed_bets,
int_ledger_bets_matched, fct_bet_ledger. The caller holds the writer lock.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # pandas and dbt load only when a file is imported
    from propcast.bet_import import ParsedBets
    from propcast.dbt_runner import Dbt
    from propcast.pipeline import BuildSummary
    from propcast.settings import Home

LEDGER_TABLES: dict[str, str] = {
    "raw_ledger__placed_bets": """
        bet_hash varchar primary key,
        payload_sha256 varchar not null,
        source_file varchar not null,
        book_format varchar not null,
        loaded_at timestamp not null,
        row_number integer,
        bet_id varchar,
        game_date date not null,
        league varchar not null,
        book varchar not null,
        market varchar not null,
        subject varchar not null,
        event varchar,
        side varchar not null,
        line double not null,
        price_american double,
        price_decimal double,
        stake double not null,
        book_status varchar
    """,
    "raw_ledger__imports": """
        payload_sha256 varchar primary key,
        source_file varchar not null,
        book_format varchar not null,
        loaded_at timestamp not null,
        rows_read integer not null,
        rows_loaded integer not null,
        rows_known integer not null,
        rows_quarantined integer not null
    """,
}
BUILD_SELECT = ["source:ledger+"]


def ensure_ledger_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger's raw tables when missing (called with the other raw tables)."""
    con.execute("create schema if not exists raw")
    for table, columns in LEDGER_TABLES.items():
        con.execute(f"create table if not exists raw.{table} ({columns})")


@dataclass
class LedgerLoad:
    file: str
    payload_sha256: str
    book_format: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_known: int = 0  # bets already in the ledger (an overlapping export, `bets add` again)
    rows_quarantined: int = 0
    already_imported: bool = False
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    quarantine_file: str | None = None
    game_dates: tuple[date | None, date | None] = (None, None)
    build: BuildSummary | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "payload_sha256": self.payload_sha256,
            "book_format": self.book_format,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_already_in_ledger": self.rows_known,
            "rows_quarantined": self.rows_quarantined,
            "already_imported": self.already_imported,
            "quarantine_reasons": self.quarantine_reasons,
            "quarantine_file": self.quarantine_file,
            "first_game_date": str(self.game_dates[0]) if self.game_dates[0] else None,
            "last_game_date": str(self.game_dates[1]) if self.game_dates[1] else None,
            "built": self.build is not None and self.build.result.success,
        }


def load_bets(home: Home, label: str, content: bytes, parsed: ParsedBets) -> LedgerLoad:
    """Append the parsed bets not yet in the ledger (one transaction) and register the file."""
    from propcast.bet_import import RAW_COLUMNS
    from propcast.timeutil import utc_now
    from propcast.warehouse import connect

    digest = hashlib.sha256(content).hexdigest()
    result = LedgerLoad(label, digest, parsed.book_format, parsed.rows_read)
    now = utc_now()
    rows = parsed.rows.assign(
        payload_sha256=digest, source_file=label, book_format=parsed.book_format, loaded_at=now
    )
    columns = ["payload_sha256", "source_file", "book_format", "loaded_at", *RAW_COLUMNS]
    with connect(home) as con:
        ensure_ledger_tables(con)
        if con.execute(
            "select 1 from raw.raw_ledger__imports where payload_sha256 = ?", [digest]
        ).fetchone():
            result.already_imported = True
            result.rows_known = len(rows)
        else:
            result.rows_loaded, result.rows_known = _append(con, rows[columns], parsed, result, now)
        if len(rows):
            result.game_dates = (min(rows["game_date"]), max(rows["game_date"]))
    if parsed.rejected:
        result.quarantine_file = str(_write_quarantine(home, label, digest, parsed))
    if not result.already_imported:  # the first import reported them (as `propcast import`)
        result.rows_quarantined = len(parsed.rejected)
        result.quarantine_reasons = dict(Counter(_reason_class(r.reason) for r in parsed.rejected))
    return result


def _append(
    con: duckdb.DuckDBPyConnection, rows: Any, parsed: ParsedBets, result: LedgerLoad, now: Any
) -> tuple[int, int]:
    """Insert the new bets and the file's registry row together; (loaded, already known)."""
    con.register("_ledger_rows", rows)
    try:
        con.execute("begin")
        before = con.execute("select count(*) from raw.raw_ledger__placed_bets").fetchone()[0]
        con.execute(
            f"insert into raw.raw_ledger__placed_bets ({', '.join(rows.columns)}) "
            f"select {', '.join(rows.columns)} from _ledger_rows "
            "where bet_hash not in (select bet_hash from raw.raw_ledger__placed_bets)"
        )
        after = con.execute("select count(*) from raw.raw_ledger__placed_bets").fetchone()[0]
        loaded = int(after - before)
        con.execute(
            "insert into raw.raw_ledger__imports values (?, ?, ?, ?, ?, ?, ?, ?)",
            [result.payload_sha256, result.file, parsed.book_format, now, parsed.rows_read,
             loaded, len(rows) - loaded, len(parsed.rejected)],
        )  # fmt: skip
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("_ledger_rows")
    return loaded, len(rows) - loaded


def _reason_class(reason: str) -> str:
    return "exact duplicate of an earlier row" if reason.startswith("exact duplicate") else reason


def _write_quarantine(home: Home, label: str, digest: str, parsed: ParsedBets) -> Path:
    import pandas as pd

    stem = re.sub(r"[^0-9A-Za-z_-]+", "_", Path(label).stem).strip("_")[:60] or "bets"
    out = home.outputs / "ledger" / f"{stem}.{digest[:16]}.quarantine.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        [(r.row_number, r.reason, r.row_text) for r in parsed.rejected],
        columns=["row_number", "reason", "row_text"],
    )
    frame.to_csv(out, index=False)
    return out


def build_ledger(home: Home, dbt: Dbt | None = None) -> BuildSummary:
    """One `dbt build` of the ledger models (their parents are the daily build's tables)."""
    from propcast.dbt_runner import Dbt
    from propcast.pipeline import BuildSummary, table_rows
    from propcast.timeutil import today_in_slate_tz

    today = today_in_slate_tz()
    result = (dbt or Dbt(home)).invoke(
        ["build", "--select", *BUILD_SELECT], run_vars={"run_date": today.isoformat()}
    )
    return BuildSummary(run_date=today, result=result, tables=table_rows(home))


def match_summary(home: Home, dates: tuple[date | None, date | None]) -> dict[str, Any]:
    """The ledger's placed bets of these dates: how many followed a recommendation and why the
    others did not (match_status), and the books no seed row names."""
    from propcast.warehouse import connect

    if dates[0] is None:
        return {"statuses": {}, "unknown_books": {}}
    with connect(home) as con:
        statuses = con.execute(
            "select match_status, count(*) from main.fct_bet_ledger "
            "where is_placed and game_date between ? and ? group by 1 order by 2 desc, 1",
            [dates[0], dates[1]],
        ).fetchall()
        books = con.execute(
            "select vendor_book, count(*) from main.fct_bet_ledger "
            "where is_placed and not is_book_known and game_date between ? and ? "
            "group by 1 order by 2 desc, 1",
            [dates[0], dates[1]],
        ).fetchall()
    return {
        "statuses": {status: int(n) for status, n in statuses},
        "unknown_books": {book: int(n) for book, n in books},
    }
