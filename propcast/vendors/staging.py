"""Staging in DuckDB: a feed's payloads of a batch become one temp table of checked rows, so the
good rows go from the bulk reader to the raw table without a round trip through pandas.

Every row carries the first check it fails (`reason`), and the refused rows come back as
quarantine records whose text reads as the vendor's single-file `parse` would show it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from propcast.vendors.base import BatchParse, Payload, Walked, rejected_frame
from propcast.vendors.sanity import (
    flag_duplicates_sql,
    plausible_stamp,
    register_snapshots,
    within_years,
)

T = TypeVar("T")


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


def scannable(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """`frame` for DuckDB to scan: Arrow when it converts (DuckDB scans it about twice as fast as
    pandas), else pandas (a column mixing Python types, such as a numeric event id in a file
    parsed alone)."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return frame


def register_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """`frame` as temp table `table` of `con` (through `scannable`)."""
    con.register("_staging_frame", scannable(frame))
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
    `game_date`), the raw columns in order, the checks (SQL conditions with their reasons, in
    priority order, over the typed columns and `_snapshot`, the payload's timestamp), and the
    vendor's `walk` of a decoded document, the rows in the order `flatten` numbers them (what
    its single-file `parse` shows of a refused row)."""

    document: dict
    stamp: str
    holes: str
    flatten: str
    timestamps: tuple[str, ...]
    slate_from: str
    columns: list[str]
    checks: list[tuple[str, str]]
    walk: Callable[[dict], Iterable[Walked]]
    key: tuple[str, ...] = ()  # a row repeating an earlier good row's key is refused ...
    duplicate: str = ""  # ... with this reason (vendors.sanity)

    def stage(
        self, con: duckdb.DuckDBPyConnection, payloads: Sequence[Payload], name: str
    ) -> Staged:
        """The vendor's `parse` over many snapshots at once, in DuckDB: read, flattened and
        checked in SQL, staged in temp table `name` (`stage_json`)."""
        return stage_json(con, payloads, self, name)

    def parse_batch(self, payloads: Sequence[Payload]) -> BatchParse:
        """`stage` on an in-memory database, its good rows as pandas."""
        return parse_batch_in_memory(self.stage, payloads)


def stage_json(
    con: duckdb.DuckDBPyConnection,
    payloads: Sequence[Payload],
    spec: JsonFeedSql,
    name: str,
) -> Staged:
    """Read `payloads` (JSON files) into temp table `name` with `spec`. The refused rows
    (payload, row_number, reason) become quarantine records whose text is what the vendor's
    single-file `parse` shows (`_walked_rejected`)."""
    from propcast.timeutil import parse_utc

    con.execute(SQL_MACROS)
    docs, flat, stamps, snapshots = f"{name}_docs", f"{name}_flat", f"{name}_ts", f"{name}_snap"
    try:
        _read_documents(con, payloads, spec.document, docs)
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
        register_snapshots(con, snapshots, fetched_at)
        checked_table(
            con,
            name,
            f"select f.payload, f.row_number, {typed}, t_{spec.slate_from}.slate as game_date, "
            f"s._snapshot from {flat} f {joins} left join {snapshots} s on s.payload = f.payload",
            spec.checks,
            helpers=("_snapshot",),
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
    return Staged(fetched_at, name, _walked_rejected(payloads, bad, spec.walk))


def _walked_rejected(
    payloads: Sequence[Payload], bad: pd.DataFrame, walk: Callable[[dict], Iterable[Walked]]
) -> pd.DataFrame:
    """Refused rows as quarantine records, their text what `walk` shows of each: the few
    affected documents are walked again in Python."""
    texts = pd.Series(None, index=bad.index, dtype=object)
    for payload, rows in bad.groupby("payload")["row_number"]:
        shown = [row.shown for row in walk(json.loads(payloads[payload].content))]
        texts[rows.index] = [json.dumps(shown[n - 1], default=str) for n in rows]
    return rejected_frame(bad["payload"], bad["row_number"], texts, bad["reason"])


def _read_documents(
    con: duckdb.DuckDBPyConnection, payloads: Sequence[Payload], document: dict, docs: str
) -> None:
    """Temp table `docs`: each JSON payload's document, typed by `document`, with its index in
    `payloads`; a file DuckDB refuses is left out (`read_in_halves`) for its parse alone."""
    columns = ", ".join(f'"{c}" {t}' for c, t in document.items())
    con.execute(f"create or replace temp table {docs} (payload bigint, {columns})")

    def read(indexes: list[int]) -> None:
        files = [str(payloads[i].path) for i in indexes]
        con.register(
            "_payload_files",
            pa.table({"filename": files, "payload": pa.array(indexes, pa.int64())}),
        )
        try:
            con.execute(
                f"insert into {docs} by name select payload, d.* exclude (filename) from "
                + read_json_docs(document)
                + " d join _payload_files using (filename)",
                [files],
            )
        finally:
            con.unregister("_payload_files")

    read_in_halves(read, list(range(len(payloads))))


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
