"""`decimalfeed`: JSON fixtures with offers priced in decimal odds; one raw row per offer."""

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
TABLE = "raw_decimalfeed__prop_odds"
SELECTIONS = {"over", "under"}


def parse(payload: bytes) -> ParsedPayload:
    try:
        doc = json.loads(payload)
        fetched_at = parse_utc(doc["generated_at"])
        fixtures = doc["fixtures"]
        if not isinstance(fixtures, list) or fetched_at is None:
            raise TypeError("'fixtures' is not a list or 'generated_at' is not a timestamp")
    except (ValueError, KeyError, TypeError) as exc:
        raise UnparseablePayload(f"not a decimalfeed snapshot: {exc}") from exc

    records: list[tuple] = []
    offers: list[dict] = []
    try:
        for fixture in fixtures:
            start = parse_utc(fixture.get("start"))
            home, away = fixture.get("home") or {}, fixture.get("away") or {}
            head = (
                doc.get("sport"),
                fixture.get("fixture_id"),
                start,
                home.get("name"),
                home.get("abbr"),
                away.get("name"),
                away.get("abbr"),
            )
            for offer in fixture.get("offers") or []:
                offers.append(offer)
                records.append(
                    (
                        *head,
                        offer.get("bookmaker"),
                        offer.get("market"),
                        offer.get("selection"),
                        offer.get("participant"),
                        offer.get("handicap"),
                        offer.get("odds"),
                    )
                )
    except AttributeError as exc:  # a fixture or offer that is not an object
        raise UnparseablePayload(f"not a decimalfeed snapshot: {exc}") from exc

    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    odds, handicap = numeric(frame["odds"]), numeric(frame["handicap"])
    checks = [
        (frame["start"].isna(), "fixture start missing or not a timestamp"),
        (~frame["selection"].isin(SELECTIONS), "selection is not over/under"),
        *[(blank(frame[c]), f"{c} missing") for c in ("bookmaker", "market", "participant")],
        (odds.isna() | (odds <= 1.0), "odds is not a decimal price above 1.0"),
        (handicap.isna() | (handicap < 0), "handicap missing or negative"),
    ]
    reasons = first_failure(len(frame), checks)
    text = lambda i: json.dumps({"fixture": frame.at[i, "fixture_id"], "offer": offers[i]})  # noqa: E731
    rows, rejected = split_rejected(frame, reasons, text)
    rows["handicap"] = numeric(rows["handicap"])
    rows["odds"] = numeric(rows["odds"])
    rows["game_date"] = slate_date(rows["start"])
    return ParsedPayload(fetched_at=fetched_at, rows=rows, rejected=rejected)


COLUMNS = [
    "sport",
    "fixture_id",
    "start",
    "home_name",
    "home_abbr",
    "away_name",
    "away_abbr",
    "bookmaker",
    "market",
    "selection",
    "participant",
    "handicap",
    "odds",
]
