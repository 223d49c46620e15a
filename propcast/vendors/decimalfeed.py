"""`decimalfeed`: JSON fixtures with offers priced in decimal odds; one raw row per offer."""

from __future__ import annotations

import json
import math

import pandas as pd

from propcast.timeutil import parse_utc, slate_date
from propcast.vendors.base import ParsedPayload, RejectedRow, UnparseablePayload

FEED = "prop_odds"
TABLE = "raw_decimalfeed__prop_odds"
SELECTIONS = {"over", "under"}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _offer_problem(offer: dict, start: object) -> str | None:
    if start is None:
        return "fixture start missing or not a timestamp"
    if offer.get("selection") not in SELECTIONS:
        return f"selection {offer.get('selection')!r} is not over/under"
    for key in ("bookmaker", "market", "participant"):
        if not offer.get(key):
            return f"{key} missing"
    odds, handicap = _number(offer.get("odds")), _number(offer.get("handicap"))
    if odds is None or odds <= 1.0:
        return f"odds {offer.get('odds')!r} is not a decimal price above 1.0"
    if handicap is None or handicap < 0:
        return f"handicap {offer.get('handicap')!r} missing or negative"
    return None


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
    rejected: list[RejectedRow] = []
    row_number = 0
    for fixture in fixtures:
        start = parse_utc(fixture.get("start"))
        home, away = fixture.get("home") or {}, fixture.get("away") or {}
        for offer in fixture.get("offers") or []:
            row_number += 1
            problem = _offer_problem(offer, start)
            if problem:
                text = json.dumps({"fixture": fixture.get("fixture_id"), "offer": offer})
                rejected.append(RejectedRow(row_number, text, problem))
                continue
            records.append((
                doc.get("sport"), fixture.get("fixture_id"), start,
                home.get("name"), home.get("abbr"), away.get("name"), away.get("abbr"),
                offer["bookmaker"], offer["market"], offer["selection"], offer["participant"],
                float(offer["handicap"]), float(offer["odds"]),
            ))  # fmt: skip
    columns = [
        "sport", "fixture_id", "start", "home_name", "home_abbr", "away_name", "away_abbr",
        "bookmaker", "market", "selection", "participant", "handicap", "odds",
    ]  # fmt: skip
    rows = pd.DataFrame.from_records(records, columns=columns)
    rows["game_date"] = slate_date(rows["start"])
    return ParsedPayload(fetched_at=fetched_at, rows=rows, rejected=rejected)
