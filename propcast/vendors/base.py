"""What every vendor adapter returns, and the column-wise row checks they share.

A batch of payloads is staged in DuckDB (`propcast.vendors.staging`; CSV read by pyarrow,
`propcast.vendors.csv_batch`); a payload the bulk reader cannot vouch for is parsed alone, in
pandas, with the helpers here, and both paths refuse a row for the same reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from propcast.vendors.sanity import NOT_UNICODE, holds_bad_text, later_duplicates


class UnparseablePayload(ValueError):
    """The whole payload is unusable (not JSON/CSV, wrong shape): it is quarantined whole."""


@dataclass
class RejectedRow:
    row_number: int
    row_text: str
    reason: str


@dataclass
class ParsedPayload:
    """Rows ready for the raw table (vendor columns + `game_date`) and the rows refused."""

    fetched_at: datetime | None
    rows: pd.DataFrame
    rejected: list[RejectedRow] = field(default_factory=list)


Check = tuple[pd.Series | np.ndarray, str]


def first_failure(length: int, checks: Sequence[Check]) -> pd.Series:
    """Per row, the reason of the first check it fails (None when it passes them all).

    Checks are boolean masks in priority order; evaluating them column-wise is what keeps
    ingestion fast (a Python function per row costs more than the rest of the load).
    """
    reasons = pd.Series([None] * length, dtype=object)
    for mask, reason in reversed(checks):
        reasons[np.asarray(mask, dtype=bool)] = reason
    return reasons


def blank(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip() == ""


def is_game_total(values: pd.Series, spelling: str) -> pd.Series:
    """Rows whose market (trimmed, case-insensitive) is the vendor's game-total spelling."""
    return values.fillna("").astype(str).str.strip().str.lower() == spelling.lower()


def is_game_total_sql(column: str, spelling: str) -> str:
    """`is_game_total` as a SQL condition over text column `column`."""
    return f"coalesce(lower(trim({column})), '') = '{spelling.lower()}'"


def split_rejected(
    frame: pd.DataFrame, reasons: pd.Series, row_text, first_row_number: int = 1
) -> tuple[pd.DataFrame, list[RejectedRow]]:
    """Good rows, and the bad ones as quarantine records (`row_text(i)` renders row i)."""
    bad = reasons.notna().to_numpy()
    rejected = [
        RejectedRow(int(i) + first_row_number, row_text(int(i)), str(reasons.iloc[i]))
        for i in np.flatnonzero(bad)
    ]
    return frame.loc[~bad].reset_index(drop=True), rejected


class Walked(NamedTuple):
    """A row of a JSON document, walked in document order (its place is its row number)."""

    record: tuple  # the raw columns' values
    shown: object  # what its quarantine text shows
    problem: str | None  # a shape problem that refuses it whatever its values


def parse_walked(
    walked: Iterable[Walked],
    columns: Sequence[str],
    checks: Callable[[pd.DataFrame], Sequence[Check]],
    key: Sequence[str],
    duplicate: str,
) -> tuple[pd.DataFrame, list[RejectedRow]]:
    """A JSON document's walked rows checked column-wise (`checks(frame)`): its good rows and
    the refused ones. A shape problem, then text no column can hold, refuses a row before its
    values are checked; a row repeating an earlier good row's `key` is refused as `duplicate`."""
    walked = list(walked)
    records, problems = [], []
    for row in walked:
        record, problem = row.record, row.problem
        if holds_bad_text(record):
            record, problem = (None,) * len(columns), problem or NOT_UNICODE
        records.append(record)
        problems.append(problem)
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    reasons = first_failure(len(frame), checks(frame))
    shape = pd.Series(problems, dtype=object)
    reasons = reasons.where(shape.isna(), shape)
    reasons[later_duplicates(frame, reasons, key)] = duplicate
    return split_rejected(frame, reasons, lambda i: json.dumps(walked[i].shown, default=str))


def numeric(values: pd.Series) -> pd.Series:
    """Numbers stay numbers (as float); text, booleans and missing values become NaN."""
    if pd.api.types.is_float_dtype(values.dtype):  # already numbers (a bulk read types them)
        return values.astype("float64")
    return pd.Series(
        [v if isinstance(v, int | float) and not isinstance(v, bool) else np.nan for v in values],
        index=values.index,
        dtype="float64",
    )


@dataclass(frozen=True)
class Payload:
    """An inbox file to parse: JSON is read by DuckDB from `path`, CSV by pyarrow from `content`."""

    path: Path
    content: bytes


@dataclass
class BatchParse:
    """Many payloads of one feed parsed at once (`parse_batch`); payloads are named by their index
    in the batch.

    `rows` holds the good rows (a `payload` column, then the raw table's vendor
    columns and `game_date`); `rejected` the refused rows (`payload`, `row_number`, `row_text`,
    `reason`). Payloads missing from `fetched_at` did not fit the bulk reader (broken, or shaped
    oddly): parse those one by one with the vendor's `parse`, which quarantines or loads them.
    """

    fetched_at: dict[int, datetime]
    rows: pd.DataFrame
    rejected: pd.DataFrame

    def one_by_one(self, payload_count: int) -> list[int]:
        return [i for i in range(payload_count) if i not in self.fetched_at]

    def include(self, payload: int, parsed: ParsedPayload) -> None:
        """Add a payload parsed alone (see `one_by_one`)."""
        self.fetched_at[payload] = parsed.fetched_at
        rejected = rejected_frame(
            [payload] * len(parsed.rejected),
            [r.row_number for r in parsed.rejected],
            [r.row_text for r in parsed.rejected],
            [r.reason for r in parsed.rejected],
        )
        rows = parsed.rows.assign(payload=payload)
        self.rows = pd.concat([self.rows, rows], ignore_index=True) if len(self.rows) else rows
        self.rejected = pd.concat([self.rejected, rejected], ignore_index=True)


REJECTED_COLUMNS = ["payload", "row_number", "row_text", "reason"]


def rejected_frame(payloads, row_numbers, row_texts, reasons) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"payload": payloads, "row_number": row_numbers, "row_text": row_texts, "reason": reasons},
        columns=REJECTED_COLUMNS,
    )
    return frame.astype({"payload": "int64", "row_number": "int64"})


def parse_distinct(values: pd.Series, parse: Callable[[str], object]) -> pd.Series:
    """`parse` applied to each distinct value once: a batch repeats a few thousand timestamps
    over hundreds of thousands of rows."""
    parsed = {value: parse(value) for value in values.dropna().unique()}
    return values.map(parsed)


def rejected_rows(
    raw: pd.DataFrame,
    typed: pd.DataFrame,
    reasons: pd.Series,
    number_columns: Sequence[str],
    first_row_number: int,
) -> pd.DataFrame:
    """The refused rows of a batch of CSV payloads as quarantine records. `raw` is the text (with
    `payload`; each file's rows together, in file order), `typed` the same rows typed; a row's
    text is its typed row as its file parsed alone shows it: `pd.to_numeric` types a column per
    file (a file of whole numbers holds ints, so `-40`, not `-40.0`), so `number_columns` are
    typed again per affected file."""
    is_bad = reasons.notna().to_numpy()
    payloads = raw["payload"].to_numpy()
    starts = np.flatnonzero(np.r_[True, payloads[1:] != payloads[:-1]]) if len(raw) else []
    ends = [*starts[1:], len(raw)] if len(raw) else []
    records: list[tuple] = []
    for start, end in zip(starts, ends, strict=True):
        positions = np.flatnonzero(is_bad[start:end])
        if not len(positions):
            continue
        alone = typed.iloc[start:end].reset_index(drop=True)
        for column in number_columns:
            text = raw[column].iloc[start:end].reset_index(drop=True)
            alone[column] = pd.to_numeric(text.replace("", None), errors="coerce")
        records += [
            (
                payloads[start],
                p + first_row_number,
                alone.iloc[p].to_json(),
                reasons.iloc[start + p],
            )
            for p in positions
        ]
    return rejected_frame(*(zip(*records, strict=True) if records else ([], [], [], [])))
