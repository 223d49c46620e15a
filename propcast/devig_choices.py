"""The de-vig method per (league, market family), chosen by measurement and stored as data.

`propcast evaluate --devig --choose` picks, per (league, family), the method of lowest log
loss over the closes settled before the choice date (propcast.devig_evaluation.choose_methods)
and appends it to raw.raw_devig_method_choices with that date and its evidence. History is kept:
the dbt source propcast_raw.devig_method_choices feeds int_devig_method_periods, where a
choice holds for game dates from its chosen_on until the next choice of its key (a choice
re-made on the same date supersedes the earlier one). The de-vig models use the method in
effect on each game's date and var('devig_method') where nothing was chosen, so a past
date keeps the method it was priced with when the history is rebuilt.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb

TABLE = "raw.raw_devig_method_choices"
COLUMNS = """
    choice_batch bigint not null,
    league varchar not null,
    market_family varchar not null,
    devig_method varchar not null,
    chosen_on date not null,
    chosen_at timestamp not null,
    n_lines bigint not null,
    evidence_first_date date not null,
    evidence_last_date date not null,
    log_loss double not null,
    multiplicative_log_loss double not null,
    log_losses varchar not null
"""


def ensure_choice_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create raw.raw_devig_method_choices when missing (the first --choose creates it; the
    staging view reads an empty one until then)."""
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists {TABLE} ({COLUMNS})")


def record_choices(
    con: duckdb.DuckDBPyConnection,
    chosen: dict[tuple[str, str], dict],
    chosen_on: date,
    chosen_at: datetime,
) -> int:
    """Append one row per chosen (league, family) (choose_methods' output); rows written.
    Each call is one batch, numbered after the stored ones: of two choices for the same key
    and date the later batch wins, even when the product clock (PROPCAST_NOW) stamped both
    with one chosen_at."""
    ensure_choice_table(con)
    [(batch,)] = con.execute(f"select coalesce(max(choice_batch), 0) + 1 from {TABLE}").fetchall()
    rows = [
        (
            batch,
            league,
            family,
            choice["method"],
            chosen_on,
            chosen_at,
            choice["n_lines"],
            choice["first_date"],
            choice["last_date"],
            choice["log_losses"][choice["method"]],
            choice["log_losses"]["multiplicative"],
            json.dumps(choice["log_losses"], sort_keys=True),
        )
        for (league, family), choice in sorted(chosen.items())
    ]
    if rows:
        con.executemany(f"insert into {TABLE} values ({', '.join(['?'] * 12)})", rows)
    return len(rows)


def current_choices(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The latest choice per (league, family): the one of the latest chosen_on, then
    chosen_at. Empty when nothing was ever chosen."""
    ensure_choice_table(con)
    frame = con.execute(
        f"""
        select league, market_family, devig_method, chosen_on, n_lines, log_loss,
               multiplicative_log_loss
        from {TABLE}
        qualify row_number() over (
            partition by league, market_family order by chosen_on desc, choice_batch desc
        ) = 1
        order by league, market_family
        """
    ).df()
    return frame.to_dict("records")
