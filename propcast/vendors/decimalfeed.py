"""`decimalfeed`: JSON fixtures with offers priced in decimal odds; one raw row per offer.

`parse_batch` reads many snapshots at once with DuckDB and applies the same checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import duckdb
import pandas as pd

from propcast.timeutil import parse_utc, slate_date
from propcast.vendors.base import (
    BatchParse,
    JsonFeedSql,
    ParsedPayload,
    Payload,
    Staged,
    UnparseablePayload,
    blank,
    first_failure,
    numeric,
    parse_batch_in_memory,
    rejected_frame,
    split_rejected,
    stage_json,
)

FEED = "prop_odds"
TABLE = "raw_decimalfeed__prop_odds"
SELECTIONS = {"over", "under"}
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


def _checks(frame: pd.DataFrame) -> list:
    odds, handicap = numeric(frame["odds"]), numeric(frame["handicap"])
    return [
        (frame["start"].isna(), "fixture start missing or not a timestamp"),
        (~frame["selection"].isin(SELECTIONS), "selection is not over/under"),
        *[(blank(frame[c]), f"{c} missing") for c in ("bookmaker", "market", "participant")],
        (odds.isna() | (odds <= 1.0), "odds is not a decimal price above 1.0"),
        (handicap.isna() | (handicap < 0), "handicap missing or negative"),
    ]


def _good_rows(rows: pd.DataFrame) -> pd.DataFrame:
    rows["handicap"] = numeric(rows["handicap"])
    rows["odds"] = numeric(rows["odds"])
    rows["game_date"] = slate_date(rows["start"])
    return rows


def _offers(fixtures: list) -> Iterator[tuple[dict, dict]]:
    """(fixture, offer) per offer, in document order (a row's number)."""
    for fixture in fixtures:
        for offer in fixture.get("offers") or []:
            yield fixture, offer


def _row_text(fixture: dict, offer: dict) -> str:
    return json.dumps({"fixture": fixture.get("fixture_id"), "offer": offer})


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
    texts: list[tuple[dict, dict]] = []
    try:
        for fixture, offer in _offers(fixtures):
            home, away = fixture.get("home") or {}, fixture.get("away") or {}
            texts.append((fixture, offer))
            records.append(
                (
                    doc.get("sport"),
                    fixture.get("fixture_id"),
                    parse_utc(fixture.get("start")),
                    home.get("name"),
                    home.get("abbr"),
                    away.get("name"),
                    away.get("abbr"),
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
    reasons = first_failure(len(frame), _checks(frame))
    rows, rejected = split_rejected(frame, reasons, lambda i: _row_text(*texts[i]))
    return ParsedPayload(fetched_at=fetched_at, rows=_good_rows(rows), rejected=rejected)


_TEAM = "STRUCT(name VARCHAR, abbr VARCHAR)"
_OFFER = (
    "STRUCT(bookmaker VARCHAR, market VARCHAR, selection VARCHAR, participant VARCHAR, "
    "handicap JSON, odds JSON)"
)
_FIXTURE = f"STRUCT(fixture_id VARCHAR, start JSON, home {_TEAM}, away {_TEAM}, offers {_OFFER}[])"
DOCUMENT = {"generated_at": "JSON", "sport": "VARCHAR", "fixtures": f"{_FIXTURE}[]"}

# A snapshot the bulk read cannot vouch for goes to `parse` alone: `fixtures` missing or not a
# list, or a null where a fixture or offer object belongs (`parse` refuses those).
_HOLES = """
    fixtures is null or list_count(fixtures) < len(fixtures) or coalesce(list_bool_or(
        list_transform(fixtures, lambda f: list_count(f.offers) < len(f.offers))), false)
"""

# One list of offer records per snapshot, in document order: a record's place is its row number.
_FLATTEN = """
    with flat as (
        select payload, flatten(list_transform(fixtures, lambda f: list_transform(
            coalesce(f.offers, []), lambda o: {
                sport: sport,
                fixture_id: f.fixture_id,
                start: json_text(f.start),
                home_name: f.home.name,
                home_abbr: f.home.abbr,
                away_name: f.away.name,
                away_abbr: f.away.abbr,
                bookmaker: o.bookmaker,
                market: o.market,
                selection: o.selection,
                participant: o.participant,
                handicap: json_number(o.handicap),
                odds: json_number(o.odds),
            }))) as offers
        from $documents
        where payload in ($vouched)
    )
    select payload, generate_subscripts(offers, 1) as row_number, unnest(offers, recursive := true)
    from flat
"""


_SQL_CHECKS = [
    ("start is null", "fixture start missing or not a timestamp"),
    ("selection is null or selection not in ('over', 'under')", "selection is not over/under"),
    *[(f"is_blank({c})", f"{c} missing") for c in ("bookmaker", "market", "participant")],
    ("odds is null or isnan(odds) or odds <= 1.0", "odds is not a decimal price above 1.0"),
    ("handicap is null or isnan(handicap) or handicap < 0", "handicap missing or negative"),
]
SQL = JsonFeedSql(
    DOCUMENT, "generated_at", _HOLES, _FLATTEN, ("start",), "start", COLUMNS, _SQL_CHECKS
)


def stage(
    con: duckdb.DuckDBPyConnection, payloads: Sequence[Payload], name: str = "_stage_decimalfeed"
) -> Staged:
    """`parse` over many snapshots at once, in DuckDB: read, flattened and checked in SQL (the
    same checks as `_checks`), staged in temp table `name`."""
    return stage_json(con, payloads, SQL, name, _rejected)


def parse_batch(payloads: Sequence[Payload]) -> BatchParse:
    """`stage` on an in-memory database, its good rows as pandas."""
    return parse_batch_in_memory(stage, payloads)


def _rejected(payloads: Sequence[Payload], bad: pd.DataFrame) -> pd.DataFrame:
    """Refused rows as quarantine records; the row text shows the fixture id and the offer object
    as `parse` does, so the few affected snapshots are walked again in Python."""
    texts = pd.Series(None, index=bad.index, dtype=object)
    for payload, rows in bad.groupby("payload")["row_number"]:
        offers = list(_offers(json.loads(payloads[payload].content)["fixtures"]))
        texts[rows.index] = [_row_text(*offers[n - 1]) for n in rows]
    return rejected_frame(bad["payload"], bad["row_number"], texts, bad["reason"])
