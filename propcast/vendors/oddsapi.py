"""`oddsapi`: snapshots in the public odds API's historical shape.

`{"timestamp", "data": [event → bookmakers → markets → outcomes]}`; one raw row per outcome.
The loop only collects values; validation runs column-wise (see `vendors.base.first_failure`).
"""

from __future__ import annotations

import json

import pandas as pd

from propcast.timeutil import parse_utc, slate_date
from propcast.vendors.base import (
    ParsedPayload,
    UnparseablePayload,
    blank,
    first_failure,
    numeric,
    split_rejected,
)

FEED = "prop_odds"
TABLE = "raw_oddsapi__prop_odds"
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


def _checks(frame: pd.DataFrame) -> list:
    price, point = numeric(frame["outcome_price"]), numeric(frame["outcome_point"])
    return [
        (frame["commence_time"].isna(), "event commence_time missing or not a timestamp"),
        (~frame["outcome_name"].isin(OUTCOME_NAMES), "outcome name is not Over/Under"),
        (blank(frame["outcome_description"]), "outcome description (player name) missing"),
        (price.isna(), "price is not a number"),
        (price.abs() < 100, "price is not valid American odds (|price| must be >= 100)"),
        (point.isna(), "point is not a number"),
        (point < 0, "point is negative"),
    ]


def parse(payload: bytes) -> ParsedPayload:
    try:
        doc = json.loads(payload)
        fetched_at = parse_utc(doc["timestamp"])
        events = doc["data"]
        if not isinstance(events, list):
            raise TypeError("'data' is not a list of events")
    except (ValueError, KeyError, TypeError) as exc:
        raise UnparseablePayload(f"not an oddsapi snapshot: {exc}") from exc
    if fetched_at is None:
        raise UnparseablePayload("snapshot 'timestamp' missing or not a timestamp")

    records: list[tuple] = []
    outcomes: list[dict] = []
    try:
        for event in events:
            commence = parse_utc(event.get("commence_time"))
            head = (
                event.get("id"),
                event.get("sport_key"),
                event.get("sport_title"),
                commence,
                event.get("home_team"),
                event.get("away_team"),
            )
            for book in event.get("bookmakers") or []:
                book_part = (book.get("key"), book.get("title"), parse_utc(book.get("last_update")))
                for market in book.get("markets") or []:
                    market_part = (market.get("key"), parse_utc(market.get("last_update")))
                    for outcome in market.get("outcomes") or []:
                        outcomes.append(outcome)
                        records.append(
                            (
                                *head,
                                *book_part,
                                *market_part,
                                outcome.get("name"),
                                outcome.get("description"),
                                outcome.get("price"),
                                outcome.get("point"),
                            )
                        )
    except AttributeError as exc:  # an event, book, market or outcome that is not an object
        raise UnparseablePayload(f"not an oddsapi snapshot: {exc}") from exc

    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    reasons = first_failure(len(frame), _checks(frame))
    rows, rejected = split_rejected(frame, reasons, lambda i: json.dumps(outcomes[i], default=str))
    rows["outcome_price"] = numeric(rows["outcome_price"])
    rows["outcome_point"] = numeric(rows["outcome_point"])
    rows["game_date"] = slate_date(rows["commence_time"])
    return ParsedPayload(fetched_at=fetched_at, rows=rows, rejected=rejected)
