"""The bits of dbt's Jinja context that sqlfluff's jinja templater lacks (lint only; dbt
never reads this folder: it parses only .sql files under macros/).

Loaded through `library_path` in .sqlfluff, so models render to the SQL dbt would compile on
DuckDB: `adapter.dispatch` resolves to the project's `duckdb__`/`default__` macros, `var()`
returns the project's defaults from dbt_project.yml, and `dbt.<macro>` renders DuckDB SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import yaml

_PROJECT_VARS: dict[str, Any] = (
    yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text()) or {}
).get("vars", {})


class _Adapter:
    @jinja2.pass_context
    def dispatch(self, context: Any, macro_name: str, macro_namespace: str | None = None) -> Any:
        for prefix in ("duckdb__", "default__"):
            macro = context.resolve_or_missing(prefix + macro_name)
            if macro is not jinja2.runtime.missing:
                return macro
        raise jinja2.UndefinedError(f"no duckdb__/default__ implementation of {macro_name}")


class _Dbt:
    """dbt's cross-database macros as dbt-duckdb renders them."""

    @staticmethod
    def is_incremental() -> bool:
        """dbt's own is_incremental(), called by the project's override (macros/portability):
        true, as sqlfluff's dbt builtins render it, so the incremental branch is linted."""
        return True

    @staticmethod
    def datediff(first: str, second: str, datepart: str) -> str:
        return f"date_diff('{datepart}', {first}, {second})"

    @staticmethod
    def dateadd(datepart: str, interval: Any, from_date: str) -> str:
        return f"({from_date} + interval {interval} {datepart})"

    @staticmethod
    def type_string() -> str:
        return "varchar"

    @staticmethod
    def type_int() -> str:
        return "integer"

    @staticmethod
    def type_float() -> str:
        return "float"

    @staticmethod
    def type_boolean() -> str:
        return "boolean"

    @staticmethod
    def type_timestamp() -> str:
        return "timestamp"

    @staticmethod
    def type_bigint() -> str:
        return "bigint"

    @staticmethod
    def string_literal(value: Any) -> str:
        return "'" + str(value).replace("'", "''") + "'"


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise jinja2.TemplateError(message)


def var(name: str, default: Any = None) -> Any:
    return _PROJECT_VARS.get(name, default)


adapter = _Adapter()
dbt = _Dbt()
exceptions = _Exceptions()
execute = False
graph: dict[str, Any] = {"sources": {}, "nodes": {}}
