"""`sqlfluff lint` with each jinja source compiled once per process.

sqlfluff's jinja templater compiles every macro file of `load_macros_from_path` and
`library_path` again for each linted file (in two passes, for each of its render environments):
on this project that was most of the templating time. Compiling is a pure function of the
source and of the environment's compile-time settings, so this wrapper memoises
jinja2.Environment.compile on both (in forked lint workers too), then runs sqlfluff's own command line unchanged
(`python -m tests.tools.lint_sql lint models ...` takes sqlfluff's arguments: `make lint`).
"""

from __future__ import annotations

import sys
from typing import Any

import jinja2

_COMPILE = jinja2.Environment.compile
_COMPILED: dict[tuple[Any, ...], Any] = {}
#: Environment attributes the generated code depends on (delimiters, whitespace handling,
#: extensions, which filters and tests exist: a missing one fails at compile time).
_SETTINGS = (
    "block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
    "comment_start_string", "comment_end_string", "line_statement_prefix",
    "line_comment_prefix", "trim_blocks", "lstrip_blocks", "newline_sequence",
    "keep_trailing_newline", "optimized", "autoescape", "finalize", "is_async",
    "code_generator_class",
)  # fmt: skip


def _name(value: Any) -> str:
    return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}"


def _settings(env: jinja2.Environment) -> tuple[Any, ...]:
    plain = tuple(
        _name(getattr(env, a)) if callable(getattr(env, a)) else getattr(env, a) for a in _SETTINGS
    )
    return (
        type(env),
        plain,
        tuple(sorted(env.extensions)),
        tuple(sorted((k, _name(v)) for k, v in env.filters.items())),
        tuple(sorted((k, _name(v)) for k, v in env.tests.items())),
    )


def _memoised_compile(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
    if not isinstance(source, str):  # an already parsed template (a jinja2.nodes.Template)
        return _COMPILE(self, source, name, filename, raw, defer_init)
    key = (source, name, filename, raw, defer_init, _settings(self))
    if key not in _COMPILED:
        _COMPILED[key] = _COMPILE(self, source, name, filename, raw, defer_init)
    return _COMPILED[key]


def main() -> None:
    import multiprocessing

    from sqlfluff.cli.commands import cli
    from sqlfluff.core.linter.runner import MultiProcessRunner

    jinja2.Environment.compile = _memoised_compile  # type: ignore[method-assign]
    # sqlfluff spawns its workers (fresh interpreters, without the memo); forked workers
    # inherit it, and skip importing sqlfluff again.
    MultiProcessRunner.POOL_TYPE = multiprocessing.get_context("fork").Pool

    cli(sys.argv[1:], prog_name="sqlfluff")


if __name__ == "__main__":
    main()
