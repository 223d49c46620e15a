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
    JSON_MACROS,
    BatchParse,
    ParsedPayload,
    Payload,
    UnparseablePayload,
    blank,
    first_failure,
    frame_of,
    numeric,
    parse_distinct,
    read_in_halves,
    read_json_docs,
    rejected_frame,
    split_rejected,
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
        from documents
        where payload in (select payload from sound)
    )
    select payload, generate_subscripts(offers, 1) as row_number, unnest(offers, recursive := true)
    from flat
"""


def _read(payloads: Sequence[Payload], indexes: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect() as con:
        con.execute(JSON_MACROS)
        con.register(
            "payload_files",
            pd.DataFrame(
                {"filename": [str(payloads[i].path) for i in indexes], "payload": indexes}
            ),
        )
        con.execute(
            "create temp table documents as select payload, d.* exclude (filename) from "
            + read_json_docs([payloads[i].path for i in indexes], DOCUMENT)
            + " d join payload_files using (filename)"
        )
        con.execute(
            "create temp table sound as select payload, "
            "any_value(json_text(generated_at)) as stamp from documents "
            f" group by payload having count(*) = 1 and not bool_or({_HOLES})"
        )
        return frame_of(con.sql("select * from sound")), frame_of(con.sql(_FLATTEN))


def parse_batch(payloads: Sequence[Payload]) -> BatchParse:
    """`parse` over many snapshots at once: DuckDB reads and flattens them, the checks run once."""
    parts, _ = read_in_halves(lambda indexes: _read(payloads, indexes), list(range(len(payloads))))
    if not parts:
        return BatchParse(
            {}, pd.DataFrame({"payload": []}, dtype="int64"), rejected_frame([], [], [], [])
        )
    sound = pd.concat([p[0] for p in parts], ignore_index=True)
    frame = pd.concat([p[1] for p in parts], ignore_index=True)
    stamps = parse_distinct(sound["stamp"], parse_utc)
    fetched_at = {int(p): s for p, s in zip(sound["payload"], stamps, strict=True) if pd.notna(s)}
    frame = frame[frame["payload"].isin(fetched_at)].reset_index(drop=True)
    frame["start"] = pd.to_datetime(parse_distinct(frame["start"], parse_utc))
    reasons = first_failure(len(frame), _checks(frame))
    is_bad = reasons.notna().to_numpy()
    rows = _good_rows(frame.loc[~is_bad].drop(columns="row_number").reset_index(drop=True))
    bad = frame.loc[is_bad, ["payload", "row_number"]].assign(reason=reasons[is_bad].to_numpy())
    return BatchParse(fetched_at, rows, _rejected(payloads, bad))


def _rejected(payloads: Sequence[Payload], bad: pd.DataFrame) -> pd.DataFrame:
    """Refused rows as quarantine records; the row text shows the fixture id and the offer object
    as `parse` does, so the few affected snapshots are walked again in Python."""
    texts = pd.Series(None, index=bad.index, dtype=object)
    for payload, rows in bad.groupby("payload")["row_number"]:
        offers = list(_offers(json.loads(payloads[payload].content)["fixtures"]))
        texts[rows.index] = [_row_text(*offers[n - 1]) for n in rows]
    return rejected_frame(bad["payload"], bad["row_number"], texts, bad["reason"])
