"""CSV payloads of a batch read at once by pyarrow, as text, the way one file reads alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv


def read_csv_batch(
    contents: Sequence[bytes],
    columns: list[str],
    optional: Sequence[str] = (),
    needed: Callable[[Sequence[str], Sequence[str]], Sequence[str]] | None = None,
) -> tuple[pd.DataFrame, list[int]]:
    """CSV payloads as one frame of text in `columns` (plus `payload`, the index in `contents`),
    read the way `pd.read_csv(dtype=str, keep_default_na=False)` reads one: empty fields are "",
    blank lines skipped; an `optional` column a file lacks reads as "" unless
    `needed(its league values, its columns)` names it. Second, the payloads pyarrow refuses (a
    missing column, a ragged row, bad UTF-8): parse those one by one so they fail, or load,
    exactly as a single file does."""
    table, refused = read_csv_table(contents, columns, optional, needed)
    return table.drop_columns(["_row"]).to_pandas(), refused


def read_csv_table(
    contents: Sequence[bytes],
    columns: list[str],
    optional: Sequence[str] = (),
    needed: Callable[[Sequence[str], Sequence[str]], Sequence[str]] | None = None,
) -> tuple[pa.Table, list[int]]:
    """CSV payloads as one Arrow table of text in `columns`, `payload` (the index in
    `contents`) and `_row` (a row's place in its file, from 0), and the payloads pyarrow
    refuses; read as `read_csv_batch` documents."""
    read_options = pacsv.ReadOptions(use_threads=False)
    parse_options = pacsv.ParseOptions(newlines_in_values=True)
    convert_options = pacsv.ConvertOptions(
        include_columns=columns,
        # A column the file lacks comes back all null (text read here is never null).
        include_missing_columns=bool(optional),
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
        table = _blank_optional_columns(table, columns, optional, needed)
        if table is None or len(set(table.column_names)) != len(columns):  # or a repeated name
            refused.append(index)
            continue
        tables.append(
            table.append_column("payload", pa.array(np.full(len(table), index))).append_column(
                "_row", pa.array(np.arange(len(table), dtype=np.int64))
            )
        )
    schema = pa.schema(
        [*((c, pa.string()) for c in columns), ("payload", pa.int64()), ("_row", pa.int64())]
    )
    return pa.concat_tables(tables or [schema.empty_table()]), refused


def _blank_optional_columns(
    table: pa.Table,
    columns: list[str],
    optional: Sequence[str],
    needed: Callable[[Sequence[str], Sequence[str]], Sequence[str]] | None,
) -> pa.Table | None:
    """`table` with the optional columns its file lacks as "", or None when it lacks one it
    must carry (the one-file parse then says which). An empty table cannot show what its file
    lacks: None too (a file of no rows is cheap to parse alone)."""
    if not optional:
        return table
    if not len(table):
        return None
    absent = {c for c in columns if table.column(c).null_count}
    if absent - set(optional):
        return None
    if needed is not None:
        present = [c for c in columns if c not in absent]
        if absent & set(needed(table.column("league").unique().to_pylist(), present)):
            return None
    for column in absent:
        table = table.set_column(
            table.column_names.index(column), column, pa.array([""] * len(table), pa.string())
        )
    return table
