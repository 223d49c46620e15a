"""Vendor adapters: vendor field names kept, slate dates in US/Eastern, bad rows refused alone."""

from __future__ import annotations

import json
from datetime import date

import pytest

from propcast.vendors import csvfeed, decimalfeed
from propcast.vendors.base import UnparseablePayload

CSV_HEADER = (
    "snapshot_time,league,game_start,home,away,book,player,stat,line,over_odds,under_odds\n"
)


def test_csvfeed_rows_and_quarantine() -> None:
    body = CSV_HEADER + (
        '2026-11-20T15:00:00Z,NBA,2026-11-20T22:30:00-05:00,GS,bos,DK,"Curry, Stephen",PTS,28.5,-115,-105\n'
        '2026-11-20T15:00:00Z,NBA,2026-11-20T22:30:00-05:00,GS,bos,FD,"Curry, Stephen",PTS,28.5,-40,-105\n'
        "2026-11-20T15:00:00Z,NBA,2026-11-20T22:30:00-05:00,GS,bos,FD,,PTS,28.5,-110,-110\n"
    )
    parsed = csvfeed.parse(body.encode())
    assert len(parsed.rows) == 1 and len(parsed.rejected) == 2
    row = parsed.rows.iloc[0]
    assert row["player"] == "Curry, Stephen" and row["home"] == "GS" and row["over_odds"] == -115
    # 22:30 in New York is 03:30 UTC the next day; the slate is still the 20th.
    assert row["game_date"] == date(2026, 11, 20)
    assert str(row["game_start"]) == "2026-11-21 03:30:00"
    assert parsed.fetched_at.isoformat() == "2026-11-20T15:00:00"
    assert {r.row_number for r in parsed.rejected} == {3, 4}
    assert any("American odds" in r.reason for r in parsed.rejected)


def test_csvfeed_without_its_columns_is_unparseable() -> None:
    with pytest.raises(UnparseablePayload, match="lacks columns"):
        csvfeed.parse(b"a,b\n1,2\n")


def _decimal_doc(offers: list[dict]) -> bytes:
    fixture = {
        "fixture_id": "fx1",
        "start": "2026-11-21T00:00:00Z",
        "home": {"name": "Warriors", "abbr": "GSW"},
        "away": {"name": "Celtics", "abbr": "BOS"},
        "offers": offers,
    }
    doc = {"generated_at": "2026-11-20T19:00:00Z", "sport": "basketball/nba", "fixtures": [fixture]}
    return json.dumps(doc).encode()


def test_decimalfeed_rows_and_quarantine() -> None:
    good = {"bookmaker": "fanduel", "market": "points", "selection": "over",
            "participant": "Stephen Curry", "handicap": 28.5, "odds": 1.87}  # fmt: skip
    parsed = decimalfeed.parse(
        _decimal_doc([good, {**good, "odds": 0.95}, {**good, "selection": "push"}])
    )
    assert len(parsed.rows) == 1
    assert [r.row_number for r in parsed.rejected] == [2, 3]
    assert parsed.rows.iloc[0]["odds"] == 1.87
    assert parsed.rows.iloc[0]["game_date"] == date(2026, 11, 20)


def test_decimalfeed_garbage_is_unparseable() -> None:
    with pytest.raises(UnparseablePayload):
        decimalfeed.parse(b"<html>502 Bad Gateway</html>")
