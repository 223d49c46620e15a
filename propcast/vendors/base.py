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

from propcast.vendors.sanity import (
    flag_duplicates_sql,
    plausible_stamp,
    register_snapshots,
    within_years,
)

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


# Game totals ride in the prop feeds (issue 10): a row of a vendor's total market names no
# player, so the "player missing" check spares it; everything else is checked as for a prop.
# Each vendor spells the market its own way (its module's GAME_TOTAL; the warehouse maps the
# spelling to market `game_total` through seeds/market_aliases.csv).


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


def read_json_docs(columns: dict) -> str:
    """SQL reading the JSON files (one document each) whose paths the statement's one bound
    parameter lists (file names are data: never spliced into SQL), with `columns` typed, plus
    `filename` (the path as given)."""
    spec = "{" + ", ".join(f"{name!r}: {kind!r}" for name, kind in columns.items()) + "}"
    return (
        f"read_json(?, columns={spec}, format='unstructured', filename=true, "
        f"maximum_object_size={MAX_JSON_BYTES})"
    )


def frame_of(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """A query result as pandas, through Arrow (faster here than `.df()` for text columns)."""
    return relation.to_arrow_table().to_pandas()


# Staging in DuckDB: a feed's payloads of a batch become one temp table of checked rows, so the
# good rows go from the bulk reader to the raw table without a round trip through pandas.

# The characters Python's `str.isspace` (and pandas' `str.strip`) treat as whitespace: a text is
# blank when it holds nothing else.
_SPACE_CLASS = "".join(f"\\x{{{i:x}}}" for i in range(0x110000) if chr(i).isspace())
SQL_MACROS = (
    JSON_MACROS
    + f"""
    create or replace temp macro is_blank(value) as
        coalesce(regexp_full_match(value, '[{_SPACE_CLASS}]*'), true);
"""
)


@dataclass
class Staged:
    """A feed's payloads of a batch staged in DuckDB (`stage`): temp table `table` holds one row
    per row read, `payload` (index in the batch), `row_number`, the raw table's vendor columns and
    `game_date` (set for good rows), and `reason` (null for a good row, else why it is refused).
    `rejected` holds the refused rows as quarantine records (`REJECTED_COLUMNS`). Payloads missing
    from `fetched_at` did not fit the bulk reader: parse those alone with the vendor's `parse`."""

    fetched_at: dict[int, datetime]
    table: str
    rejected: pd.DataFrame

    def one_by_one(self, payload_count: int) -> list[int]:
        return [i for i in range(payload_count) if i not in self.fetched_at]

    def good_rows(self, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        """The good rows as pandas (`payload`, then the raw columns)."""
        return frame_of(
            con.sql(f"select * exclude (row_number, reason) from {self.table} where reason is null")
        )


def register_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """`frame` as temp table `table` of `con`: through Arrow when the frame converts (DuckDB scans
    it about twice as fast as pandas), else as pandas (a column mixing Python types)."""
    try:
        scannable = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        scannable = frame
    con.register("_staging_frame", scannable)
    try:
        con.execute(f"create or replace temp table {table} as select * from _staging_frame")
    finally:
        con.unregister("_staging_frame")


def map_texts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    texts_sql: str,
    parse: Callable[[pd.Series], Sequence],
) -> None:
    """Temp table `table(text, ts, slate)`: each distinct timestamp text of `texts_sql` parsed
    once in Python by the column-wise `parse` (exactly as a file parsed alone parses it), with
    its slate date."""
    from propcast.timeutil import slate_date

    texts = pd.Series([t for (t,) in con.execute(texts_sql).fetchall() if t is not None])
    stamps = pd.Series(list(parse(texts.astype(object))), dtype="datetime64[us]")
    slates = slate_date(within_years(stamps))  # a year-1 time has no US/Eastern date
    register_frame(
        con,
        table,
        pd.DataFrame(
            {
                "text": pd.Series(texts, dtype=object),
                "ts": stamps,
                "slate": pd.Series([d if pd.notna(d) else None for d in slates], dtype=object),
            }
        ),
    )
    con.execute(
        f"create or replace temp table {table} as "
        f"select text::varchar as text, ts::timestamp as ts, slate::date as slate from {table}"
    )


@dataclass(frozen=True)
class JsonFeedSql:
    """How a JSON feed is staged: the document's columns, the payload's timestamp field, the SQL
    that flags documents the bulk read cannot vouch for (`holes`), the SQL flattening `documents`
    into numbered rows, the timestamp columns (parsed with `parse_utc`; `slate_from` gives
    `game_date`), the raw columns in order, and the checks (SQL conditions with their reasons, in
    priority order, over the typed columns and `_snapshot`, the payload's timestamp)."""

    document: dict
    stamp: str
    holes: str
    flatten: str
    timestamps: tuple[str, ...]
    slate_from: str
    columns: list[str]
    checks: list[tuple[str, str]]
    key: tuple[str, ...] = ()  # a row repeating an earlier good row's key is refused ...
    duplicate: str = ""  # ... with this reason (vendors.sanity)


def stage_json(
    con: duckdb.DuckDBPyConnection,
    payloads: Sequence[Payload],
    spec: JsonFeedSql,
    name: str,
    rejected: Callable[[Sequence[Payload], pd.DataFrame], pd.DataFrame],
) -> Staged:
    """Read `payloads` (JSON files) into temp table `name` with `spec`. The refused rows
    (payload, row_number, reason) become quarantine records through the vendor's `rejected`,
    which renders their text as its single-file `parse` does."""
    from propcast.timeutil import parse_utc

    con.execute(SQL_MACROS)
    docs, flat, stamps, snapshots = f"{name}_docs", f"{name}_flat", f"{name}_ts", f"{name}_snap"
    columns = ", ".join(f'"{c}" {t}' for c, t in spec.document.items())
    con.execute(f"create or replace temp table {docs} (payload bigint, {columns})")

    def read(indexes: list[int]) -> None:
        con.register(
            "_payload_files",
            pa.table(
                {
                    "filename": [str(payloads[i].path) for i in indexes],
                    "payload": pa.array(indexes, pa.int64()),
                }
            ),
        )
        try:
            con.execute(
                f"insert into {docs} by name select payload, d.* exclude (filename) from "
                + read_json_docs(spec.document)
                + " d join _payload_files using (filename)",
                [[str(payloads[i].path) for i in indexes]],
            )
        finally:
            con.unregister("_payload_files")

    try:
        read_in_halves(read, list(range(len(payloads))))
        sound = con.execute(
            f"select payload, any_value(json_text({spec.stamp})) from {docs} group by payload "
            f"having count(*) = 1 and not bool_or({spec.holes})"
        ).fetchall()
        parsed = {text: parse_utc(text) for _, text in sound}
        fetched_at = {int(p): parsed[t] for p, t in sound if plausible_stamp(parsed[t])}
        con.execute(
            f"create or replace temp table {flat} as "
            + spec.flatten.replace("$documents", docs).replace(
                "$vouched", ", ".join(map(str, fetched_at)) or "-1"
            )
        )
        con.execute(f"drop table {docs}")
        map_texts(
            con,
            stamps,
            " union ".join(f'select distinct "{c}" from {flat}' for c in spec.timestamps),
            lambda texts: [parse_utc(t) for t in texts],
        )
        typed = ", ".join(
            f't_{c}.ts as "{c}"' if c in spec.timestamps else f'f."{c}"' for c in spec.columns
        )
        joins = " ".join(
            f'left join {stamps} t_{c} on t_{c}.text = f."{c}"' for c in spec.timestamps
        )
        reason = " ".join(
            f"when {cond} then '{why.replace(chr(39), chr(39) * 2)}'" for cond, why in spec.checks
        )
        register_snapshots(con, snapshots, fetched_at)
        con.execute(
            f"create or replace temp table {name} as "
            f"select * exclude (_snapshot), case {reason} end as reason from ("
            f"select f.payload, f.row_number, {typed}, t_{spec.slate_from}.slate as game_date, "
            f"s._snapshot from {flat} f {joins} left join {snapshots} s on s.payload = f.payload)"
        )
        if spec.key:
            flag_duplicates_sql(con, name, spec.key, spec.duplicate)
        bad = frame_of(
            con.sql(
                f"select payload, row_number, reason from {name} where reason is not null "
                "order by payload, row_number"
            )
        )
    finally:
        con.execute(f"drop table if exists {docs}; drop table if exists {flat}")
        con.execute(f"drop table if exists {stamps}; drop table if exists {snapshots}")
    return Staged(fetched_at, name, rejected(payloads, bad))


def parse_batch_in_memory(stage: Callable, payloads: Sequence[Payload]) -> BatchParse:
    """A vendor's `stage` run on its own in-memory database, its rows brought back as pandas."""
    with duckdb.connect() as con:
        staged = stage(con, payloads, "_staged")
        rows = staged.good_rows(con)
    if not len(rows):
        rows = pd.DataFrame({"payload": []}, dtype="int64")
    return BatchParse(dict(staged.fetched_at), rows, staged.rejected)


def stage_frames(con: duckdb.DuckDBPyConnection, parsed: BatchParse, name: str) -> Staged:
    """A batch parsed in pandas (`parse_batch`) staged like `stage_json` stages one."""
    register_frame(con, name, parsed.rows.assign(row_number=None, reason=None))
    return Staged(parsed.fetched_at, name, parsed.rejected)


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


def map_distinct(
    con: duckdb.DuckDBPyConnection,
    table: str,
    texts_sql: str,
    convert: Callable[[pd.Series], Sequence],
    sql_type: str,
) -> None:
    """Temp table `table(text, value)`: each distinct text of `texts_sql` converted once in Python
    by `convert` (a column-wise function whose result for a value does not depend on the others),
    so a batch converts exactly as its files converted alone."""
    texts = pd.Series([t for (t,) in con.execute(texts_sql).fetchall()], dtype=object)
    values = pd.Series(list(convert(texts)), dtype=object)
    values = values.where(values.notna(), None)
    register_frame(con, table, pd.DataFrame({"text": texts, "value": values}))
    con.execute(
        f"create or replace temp table {table} as "
        f"select text::varchar as text, value::{sql_type} as value from {table}"
    )


def checked_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    rows_sql: str,
    checks: Sequence[tuple[str, str]],
    helpers: Sequence[str] = (),
) -> None:
    """Temp table `name`: `rows_sql`'s rows with `reason`, the first check (SQL condition) each
    fails, in priority order (null when it passes them all); the `helpers` columns of `rows_sql`
    serve the checks and are left out."""
    reason = " ".join(
        f"when {cond} then '{why.replace(chr(39), chr(39) * 2)}'" for cond, why in checks
    )
    exclude = f" exclude ({', '.join(helpers)})" if helpers else ""
    con.execute(
        f"create or replace temp table {name} as "
        f"select *{exclude}, case {reason} end as reason from ({rows_sql})"
    )


def _numbers(texts: pd.Series) -> pd.Series:
    return pd.to_numeric(texts.replace("", None), errors="coerce")


def csv_rejected(
    con: duckdb.DuckDBPyConnection,
    name: str,
    raw: str,
    typed: Callable[[pd.DataFrame], pd.DataFrame],
    number_columns: Sequence[str],
    first_row_number: int,
) -> pd.DataFrame:
    """The refused rows of staged table `name` as quarantine records, their text as `rejected_rows`
    renders them (the typed row as its file parsed alone shows it). Only the refused rows come
    back from `raw` (text): `pd.to_numeric` types a number column per file, whole numbers (`-40`,
    not `-40.0`) when every text of the file's column is one, which the column's distinct texts
    in the file decide."""
    bad = frame_of(
        con.sql(
            f"select r.* exclude (_row), s.row_number as _row_number, s.reason from {name} s "
            f"join {raw} r "
            f"on s.payload = r.payload and s.row_number = r._row + {first_row_number} "
            "where s.reason is not null order by r.payload, r._row"
        )
    )
    if not len(bad):
        return rejected_frame([], [], [], [])
    lists = ", ".join(f"list(distinct {c})" for c in number_columns)
    distinct = {
        payload: texts
        for payload, *texts in con.execute(
            f"select payload, {lists} from {raw} where payload in "
            f"(select payload from {name} where reason is not null) group by payload"
        ).fetchall()
    }
    payloads = bad["payload"].to_numpy()
    rows = bad.drop(columns=["payload", "reason", "_row_number"])
    frame = typed(rows)
    for index, column in enumerate(number_columns):
        wholes = {
            payload: _numbers(pd.Series(texts[index], dtype=object)).dtype.kind in "iu"
            for payload, texts in distinct.items()
        }
        numbers = _numbers(rows[column].astype(object))
        values = []
        for payload, text, number in zip(payloads, rows[column], numbers, strict=True):
            if not wholes[payload]:
                values.append(float(number))
            elif abs(number) < 2**53:  # a whole number, exactly held by a float
                values.append(np.int64(number))
            else:
                values.append(_numbers(pd.Series([text], dtype=object)).iloc[0])
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
    texts = [frame.iloc[p].to_json() for p in range(len(frame))]
    return rejected_frame(payloads, bad["_row_number"], texts, bad["reason"])
