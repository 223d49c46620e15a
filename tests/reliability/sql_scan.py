"""The SQL-binding scan of test_security: every f-string, `.format`, `%` and `+` in propcast/,
cli/ and python_models/ that builds SQL text, and each expression it interpolates. A value must
be bound (`?`) or a dbt var; an interpolation is allowed only when ALLOWED names it with the
reason it is not data (an identifier from a constant, a generated temp table name, an integer
the code computes, a fragment assembled from constants).
"""

from __future__ import annotations

import ast
import re

#: Text that is SQL: a statement, or a fragment that starts like one.
SQL_TEXT = re.compile(
    r"(?is)^\s*(select|with|insert|delete|update|create|drop|alter|attach|pragma|install|"
    r"union|from|where|join|left\s+join|group\s+by|order\s+by|when|case)\b"
    r"|\bselect\b.+\bfrom\b|\binsert\s+(or\s+\w+\s+)?into\b|\bdelete\s+from\b"
    r"|\bcreate\s+(or\s+replace\s+)?(temp\s+|temporary\s+)?(table|view|schema|macro)\b"
    r"|\bdrop\s+(table|view|schema)\b|\balter\s+table\b|\bupdate\s+\S+\s+set\b"
    r"|\bcopy\s+\S+\s+(to|from)\b|\bread_(json|csv|parquet)\b"
)
#: Methods that run SQL text: any string built into their first argument is checked too.
EXECUTES = {"execute", "executemany", "sql", "query", "read_sql", "read_sql_query"}
SCANNED = ("propcast", "cli", "python_models")

IDENT = "identifier: a schema or table name constant of the package"
TEMP = "identifier: a temp table name the function derives from its constant prefix"
COLUMNS = "identifiers: column names (and types) from the vendor module's constant spec"
CATALOG = "identifier: a relation named by DuckDB's catalog or dbt's manifest, not by data"
FRAGMENT = "SQL fragment the code assembles from constants (unions, joins, conditions)"
INTEGER = "an integer the code computes or defines (row offset, byte cap, payload indexes)"
REASON_TEXT = "a quarantine reason constant of the vendor module, quote-escaped (code, not data)"
PLACEHOLDERS = "bound-parameter placeholders ('?, ?, ...'), one per value"
STAKE = FRAGMENT + " (propcast.staking_setting's chosen-stake join and columns, constants)"
SUBJECT = FRAGMENT + " (propcast.staking_setting.BET_SUBJECT: a case over constant columns)"
#: (file, interpolated expression) → why it is not a value. Checked both ways: an entry that
#: no longer occurs must go.
ALLOWED: dict[tuple[str, str], str] = {
    **{
        (f, "RAW_SCHEMA"): IDENT
        for f in (
            "propcast/backfill.py",
            "propcast/ingest.py",
            "propcast/ingest_batch.py",
            "propcast/raw_schema.py",
            "propcast/runs.py",
        )
    },
    ("propcast/backfill.py", "v"): IDENT + " (raw_<vendor>__prop_odds over ODDS_VENDORS)",
    ("propcast/backfill.py", "union"): FRAGMENT,
    ("propcast/daily.py", "v"): IDENT + " (raw_<vendor>__prop_odds over ODDS_VENDORS)",
    ("propcast/daily.py", "union"): FRAGMENT,
    ("propcast/failing_rows.py", "node.compiled_sql"): FRAGMENT
    + " (a failed data test's own query, compiled by dbt from the project: run again to show its rows)",
    ("propcast/freshness.py", "relation"): CATALOG + " (the source's relation in the manifest)",
    ("propcast/golden.py", "table"): CATALOG + " (the golden invariants' constant table list)",
    ("propcast/golden.py", "model"): CATALOG + " (a manifest model with a grain test)",
    ("propcast/golden.py", "keys"): COLUMNS + " (the grain test's columns in the manifest)",
    ("propcast/health.py", "', '.join(('?' for _ in dates))"): PLACEHOLDERS,
    ("propcast/ingest_batch.py", "feed.table"): IDENT + " (the Feed's raw table constant)",
    ("propcast/ingest_batch.py", "staged.table"): TEMP,
    ("propcast/ingest_batch.py", "table"): IDENT + " (raw table names of the FEEDS constants)",
    ("propcast/pipeline.py", "schema"): CATALOG + " (information_schema.tables, quoted)",
    ("propcast/pipeline.py", "name"): CATALOG + " (information_schema.tables, quoted)",
    ("propcast/raw_schema.py", "table"): IDENT + " (RAW_TABLES keys)",
    ("propcast/raw_schema.py", "columns"): COLUMNS + " (RAW_TABLES values)",
    ("propcast/reporting/data.py", "OUTCOMES"): FRAGMENT + " (a constant CTE)",
    ("propcast/export.py", "CHOSEN_STAKES_JOIN"): STAKE,
    ("propcast/export.py", "CHOSEN_STAKE_FRACTION"): STAKE,
    ("propcast/export.py", "CHOSEN_STAKE"): STAKE,
    ("propcast/export.py", "CHOSEN_STAKING"): STAKE,
    ("propcast/reporting/data.py", "CHOSEN_STAKES_JOIN"): STAKE,
    ("propcast/reporting/data.py", "CHOSEN_STAKE"): STAKE,
    ("propcast/export.py", "BET_SUBJECT"): SUBJECT,
    ("propcast/staking_setting.py", "BET_SUBJECT"): SUBJECT,
    ("propcast/staking_setting.py", "CHOSEN_STAKE"): STAKE,
    ("propcast/staking_setting.py", "CHOSEN_STAKES_JOIN"): STAKE,
    ("propcast/reporting/data.py", "RECOMMENDED_BETS_SQL"): FRAGMENT
    + " (propcast.staking_setting's constant query of a slate's recommended bets)",
    ("propcast/reporting/data.py", "counts"): FRAGMENT + " (sums over constant column names)",
    ("propcast/reporting/data.py", "settled_stake"): FRAGMENT + " (one of two constants)",
    ("propcast/reporting/data.py", "clv_bets"): IDENT + " (one of two constant column names)",
    ("propcast/vendors/staging.py", "MAX_JSON_BYTES"): INTEGER,
    ("propcast/vendors/staging.py", "_SPACE_CLASS"): FRAGMENT + " (the whitespace class, code)",
    ("propcast/vendors/staging.py", "spec"): COLUMNS + " (the JSON document spec)",
    ("propcast/vendors/staging.py", "c"): COLUMNS,
    ("propcast/vendors/staging.py", "columns"): COLUMNS,
    ("propcast/vendors/staging.py", "cond"): FRAGMENT + " (the vendor's constant check list)",
    ("propcast/vendors/staging.py", "why.replace(chr(39), chr(39) * 2)"): REASON_TEXT,
    ("propcast/vendors/staging.py", "exclude"): COLUMNS + " (helper columns, constants)",
    ("propcast/vendors/staging.py", "first_row_number"): INTEGER,
    ("propcast/vendors/staging.py", "lists"): FRAGMENT + " (list() over constant columns)",
    ("propcast/vendors/staging.py", "joins"): FRAGMENT,
    ("propcast/vendors/staging.py", "typed"): FRAGMENT + " (casts of constant columns)",
    ("propcast/vendors/staging.py", "reason"): FRAGMENT + " (case over the constant checks)",
    ("propcast/vendors/staging.py", "rows_sql"): FRAGMENT + " (the vendor's constant row SQL)",
    ("propcast/vendors/staging.py", "sql_type"): COLUMNS + " (a constant SQL type name)",
    ("propcast/vendors/staging.py", "spec.holes"): FRAGMENT + " (the JSON spec's constant SQL)",
    ("propcast/vendors/staging.py", "spec.slate_from"): COLUMNS + " (the JSON spec)",
    ("propcast/vendors/staging.py", "spec.stamp"): COLUMNS + " (the JSON spec)",
    ("propcast/vendors/staging.py", "read_json_docs(document)"): FRAGMENT
    + " (read_json with the file list bound as '?')",
    **{
        ("propcast/vendors/staging.py", t): TEMP
        for t in (
            "docs",
            "flat",
            "name",
            "raw",
            "snapshots",
            "stamps",
            "table",
            "self.table",
        )
    },
    ("propcast/vendors/csvfeed.py", "FIRST_ROW_NUMBER"): INTEGER,
    ("propcast/vendors/csvfeed.py", "vouched"): INTEGER,
    ("propcast/vendors/csvfeed.py", "c"): COLUMNS + " (NUMBER_COLUMNS)",
    **{
        ("propcast/vendors/csvfeed.py", t): TEMP
        for t in (
            "raw",
            "numbers",
            "times",
            "snapshots",
        )
    },
    ("propcast/vendors/sanity.py", "table"): TEMP,
    ("propcast/vendors/sanity.py", "columns"): COLUMNS + " (the duplicate key, constants)",
    ("python_models/ml_model_registry.py", "dbt.this"): CATALOG + " (dbt's own relation)",
    ("propcast/devig_choices.py", "TABLE"): IDENT + " (raw.raw_devig_method_choices)",
    ("propcast/devig_choices.py", "COLUMNS"): COLUMNS + " (the choices table's constant DDL)",
    ("propcast/devig_choices.py", "', '.join(['?'] * 12)"): PLACEHOLDERS,
    ("propcast/ledger.py", "table"): IDENT + " (LEDGER_TABLES keys)",
    ("propcast/ledger.py", "columns"): COLUMNS + " (LEDGER_TABLES values)",
    ("propcast/ledger.py", "', '.join(rows.columns)"): COLUMNS
    + " (the parsed frame's columns: bet_import.RAW_COLUMNS plus four the loader adds)",
    ("propcast/raw_schema.py", "definition"): COLUMNS + " (a declared column of RAW_TABLES)",
}


def _interpolations(node: ast.AST) -> tuple[str, list[ast.expr]] | None:
    """(literal text, interpolated expressions) of a string built by f-string, .format, % or +."""
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        return text, [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return node.func.value.value, [*node.args, *(k.value for k in node.keywords)]
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mod)
        and isinstance(node.left, ast.Constant)
        and isinstance(node.left.value, str)
    ):
        return node.left.value, [node.right]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts: list[ast.expr] = []

        def flatten(n: ast.expr) -> None:
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
                flatten(n.left)
                flatten(n.right)
            else:
                parts.append(n)

        flatten(node)
        texts = [p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str)]
        if texts:  # f-string parts are checked as f-strings
            return "".join(texts), [
                p for p in parts if not isinstance(p, ast.Constant | ast.JoinedStr)
            ]
    return None


def sql_interpolations(source: str, filename: str) -> dict[tuple[str, str], list[int]]:
    """{(file, expression): lines} for every expression formatted into SQL text."""
    tree = ast.parse(source)
    executed = {
        id(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in EXECUTES
        and node.args
    }
    found: dict[tuple[str, str], set[int]] = {}
    for node in ast.walk(tree):
        built = _interpolations(node)
        if built is None or not built[1]:
            continue
        text, values = built
        if id(node) in executed or SQL_TEXT.search(text):
            for value in values:
                found.setdefault((filename, ast.unparse(value)), set()).add(node.lineno)
    return {key: sorted(lines) for key, lines in found.items()}
