"""`decimalfeed`: JSON fixtures with offers priced in decimal odds; one raw row per offer.

A game total is a pair of offers with market `total` (GAME_TOTAL) and no participant; they land
in the same raw table as the props.

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
    DECIMAL_OUT_OF_RANGE,
    GAME_WINDOW_REASON,
    MAX_DECIMAL_ODDS,
    MAX_LINE,
    MIN_DECIMAL_ODDS,
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
TABLE = "raw_decimalfeed__prop_odds"
GAME_TOTAL = "total"  # the market of a game total (offers without a participant)
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


# An offer's business key within a snapshot: a second offer with the same key is refused.
KEY = ("fixture_id", "bookmaker", "market", "selection", "participant", "handicap")
DUPLICATE = duplicate_reason(["fixture", "book", "market", "selection", "player", "handicap"])
NOT_ABOVE_ONE = "odds is not a decimal price above 1.0"


def _checks(frame: pd.DataFrame, snapshot: datetime) -> list:
    odds, handicap = numeric(frame["odds"]), numeric(frame["handicap"])
    return [
        (frame["start"].isna(), "fixture start missing or not a timestamp"),
        (outside_game_window(frame["start"], snapshot), GAME_WINDOW_REASON),
        (~frame["selection"].isin(SELECTIONS), "selection is not over/under"),
        *[
            (~is_text(frame[c]) | blank(frame[c]), f"{c} missing or not text")
            for c in ("bookmaker", "market")
        ],
        (
            (~is_text(frame["participant"]) | blank(frame["participant"]))
            & ~is_game_total(frame["market"].where(is_text(frame["market"])), GAME_TOTAL),
            "participant missing or not text",
        ),
        (odds.isna() | (odds <= 1.0), NOT_ABOVE_ONE),
        ((odds < MIN_DECIMAL_ODDS) | (odds > MAX_DECIMAL_ODDS), DECIMAL_OUT_OF_RANGE),
        (handicap.isna() | (handicap < 0), "handicap missing or negative"),
        (handicap > MAX_LINE, line_out_of_range("handicap")),
    ]


def _good_rows(rows: pd.DataFrame) -> pd.DataFrame:
    rows["handicap"] = numeric(rows["handicap"])
    rows["odds"] = numeric(rows["odds"])
    rows["game_date"] = slate_date(rows["start"])
    return rows


def _walk(doc: dict) -> Iterator[Walked]:
    """Each offer of the snapshot's fixtures, in document order (a row's number); it shows the
    fixture id and the offer object. A value of the wrong shape where a fixture, its home or
    away team, or an offer object belongs is a row of its own, refused with the problem; its
    siblings load."""
    sport = doc.get("sport")
    for fixture, bad in listed(doc["fixtures"], "fixture"):
        if bad:
            yield Walked(_record(sport, {}, {}), {"fixture": fixture}, bad)
            continue
        teams = [fixture.get(side) for side in ("home", "away")]
        wrong = [side for side, team in zip(("home", "away"), teams, strict=True)
                 if team is not None and not isinstance(team, dict)]  # fmt: skip
        for offer, bad in listed(fixture.get("offers"), "offer"):
            if not bad and wrong:
                bad = f"fixture {wrong[0]} team is not an object"
            shown = {"fixture": fixture.get("fixture_id"), "offer": offer}
            yield Walked(_record(sport, fixture, {} if bad else offer), shown, bad)


def _record(sport: object, fixture: dict, offer: dict) -> tuple:
    home, away = fixture.get("home"), fixture.get("away")
    home = home if isinstance(home, dict) else {}
    away = away if isinstance(away, dict) else {}
    return (
        sport,
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


def parse(payload: bytes) -> ParsedPayload:
    try:
        doc = json.loads(payload)
        fetched_at = parse_utc(doc["generated_at"])
        if not isinstance(doc["fixtures"], list) or fetched_at is None:
            raise TypeError("'fixtures' is not a list or 'generated_at' is not a timestamp")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UnparseablePayload(f"not a decimalfeed snapshot: {exc}") from exc
    if not plausible_stamp(fetched_at):
        raise UnparseablePayload(implausible_stamp("snapshot 'generated_at'", fetched_at))

    rows, rejected = parse_walked(
        _walk(doc), COLUMNS, lambda frame: _checks(frame, fetched_at), KEY, DUPLICATE
    )
    return ParsedPayload(fetched_at=fetched_at, rows=_good_rows(rows), rejected=rejected)


_TEAM = "STRUCT(name VARCHAR, abbr VARCHAR)"
_OFFER = (
    "STRUCT(bookmaker JSON, market JSON, selection VARCHAR, participant JSON, "
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
                bookmaker: json_text(o.bookmaker),
                market: json_text(o.market),
                selection: o.selection,
                participant: json_text(o.participant),
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
    (game_window_sql("start"), GAME_WINDOW_REASON),
    ("selection is null or selection not in ('over', 'under')", "selection is not over/under"),
    *[(f"is_blank({c})", f"{c} missing or not text") for c in ("bookmaker", "market")],
    (
        f"is_blank(participant) and not {is_game_total_sql('market', GAME_TOTAL)}",
        "participant missing or not text",
    ),
    ("odds is null or isnan(odds) or odds <= 1.0", NOT_ABOVE_ONE),
    (f"odds < {MIN_DECIMAL_ODDS} or odds > {MAX_DECIMAL_ODDS}", DECIMAL_OUT_OF_RANGE),
    ("handicap is null or isnan(handicap) or handicap < 0", "handicap missing or negative"),
    (f"handicap > {MAX_LINE}", line_out_of_range("handicap")),
]
SQL = JsonFeedSql(
    document=DOCUMENT,
    stamp="generated_at",
    holes=_HOLES,
    flatten=_FLATTEN,
    timestamps=("start",),
    slate_from="start",
    columns=COLUMNS,
    checks=_SQL_CHECKS,
    walk=_walk,
    key=KEY,
    duplicate=DUPLICATE,
)

stage = SQL.stage
parse_batch = SQL.parse_batch
