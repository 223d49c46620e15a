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
from collections.abc import Iterator, Sequence
from datetime import datetime

import duckdb
import pandas as pd

from propcast.timeutil import parse_utc, slate_date
from propcast.vendors.base import (
    BatchParse,
    ParsedPayload,
    Payload,
    UnparseablePayload,
    blank,
    first_failure,
    is_game_total,
    is_game_total_sql,
    numeric,
    rejected_frame,
    split_rejected,
)
from propcast.vendors.sanity import (
    GAME_WINDOW_REASON,
    MAX_AMERICAN_ODDS,
    MAX_LINE,
    NOT_UNICODE,
    american_out_of_range,
    duplicate_reason,
    game_window_sql,
    holds_bad_text,
    implausible_stamp,
    is_text,
    later_duplicates,
    line_out_of_range,
    listed,
    outside_game_window,
    plausible_stamp,
)
from propcast.vendors.staging import JsonFeedSql, Staged, parse_batch_in_memory, stage_json

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


Outcome = tuple[dict, dict, dict, dict, object, str | None]


def _outcomes(events: list) -> Iterator[Outcome]:
    """(event, bookmaker, market, outcome, what its row shows, problem) per outcome, in document
    order (a row's number). A value of the wrong shape where an event, bookmaker, market or
    outcome object belongs is a row of its own, refused with the problem; its siblings load."""
    for event, bad in listed(events, "event"):
        if bad:
            yield {}, {}, {}, {}, event, bad
            continue
        for book, bad in listed(event.get("bookmakers"), "bookmaker"):
            if bad:
                yield event, {}, {}, {}, book, bad
                continue
            for market, bad in listed(book.get("markets"), "market"):
                if bad:
                    yield event, book, {}, {}, market, bad
                    continue
                for outcome, bad in listed(market.get("outcomes"), "outcome"):
                    yield event, book, market, {} if bad else outcome, outcome, bad


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
        events = doc["data"]
        if not isinstance(events, list):
            raise TypeError("'data' is not a list of events")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UnparseablePayload(f"not an oddsapi snapshot: {exc}") from exc
    if fetched_at is None:
        raise UnparseablePayload("snapshot 'timestamp' missing or not a timestamp")
    if not plausible_stamp(fetched_at):
        raise UnparseablePayload(implausible_stamp("snapshot 'timestamp'", fetched_at))

    walked = list(_outcomes(events))
    records, problems = [], []
    for event, book, market, outcome, _, bad in walked:
        record = _record(event, book, market, outcome)
        if holds_bad_text(record):
            record, bad = _record({}, {}, {}, {}), bad or NOT_UNICODE
        records.append(record)
        problems.append(bad)
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    reasons = first_failure(len(frame), _checks(frame, fetched_at))
    shape = pd.Series(problems, dtype=object)
    reasons = reasons.where(shape.isna(), shape)
    reasons[later_duplicates(frame, reasons, KEY)] = DUPLICATE
    rows, rejected = split_rejected(frame, reasons, lambda i: json.dumps(walked[i][4], default=str))
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
    DOCUMENT,
    "timestamp",
    _HOLES,
    _FLATTEN,
    TIMESTAMP_COLUMNS,
    "commence_time",
    COLUMNS,
    _SQL_CHECKS,
    KEY,
    DUPLICATE,
)


def stage(
    con: duckdb.DuckDBPyConnection, payloads: Sequence[Payload], name: str = "_stage_oddsapi"
) -> Staged:
    """`parse` over many snapshots at once, in DuckDB: read, flattened and checked in SQL (the
    same checks as `_checks`), staged in temp table `name`."""
    return stage_json(con, payloads, SQL, name, _rejected)


def parse_batch(payloads: Sequence[Payload]) -> BatchParse:
    """`stage` on an in-memory database, its good rows as pandas."""
    return parse_batch_in_memory(stage, payloads)


def _rejected(payloads: Sequence[Payload], bad: pd.DataFrame) -> pd.DataFrame:
    """Refused rows as quarantine records; the row text is the outcome object as `parse` shows it,
    so the few affected snapshots are walked again in Python."""
    texts = pd.Series(None, index=bad.index, dtype=object)
    for payload, rows in bad.groupby("payload")["row_number"]:
        shown = [w[4] for w in _outcomes(json.loads(payloads[payload].content)["data"])]
        texts[rows.index] = [json.dumps(shown[n - 1], default=str) for n in rows]
    return rejected_frame(bad["payload"], bad["row_number"], texts, bad["reason"])
