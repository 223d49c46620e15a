"""`oddsapi`: snapshots in the public odds API's historical shape.

`{"timestamp", "data": [event → bookmakers → markets → outcomes]}`; one raw row per outcome.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from propcast.timeutil import parse_utc, slate_date
from propcast.vendors.base import ParsedPayload, RejectedRow, UnparseablePayload

FEED = "prop_odds"
TABLE = "raw_oddsapi__prop_odds"
OUTCOME_NAMES = {"Over", "Under"}


def _row_problem(outcome: dict, commence: object) -> str | None:
    if commence is None:
        return "event commence_time missing or not a timestamp"
    if outcome.get("name") not in OUTCOME_NAMES:
        return f"outcome name {outcome.get('name')!r} is not Over/Under"
    if not outcome.get("description"):
        return "outcome description (player name) missing"
    price, point = outcome.get("price"), outcome.get("point")
    if not isinstance(price, int | float) or isinstance(price, bool) or not math.isfinite(price):
        return f"price {price!r} is not a number"
    if -100 < price < 100:
        return f"price {price} is not valid American odds (|price| must be >= 100)"
    if not isinstance(point, int | float) or isinstance(point, bool) or not math.isfinite(point):
        return f"point {point!r} is not a number"
    if point < 0:
        return f"point {point} is negative"
    return None


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
    rejected: list[RejectedRow] = []
    row_number = 0
    for event in events:
        commence = parse_utc(event.get("commence_time"))
        for book in event.get("bookmakers") or []:
            book_update = parse_utc(book.get("last_update"))
            for market in book.get("markets") or []:
                market_update = parse_utc(market.get("last_update"))
                for outcome in market.get("outcomes") or []:
                    row_number += 1
                    problem = _row_problem(outcome, commence)
                    if problem:
                        text = json.dumps(
                            {
                                "event": event.get("id"),
                                "book": book.get("key"),
                                "market": market.get("key"),
                                "outcome": outcome,
                            },
                            default=str,
                        )
                        rejected.append(RejectedRow(row_number, text, problem))
                        continue
                    records.append(
                        (
                            event.get("id"),
                            event.get("sport_key"),
                            event.get("sport_title"),
                            commence,
                            event.get("home_team"),
                            event.get("away_team"),
                            book.get("key"),
                            book.get("title"),
                            book_update,
                            market.get("key"),
                            market_update,
                            outcome["name"],
                            outcome["description"],
                            float(outcome["price"]),
                            float(outcome["point"]),
                        )
                    )
    columns = [
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
    rows = pd.DataFrame.from_records(records, columns=columns)
    rows["game_date"] = slate_date(rows["commence_time"])
    return ParsedPayload(fetched_at=fetched_at, rows=rows, rejected=rejected)
