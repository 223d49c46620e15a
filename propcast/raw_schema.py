"""The raw layer's tables (schema `raw`): append-only, in each vendor's own field names.

This module is the contract between ingestion (which writes these tables) and dbt's
sources (models/staging/_sources.yml). Timestamps are UTC without a time zone.
"""

from __future__ import annotations

import duckdb

from propcast.ledger import ensure_ledger_tables

RAW_SCHEMA = "raw"

# Columns every loaded row carries, in front of the vendor's own columns.
LOAD_COLUMNS = """
    payload_sha256 varchar not null,
    source_file varchar not null,
    fetched_at timestamp not null,
    loaded_at timestamp not null,
    game_date date
"""

TABLES: dict[str, str] = {
    # One row per received payload of any feed; a stored hash means "already loaded".
    "raw_odds_payloads": """
        payload_sha256 varchar primary key,
        vendor varchar not null,
        feed varchar not null,
        source_file varchar not null,
        fetched_at timestamp,
        loaded_at timestamp not null,
        status varchar not null,
        rows_loaded integer not null,
        rows_quarantined integer not null,
        error varchar
    """,
    "raw_oddsapi__prop_odds": LOAD_COLUMNS
    + """,
        event_id varchar,
        sport_key varchar,
        sport_title varchar,
        commence_time timestamp,
        home_team varchar,
        away_team varchar,
        bookmaker_key varchar,
        bookmaker_title varchar,
        bookmaker_last_update timestamp,
        market_key varchar,
        market_last_update timestamp,
        outcome_name varchar,
        outcome_description varchar,
        outcome_price double,
        outcome_point double
    """,
    "raw_csvfeed__prop_odds": LOAD_COLUMNS
    + """,
        league varchar,
        game_start timestamp,
        home varchar,
        away varchar,
        book varchar,
        player varchar,
        stat varchar,
        line double,
        over_odds double,
        under_odds double
    """,
    "raw_decimalfeed__prop_odds": LOAD_COLUMNS
    + """,
        sport varchar,
        fixture_id varchar,
        start timestamp,
        home_name varchar,
        home_abbr varchar,
        away_name varchar,
        away_abbr varchar,
        bookmaker varchar,
        market varchar,
        selection varchar,
        participant varchar,
        handicap double,
        odds double
    """,
    # `propcast import totals|props` (vendor `imports`): the user's historical files, in the
    # import's own column names (docs/imports.md). Prices as written (null when empty: staging
    # assumes -110 and flags it); `row_number` is the row's line in the file.
    "raw_imports__game_totals": LOAD_COLUMNS
    + """,
        row_number integer,
        league varchar,
        home_team varchar,
        away_team varchar,
        book varchar,
        line_type varchar,
        total_line double,
        over_price double,
        under_price double,
        home_score integer,
        away_score integer
    """,
    # `propcast import totals --format sbr` (feed `sbr_games`, propcast.vendors.sbr): one row
    # per game of an SBR season workbook in SBR's own terms. Scores: per period (p4 only in the
    # NBA) and final (NHL: the overtime goal or one shootout goal for the winner included, as
    # books settle totals). Total prices null where the workbook has none (NBA).
    "raw_imports__sbr_games": LOAD_COLUMNS
    + """,
        row_number integer,
        league varchar,
        season varchar,
        neutral_site boolean,
        visitor_rot integer,
        home_rot integer,
        visitor_team varchar,
        home_team varchar,
        visitor_p1 integer,
        visitor_p2 integer,
        visitor_p3 integer,
        visitor_p4 integer,
        home_p1 integer,
        home_p2 integer,
        home_p3 integer,
        home_p4 integer,
        visitor_final integer,
        home_final integer,
        past_regulation boolean,
        ending varchar,
        open_total double,
        open_over_price double,
        open_under_price double,
        open_spread_home double,
        close_total double,
        close_over_price double,
        close_under_price double,
        close_spread_home double,
        visitor_close_ml double,
        home_close_ml double
    """,
    "raw_imports__prop_odds": LOAD_COLUMNS
    + """,
        row_number integer,
        league varchar,
        player varchar,
        team varchar,
        opponent varchar,
        market varchar,
        line double,
        book varchar,
        over_price double,
        under_price double,
        actual_value double,
        quoted_at timestamp
    """,
    "raw_boxscores": LOAD_COLUMNS
    + """,
        game_id varchar,
        league varchar,
        team varchar,
        opponent varchar,
        player_id varchar,
        player_name varchar,
        starter boolean,
        minutes double,
        points integer,
        rebounds integer,
        assists integer,
        threes integer,
        shots_on_goal integer,
        goals integer
    """,
    "raw_availability": LOAD_COLUMNS
    + """,
        game_id varchar,
        league varchar,
        team varchar,
        player_id varchar,
        player_name varchar,
        status varchar,
        status_reason varchar,
        reported_at timestamp
    """,
    "raw_schedule": LOAD_COLUMNS
    + """,
        game_id varchar,
        league varchar,
        season varchar,
        start_time_utc timestamp,
        home_team varchar,
        away_team varchar,
        status varchar,
        home_score integer,
        away_score integer
    """,
    # Every inbox file as ingest last examined it: its size and mtime then, and the payload
    # its content hashed to. A file is skipped unread only while both are unchanged (as make
    # and rsync judge a file); no clock is compared, so a file delivered with an old preserved
    # mtime, or stamped by a host whose clock differs, is still read when its content changes.
    "raw_inbox_files": """
        source_file varchar primary key,
        file_bytes bigint not null,
        file_mtime_ns bigint not null,
        payload_sha256 varchar not null,
        examined_at timestamp not null
    """,
    "raw_quarantine": """
        quarantined_at timestamp not null,
        vendor varchar not null,
        feed varchar not null,
        source_file varchar not null,
        payload_sha256 varchar,
        row_number integer,
        row_text varchar,
        reason varchar not null
    """,
}


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and its tables when missing, and add the columns a table declared
    since the warehouse was created (never alters existing data)."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table, columns in TABLES.items():
        con.execute(f"create table if not exists {RAW_SCHEMA}.{table} ({columns})")
    ensure_ledger_tables(con)  # the ledger of placed bets (propcast.ledger)
    _add_missing_columns(con)


def column_definitions(columns: str) -> dict[str, str]:
    """A table's declared columns (a `TABLES` value): name -> its definition."""
    parts = (part.strip() for part in columns.split(","))
    return {part.split()[0]: part for part in parts if part}


def _add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse created before a column was declared (e.g. raw_boxscores.threes) gets it,
    null on the rows loaded before. Columns are only ever added, so a column declared later
    must be nullable (a `not null` one cannot be added to a table with rows)."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?",
        [RAW_SCHEMA],
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for table, columns in TABLES.items():
        for name, definition in column_definitions(columns).items():
            if name not in existing.get(table, set()):
                con.execute(f"alter table {RAW_SCHEMA}.{table} add column {definition}")
