"""Reading CSV files as people write them: any header case and spacing (a byte-order mark
too), CRLF, quoted fields, `,` `;` tab or `|` delimiters (sniffed), UTF-8 or Windows-1252.

Rows are kept as stripped text with each row's line in the file; a row whose field count does
not fit the header is flagged (not dropped), so the caller refuses it with a reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from propcast.vendors.base import UnparseablePayload
from propcast.vendors.sanity import SHORT_ROW_REASON

DELIMITERS = (",", ";", "\t", "|")
SNIFF_RECORDS = 50
LONG_ROW_REASON = "row has more fields than the header"


@dataclass
class CsvText:
    """A file's rows as stripped text under normalised column names, each row's line number,
    the delimiter, and per row a reason when its field count does not fit the header."""

    frame: pd.DataFrame
    row_numbers: np.ndarray
    delimiter: str
    ragged: pd.Series


def normalize_header(name: str) -> str:
    """`" Game Date "`, `GAME-DATE`, `game date` → `game_date`."""
    name = name.replace("\ufeff", "").strip().strip('"').strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", name).strip("_")


def _decode(payload: bytes) -> str:
    """UTF-8 (a byte-order mark dropped), else Windows-1252 (an Excel export's accents)."""
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return payload.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnparseablePayload(
            f"not a text file (neither UTF-8 nor Windows-1252): {exc}"
        ) from exc


def _sniff(text: str) -> str:
    """The delimiter that splits the header into most columns with the rows agreeing on it."""
    sample = text[: 1 << 16]
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            records = [r for _, r in zip(range(SNIFF_RECORDS), reader, strict=False) if any(r)]
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        body = records[1:-1] or records[1:]  # the sample may cut the last record
        agree = sum(len(r) == width for r in body) / len(body) if body else 1.0
        score = (width > 1, agree, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(text: str, delimiter: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, data records and each record's first line (blank lines and all-empty rows are
    skipped, as a spreadsheet's trailing rows)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    last = 0
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header = record
            else:
                records.append(record)
                lines.append(start)
    except csv.Error as exc:
        raise UnparseablePayload(f"not a readable CSV file (line {last + 1}): {exc}") from exc
    if header is None:
        raise UnparseablePayload("the file is empty (no header line)")
    return header, records, lines


def read_table(payload: bytes) -> CsvText:
    """A CSV payload as text; raises UnparseablePayload when it is not one."""
    text = _decode(payload)
    delimiter = _sniff(text)
    header, records, lines = _records(text, delimiter)
    names = [normalize_header(h) or f"_unnamed_{i}" for i, h in enumerate(header)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UnparseablePayload(f"the header repeats columns {repeated}")
    width = len(names)
    ragged = pd.Series([None] * len(records), dtype=object)
    for index, record in enumerate(records):
        if len(record) < width:
            ragged[index] = SHORT_ROW_REASON
            record.extend([""] * (width - len(record)))
        elif len(record) > width:
            if any(field.strip() for field in record[width:]):
                ragged[index] = LONG_ROW_REASON
            del record[width:]
    # Arrow-backed text: the column-wise string checks run in Arrow's kernels, not per value.
    columns = zip(*records, strict=True) if records else [()] * width
    frame = pd.DataFrame(
        {
            name: pd.Series(values, dtype="str").str.strip()
            for name, values in zip(names, columns, strict=True)
        }
    )
    return CsvText(frame, np.asarray(lines, dtype=np.int64), delimiter, ragged)


def missing_columns(columns: Sequence[str], required: Sequence[str]) -> list[str]:
    return [c for c in required if c not in columns]


def header_columns(payload: bytes) -> list[str]:
    """The file's column names, normalised (raises UnparseablePayload when it is no CSV)."""
    text = _decode(payload)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text))
    try:
        header = next((r for r in reader if any(f.strip() for f in r)), None)
    except csv.Error as exc:
        raise UnparseablePayload(f"not a readable CSV file: {exc}") from exc
    if header is None:
        raise UnparseablePayload("the file is empty (no header line)")
    return [n for n in map(normalize_header, header) if n]
