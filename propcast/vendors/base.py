"""What every vendor adapter returns, and the column-wise row checks they share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

T = TypeVar("T")


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


def read_in_halves(read: Callable[[list], T], items: list) -> tuple[list[T], list]:
    """`read(items)` at once; when DuckDB refuses the lot, the halves, down to single items it
    refuses alone (returned second), so one broken file costs a few re-reads, not the batch."""
    try:
        return [read(items)], []
    except (duckdb.InvalidInputException, duckdb.ConversionException):
        if len(items) == 1:
            return [], items
    middle = len(items) // 2
    first, first_refused = read_in_halves(read, items[:middle])
    second, second_refused = read_in_halves(read, items[middle:])
    return first + second, first_refused + second_refused


def read_csv_batch(contents: Sequence[bytes], columns: list[str]) -> tuple[pd.DataFrame, list[int]]:
    """CSV payloads as one frame of text in `columns` (plus `payload`, the index in `contents`),
    read the way `pd.read_csv(dtype=str, keep_default_na=False)` reads one: empty fields are "",
    blank lines skipped. Second, the payloads pyarrow refuses (a missing column, a ragged row,
    bad UTF-8): parse those one by one so they fail, or load, exactly as a single file does."""
    read_options = pacsv.ReadOptions(use_threads=False)
    parse_options = pacsv.ParseOptions(newlines_in_values=True)
    convert_options = pacsv.ConvertOptions(
        include_columns=columns,
        column_types=dict.fromkeys(columns, pa.string()),
        strings_can_be_null=False,
    )
    tables, refused = [], []
    for index, content in enumerate(contents):
        try:
            table = pacsv.read_csv(
                pa.py_buffer(content),
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
        except (pa.ArrowInvalid, pa.ArrowKeyError):
            refused.append(index)
            continue
        if len(set(table.column_names)) != len(columns):  # a repeated header name
            refused.append(index)
            continue
        tables.append(table.append_column("payload", pa.array(np.full(len(table), index))))
    schema = pa.schema([*((c, pa.string()) for c in columns), ("payload", pa.int64())])
    return pa.concat_tables(tables or [schema.empty_table()]).to_pandas(), refused


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
    ends = [*starts[1:], len(raw)]
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


# JSON leaves read as JSON are typed the way Python's `json` types them: a number is a number
# (never the text "110"), a timestamp must be a string.
JSON_MACROS = """
    create or replace temp macro json_text(value) as
        case when json_type(value) = 'VARCHAR' then value ->> '$' end;
    create or replace temp macro json_number(value) as
        case when json_type(value) in ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')
        then value::double end;
"""
MAX_JSON_BYTES = 1 << 28


def read_json_docs(paths: list[Path], columns: dict) -> str:
    """SQL reading `paths` (one JSON document each) with `columns` typed, plus `filename`."""
    spec = "{" + ", ".join(f"{name!r}: {kind!r}" for name, kind in columns.items()) + "}"
    files = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
    return (
        f"read_json({files}, columns={spec}, format='unstructured', filename=true, "
        f"maximum_object_size={MAX_JSON_BYTES})"
    )


def frame_of(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """A query result as pandas, through Arrow (faster here than `.df()` for text columns)."""
    return relation.to_arrow_table().to_pandas()
