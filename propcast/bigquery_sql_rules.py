"""Is this compiled SQL BigQuery SQL? Offline rules for one statement (no service asked).

Three layers, because each alone proves little (sqlglot's BigQuery parser accepts many DuckDB
constructs): sqlglot must parse it as BigQuery; every function called must be one of BigQuery's
(propcast/bigquery_functions.txt); and DuckDB-only syntax is rejected by name (`::`, `->>`,
`* exclude`, `%`, struct literals, FILTER clauses, double-quoted names, ...). Used by
propcast.bigquery_check, which compiles every model for the bigquery target.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources

import sqlglot
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

FUNCTIONS_FILE = "bigquery_functions.txt"

# Words followed by "(" that are syntax, not function calls: clauses, operators, subquery
# keywords, constructors and the type names of casts (NUMERIC(10, 2)).
NOT_FUNCTIONS = frozenset(
    [
        "all",
        "and",
        "any",
        "array",
        "as",
        "between",
        "bignumeric",
        "bigdecimal",
        "by",
        "bytes",
        "case",
        "decimal",
        "else",
        "exists",
        "from",
        "group",
        "having",
        "in",
        "intersect",
        "is",
        "join",
        "like",
        "not",
        "numeric",
        "on",
        "or",
        "over",
        "partition",
        "qualify",
        "range",
        "recursive",
        "returns",
        "select",
        "some",
        "string",
        "struct",
        "then",
        "union",
        "unnest",
        "using",
        "values",
        "when",
        "where",
        "window",
        "with",
        "except",
    ]
)

# Token types that only DuckDB (or Postgres) reads the way the model means them.
DUCKDB_ONLY_TOKENS = {
    TokenType.DCOLON: "`::` cast: use cast(x as type)",
    TokenType.DARROW: "`->>` JSON operator: use json_text_field() / json_value()",
    TokenType.ARROW: "`->` (JSON or lambda): not BigQuery SQL",
    TokenType.MOD: "`%` modulo: use mod(a, b)",
    TokenType.L_BRACE: "`{...}` struct literal: use struct(...)",
    TokenType.ILIKE: "ILIKE: use lower(x) like lower(pattern)",
    TokenType.CARET: "`^` is XOR on BigQuery (power on DuckDB): use power(a, b)",
    TokenType.ASOF: "ASOF join: write the as-of join with a window (asof_rolling_means)",
    TokenType.SEMI: "SEMI join: use exists (...)",
    TokenType.ANTI: "ANTI join: use not exists (...)",
}

# A word after `*` in a select list: BigQuery has `* except (...)` and `* replace (...)`.
DUCKDB_STAR_MODIFIERS = {"exclude": "`* exclude`: use `* except`", "rename": "`* rename`"}

# Tokens before "(" that are no call: a quoted name, FILTER (reported as syntax).
NOT_CALLS = {TokenType.IDENTIFIER, TokenType.FILTER}

SUBSCRIPT_WORDS = frozenset({"offset", "ordinal", "safe_offset", "safe_ordinal"})


@cache
def bigquery_functions() -> frozenset[str]:
    """BigQuery's function names (lower case) from the data file beside this module."""
    text = resources.files("propcast").joinpath(FUNCTIONS_FILE).read_text(encoding="utf-8")
    names = (line.strip().lower() for line in text.splitlines())
    return frozenset(name for name in names if name and not name.startswith("#"))


def sql_problems(sql: str, functions: Iterable[str] | None = None) -> list[str]:
    """What keeps `sql` from being BigQuery SQL, one sentence each; empty when nothing does."""
    known = frozenset(functions) if functions is not None else bigquery_functions()
    try:
        tokens = sqlglot.tokenize(sql, read="bigquery")
    except TokenError as exc:
        return [f"does not tokenize as BigQuery SQL: {exc}"]
    problems = _syntax_problems(sql, tokens) + _function_problems(tokens, known)
    try:
        sqlglot.parse(sql, read="bigquery")
    except ParseError as exc:
        problems.append(f"does not parse as BigQuery SQL: {str(exc).splitlines()[0]}")
    return problems


def _where(sql: str, token: Token) -> str:
    line = sql.count("\n", 0, token.start) + 1
    return f"line {line}"


def _syntax_problems(sql: str, tokens: list[Token]) -> list[str]:
    problems = []
    for i, token in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        message = DUCKDB_ONLY_TOKENS.get(token.token_type) or _pair_problem(sql, token, after)
        if message is None and token.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            message = _literal_problem(sql[token.start : token.end + 1])
        if message is None and token.token_type == TokenType.L_BRACKET and i > 0:
            message = _subscript_problem(tokens[i - 1], after)
        if message:
            problems.append(f"{_where(sql, token)}: {message}")
    return problems


def _pair_problem(sql: str, token: Token, after: Token | None) -> str | None:
    """DuckDB-only syntax that shows in two adjacent tokens."""
    if after is None:
        return None
    kind, word = token.token_type, after.text.lower()
    if kind == TokenType.STAR and word in DUCKDB_STAR_MODIFIERS:
        return DUCKDB_STAR_MODIFIERS[word]
    if kind == TokenType.FILTER and after.token_type == TokenType.L_PAREN:
        return "aggregate FILTER (where ...): use countif() or if() inside the aggregate"
    if kind == TokenType.DISTINCT and after.token_type == TokenType.ON:
        return "DISTINCT ON: use qualify row_number() over (...) = 1"
    if kind == TokenType.EQ and token.text == "==":
        return "`==`: use `=`"
    if kind == TokenType.SLASH == after.token_type and after.start == token.end + 1:
        return "`//` integer division: use div(a, b)"
    if kind == TokenType.USING and word == "sample":
        return "USING SAMPLE: use TABLESAMPLE SYSTEM (n PERCENT)"
    if word == "join" and token.text.lower() == "positional":
        return "POSITIONAL join"
    if kind == TokenType.INTERVAL and after.token_type == TokenType.STRING:
        return "interval '<n> <unit>': use interval <n> <unit>"
    if word == "within" and kind == TokenType.R_PAREN:
        return "WITHIN GROUP: use the analytic form (percentile_cont(x, p) over ())"
    return None


def _literal_problem(raw: str) -> str | None:
    """A quoted token as written: a double-quoted name is a string on BigQuery, and a
    backslash escapes on BigQuery but not on DuckDB (raw strings r'...' are the same)."""
    if raw.startswith('"'):
        return f"{raw}: a double-quoted name is a string literal on BigQuery: use backticks"
    if "\\" in raw and raw[:1] not in ("r", "R"):
        return f"{raw}: a backslash means different things on the two engines: use r'...'"
    return None


def _subscript_problem(before: Token, after: Token | None) -> str | None:
    """`x[1]` is 1-based on DuckDB; BigQuery wants x[offset(0)] or x[ordinal(1)]."""
    is_subscript = before.token_type in (
        TokenType.VAR,
        TokenType.IDENTIFIER,
        TokenType.R_PAREN,
        TokenType.R_BRACKET,
    )
    if is_subscript and (after is None or after.text.lower() not in SUBSCRIPT_WORDS):
        return "array subscript without offset()/ordinal() (DuckDB lists are 1-based)"
    return None


def _function_problems(tokens: list[Token], known: frozenset[str]) -> list[str]:
    problems = []
    for i, token in enumerate(tokens[:-1]):
        if tokens[i + 1].token_type != TokenType.L_PAREN or not token.text.isidentifier():
            continue
        name = token.text.lower()
        if name in NOT_FUNCTIONS | SUBSCRIPT_WORDS or token.token_type in NOT_CALLS:
            continue  # syntax, or a quoted name
        if i > 0 and tokens[i - 1].token_type == TokenType.STAR:
            continue  # `* except (...)`; `* exclude (` is reported as syntax
        qualifier = _qualifier(tokens, i)
        if qualifier == "safe":
            qualifier = None  # SAFE.f(...) is f(...) returning null on error
        if qualifier is not None:
            name = f"{qualifier}.{name}"
        if name not in known and not _names_a_cte(tokens, i):
            problems.append(f"line {token.line}: {name}() is not a BigQuery function")
    return problems


def _qualifier(tokens: list[Token], i: int) -> str | None:
    if i >= 2 and tokens[i - 1].token_type == TokenType.DOT:
        return tokens[i - 2].text.lower()
    return None


def _names_a_cte(tokens: list[Token], i: int) -> bool:
    """`name (col, ...) as (` declares a CTE's columns; it is not a call."""
    depth = 0
    for j in range(i + 1, len(tokens)):
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tokens[j].token_type, 0)
        if depth == 0:
            rest = tokens[j + 1 : j + 3]
            return [t.token_type for t in rest] == [TokenType.ALIAS, TokenType.L_PAREN]
    return False
