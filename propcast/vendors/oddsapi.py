"""`oddsapi`: snapshots in the public odds API's historical shape.

`{"timestamp", "data": [event → bookmakers → markets → outcomes]}`; one raw row per outcome.
The loop only collects values; validation runs column-wise, because per-row checks in Python
cost more than the whole rest of ingestion.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from propcast.timeutil import parse_utc, slate_date
from propcast.vendors.base import ParsedPayload, RejectedRow, UnparseablePayload

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


def _numeric(values: list[object]) -> pd.Series:
    """Numbers stay numbers; text, booleans and missing values become NaN."""
    return pd.Series(
        [v if isinstance(v, int | float) and not isinstance(v, bool) else np.nan for v in values],
        dtype="float64",
    )


def _problems(frame: pd.DataFrame, raw_price: list, raw_point: list) -> pd.Series:
    price, point = _numeric(raw_price), _numeric(raw_point)
    checks = [
        (frame["commence_time"].isna(), "event commence_time missing or not a timestamp"),
        (~frame["outcome_name"].isin(OUTCOME_NAMES), "outcome name is not Over/Under"),
        (
            frame["outcome_description"].fillna("").astype(str).str.strip() == "",
            "outcome description (player name) missing",
        ),
        (~np.isfinite(price), "price is not a number"),
        (price.abs() < 100, "price is not valid American odds (|price| must be >= 100)"),
        (~np.isfinite(point), "point is not a number"),
        (point < 0, "point is negative"),
    ]
    reasons = pd.Series([None] * len(frame), dtype=object)
    for mask, reason in reversed(checks):  # the first failing check names the row
        reasons[mask.to_numpy()] = reason
    return reasons


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
    reasons = _problems(frame, [r[13] for r in records], [r[14] for r in records])
    bad = reasons.notna().to_numpy()
    rejected = [
        RejectedRow(int(i) + 1, json.dumps(outcomes[i], default=str), str(reasons[i]))
        for i in np.flatnonzero(bad)
    ]
    rows = frame.loc[~bad].reset_index(drop=True)
    rows["outcome_price"] = pd.to_numeric(rows["outcome_price"]).astype("float64")
    rows["outcome_point"] = pd.to_numeric(rows["outcome_point"]).astype("float64")
    rows["game_date"] = slate_date(rows["commence_time"])
    return ParsedPayload(fetched_at=fetched_at, rows=rows, rejected=rejected)
