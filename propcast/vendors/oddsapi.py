"""`oddsapi`: snapshots in the public odds API's historical shape.

`{"timestamp", "data": [event → bookmakers → markets → outcomes]}`; one raw row per outcome.
Player props (outcomes Over/Under with the player in `description`) and game totals (the API's
`totals` market: Over/Under with `point`, no `description`) land in the same raw table; a
totals row has no outcome_description.
The loop only collects values; validation runs column-wise (see `vendors.base.first_failure`).
`parse_batch` reads many snapshots at once with DuckDB and applies the same checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pandas as pd

from propcast.timeutil import parse_utc, slate_date
from propcast.vendors.base import (
    ParsedPayload,
    UnparseablePayload,
    Walked,
    blank,
    is_game_total,
    is_game_total_sql,
    numeric,
    parse_walked,
)
from propcast.vendors.sanity import (
    GAME_WINDOW_REASON,
    MAX_AMERICAN_ODDS,
    MAX_LINE,
    american_out_of_range,
    duplicate_reason,
    game_window_sql,
    implausible_stamp,
    is_text,
    line_out_of_range,
    listed,
    outside_game_window,
    plausible_stamp,
)
from propcast.vendors.staging import JsonFeedSql

FEED = "prop_odds"
TABLE = "raw_oddsapi__prop_odds"
GAME_TOTAL = "totals"  # the API's market key of a game total (a row without a player)
OUTCOME_NAMES = ("Over", "Under")
COLUMNS = [
    "event_id",
    "sport_key",
    "sport_title",
    "commence_time",
    "home_team",
    "away_team",
    "bookmaker_key",
    "bookmaker_title",
    "bookmaker_last_update",
    "market_key",
    "market_last_update",
    "outcome_name",
    "outcome_description",
    "outcome_price",
    "outcome_point",
]
TIMESTAMP_COLUMNS = ("commence_time", "bookmaker_last_update", "market_last_update")


# A quote's business key within a snapshot: a second row with the same key is refused.
KEY = (
    "event_id",
    "bookmaker_key",
    "market_key",
    "outcome_name",
    "outcome_description",
    "outcome_point",
)
DUPLICATE = duplicate_reason(["event", "book", "market", "side", "player", "line"])
NO_NAME = "outcome description (player name) missing or not text"


def _checks(frame: pd.DataFrame, snapshot: datetime) -> list:
    price, point = numeric(frame["outcome_price"]), numeric(frame["outcome_point"])
    return [
        (frame["commence_time"].isna(), "event commence_time missing or not a timestamp"),
        (outside_game_window(frame["commence_time"], snapshot), GAME_WINDOW_REASON),
        (~frame["outcome_name"].isin(OUTCOME_NAMES), "outcome name is not Over/Under"),
        (
            (~is_text(frame["outcome_description"]) | blank(frame["outcome_description"]))
            & ~is_game_total(frame["market_key"], GAME_TOTAL),
            NO_NAME,
        ),
        (price.isna(), "price is not a number"),
        (price.abs() < 100, "price is not valid American odds (|price| must be >= 100)"),
        (price.abs() > MAX_AMERICAN_ODDS, american_out_of_range("price")),
        (point.isna(), "point is not a number"),
        (point < 0, "point is negative"),
        (point > MAX_LINE, line_out_of_range("point")),
    ]


def _good_rows(rows: pd.DataFrame) -> pd.DataFrame:
    rows["outcome_price"] = numeric(rows["outcome_price"])
    rows["outcome_point"] = numeric(rows["outcome_point"])
    rows["game_date"] = slate_date(rows["commence_time"])
    return rows


def _walk(doc: dict) -> Iterator[Walked]:
    """Each outcome of the snapshot's events, in document order (a row's number); it shows the
    outcome object. A value of the wrong shape where an event, bookmaker, market or outcome
    object belongs is a row of its own, refused with the problem; its siblings load."""
    for event, bad in listed(doc["data"], "event"):
        if bad:
            yield Walked(_record({}, {}, {}, {}), event, bad)
            continue
        for book, bad in listed(event.get("bookmakers"), "bookmaker"):
            if bad:
                yield Walked(_record(event, {}, {}, {}), book, bad)
                continue
            for market, bad in listed(book.get("markets"), "market"):
                if bad:
                    yield Walked(_record(event, book, {}, {}), market, bad)
                    continue
                for outcome, bad in listed(market.get("outcomes"), "outcome"):
                    yield Walked(_record(event, book, market, {} if bad else outcome), outcome, bad)


def _record(event: dict, book: dict, market: dict, outcome: dict) -> tuple:
    return (
        event.get("id"),
        event.get("sport_key"),
        event.get("sport_title"),
        parse_utc(event.get("commence_time")),
        event.get("home_team"),
        event.get("away_team"),
        book.get("key"),
        book.get("title"),
        parse_utc(book.get("last_update")),
        market.get("key"),
        parse_utc(market.get("last_update")),
        outcome.get("name"),
        outcome.get("description"),
        outcome.get("price"),
        outcome.get("point"),
    )


def parse(payload: bytes) -> ParsedPayload:
    try:
        doc = json.loads(payload)
        fetched_at = parse_utc(doc["timestamp"])
        if not isinstance(doc["data"], list):
            raise TypeError("'data' is not a list of events")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UnparseablePayload(f"not an oddsapi snapshot: {exc}") from exc
    if fetched_at is None:
        raise UnparseablePayload("snapshot 'timestamp' missing or not a timestamp")
    if not plausible_stamp(fetched_at):
        raise UnparseablePayload(implausible_stamp("snapshot 'timestamp'", fetched_at))

    rows, rejected = parse_walked(
        _walk(doc), COLUMNS, lambda frame: _checks(frame, fetched_at), KEY, DUPLICATE
    )
    return ParsedPayload(fetched_at=fetched_at, rows=_good_rows(rows), rejected=rejected)


_OUTCOME = "STRUCT(name VARCHAR, description JSON, price JSON, point JSON)"
_MARKET = f"STRUCT(key VARCHAR, last_update JSON, outcomes {_OUTCOME}[])"
_BOOK = f"STRUCT(key VARCHAR, title VARCHAR, last_update JSON, markets {_MARKET}[])"
_EVENT = (
    "STRUCT(id VARCHAR, sport_key VARCHAR, sport_title VARCHAR, commence_time JSON, "
    f"home_team VARCHAR, away_team VARCHAR, bookmakers {_BOOK}[])"
)
DOCUMENT = {"timestamp": "JSON", "data": f"{_EVENT}[]"}

# A snapshot the bulk read cannot vouch for goes to `parse` alone: `data` missing or not a list,
# or a null where an event, bookmaker, market or outcome object belongs (`parse` refuses those).
_HOLES = """
    data is null or list_count(data) < len(data) or coalesce(list_bool_or(list_transform(data,
        lambda e: list_count(e.bookmakers) < len(e.bookmakers) or list_bool_or(list_transform(
            e.bookmakers, lambda b: list_count(b.markets) < len(b.markets) or list_bool_or(
                list_transform(b.markets, lambda m: list_count(m.outcomes) < len(m.outcomes))))))),
        false)
"""

# One list of outcome records per snapshot, in document order: a record's place is its row number.
_FLATTEN = """
    with flat as (
        select payload, flatten(flatten(flatten(list_transform(data, lambda e: list_transform(
            coalesce(e.bookmakers, []), lambda b: list_transform(
                coalesce(b.markets, []), lambda m: list_transform(
                    coalesce(m.outcomes, []), lambda o: {
                        event_id: e.id,
                        sport_key: e.sport_key,
                        sport_title: e.sport_title,
                        commence_time: json_text(e.commence_time),
                        home_team: e.home_team,
                        away_team: e.away_team,
                        bookmaker_key: b.key,
                        bookmaker_title: b.title,
                        bookmaker_last_update: json_text(b.last_update),
                        market_key: m.key,
                        market_last_update: json_text(m.last_update),
                        outcome_name: o.name,
                        outcome_description: json_text(o.description),
                        outcome_price: json_number(o.price),
                        outcome_point: json_number(o.point),
                    }))))))) as outcomes
        from $documents
        where payload in ($vouched)
    )
    select payload, generate_subscripts(outcomes, 1) as row_number,
        unnest(outcomes, recursive := true)
    from flat
"""


_SQL_CHECKS = [
    ("commence_time is null", "event commence_time missing or not a timestamp"),
    (game_window_sql("commence_time"), GAME_WINDOW_REASON),
    ("outcome_name is null or outcome_name not in ('Over', 'Under')",
     "outcome name is not Over/Under"),
    (f"is_blank(outcome_description) and not {is_game_total_sql('market_key', GAME_TOTAL)}",
     NO_NAME),
    ("outcome_price is null or isnan(outcome_price)", "price is not a number"),
    ("abs(outcome_price) < 100", "price is not valid American odds (|price| must be >= 100)"),
    (f"abs(outcome_price) > {MAX_AMERICAN_ODDS}", american_out_of_range("price")),
    ("outcome_point is null or isnan(outcome_point)", "point is not a number"),
    ("outcome_point < 0", "point is negative"),
    (f"outcome_point > {MAX_LINE}", line_out_of_range("point")),
]  # fmt: skip
SQL = JsonFeedSql(
    document=DOCUMENT,
    stamp="timestamp",
    holes=_HOLES,
    flatten=_FLATTEN,
    timestamps=TIMESTAMP_COLUMNS,
    slate_from="commence_time",
    columns=COLUMNS,
    checks=_SQL_CHECKS,
    walk=_walk,
    key=KEY,
    duplicate=DUPLICATE,
)

stage = SQL.stage
parse_batch = SQL.parse_batch
