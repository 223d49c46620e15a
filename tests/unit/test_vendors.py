"""Vendor adapters: vendor field names kept, slate dates in US/Eastern, bad rows refused alone."""

from __future__ import annotations

import contextlib
import json
from datetime import date
from pathlib import Path

import pytest

from propcast.vendors import csvfeed, decimalfeed, oddsapi
from propcast.vendors.base import BatchParse, Payload, UnparseablePayload

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


def _batch_equals_one_by_one(module, payloads: list[Payload]) -> BatchParse:
    """`parse_batch` loads and refuses exactly what `parse` does, file by file."""
    batch = module.parse_batch(payloads)
    for index in batch.one_by_one(len(payloads)):
        with contextlib.suppress(UnparseablePayload):
            batch.include(index, module.parse(payloads[index].content))
    for index, payload in enumerate(payloads):
        try:
            alone = module.parse(payload.content)
        except UnparseablePayload:
            assert index not in batch.fetched_at
            continue
        assert batch.fetched_at[index] == alone.fetched_at
        rows = batch.rows[batch.rows["payload"] == index].drop(columns="payload")
        expected = alone.rows[rows.columns].astype(object).where(alone.rows.notna(), None)
        got = rows.reset_index(drop=True).astype(object).where(rows.notna().to_numpy(), None)
        assert expected.to_dict("records") == got.to_dict("records")
        refused = batch.rejected[batch.rejected["payload"] == index].sort_values("row_number")
        assert [(r.row_number, r.row_text, r.reason) for r in alone.rejected] == list(
            refused[["row_number", "row_text", "reason"]].itertuples(index=False, name=None)
        )
    return batch


def _payloads(tmp_path: Path, bodies: list[bytes], suffix: str) -> list[Payload]:
    payloads = []
    for i, body in enumerate(bodies):
        path = tmp_path / f"{i}{suffix}"
        path.write_bytes(body)
        payloads.append(Payload(path, body))
    return payloads


def test_csvfeed_batch_matches_single_files(tmp_path: Path) -> None:
    whole_numbers = CSV_HEADER + (
        "2026-11-20T15:00:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,A,PTS,28.5,-115,-105\n"
        "2026-11-20T15:00:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,B,PTS,20.5,-40,-105\n"
    )
    with_a_gap = CSV_HEADER + (  # an empty price makes the column float in this file alone
        "2026-11-20T16:00:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,A,PTS,28.5,,-105\n"
        "2026-11-20T16:00:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,B,PTS,20.5,-40,-105\n"
        "2026-11-20T16:00:00Z,NBA,not a time,GS,BOS,DK,C,PTS,20.5,-110,-110\n"
    )
    two_snapshots = CSV_HEADER + (
        "2026-11-20T15:00:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,A,PTS,28.5,-115,-105\n"
        "2026-11-20T16:00:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,A,PTS,28.5,-115,-105\n"
    )
    a_fraction_elsewhere = CSV_HEADER + (  # a good row's fraction makes the column float
        "2026-11-20T17:00:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,A,PTS,28.5,105.5,-105\n"
        "2026-11-20T17:00:00Z,NBA,2026-11-21T00:30:00Z,GS,BOS,DK,B,PTS,20.5,-40,-105\n"
    )
    bodies = [whole_numbers, with_a_gap, two_snapshots, "a,b\n1,2\n", CSV_HEADER]
    bodies.append(a_fraction_elsewhere)
    batch = _batch_equals_one_by_one(
        csvfeed, _payloads(tmp_path, [b.encode() for b in bodies], ".csv")
    )
    texts = batch.rejected.sort_values(["payload", "row_number"])["row_text"].tolist()
    assert '"over_odds":-40,' in texts[0] and '"over_odds":-40.0,' in texts[2]
    assert '"over_odds":-40.0,' in texts[-1]


def test_decimalfeed_batch_matches_single_files(tmp_path: Path) -> None:
    good = {"bookmaker": "fanduel", "market": "points", "selection": "over",
            "participant": "Stephen Curry", "handicap": 28.5, "odds": 1.87}  # fmt: skip
    bodies = [
        _decimal_doc([good, {**good, "odds": "1.9"}, {**good, "selection": "push"}]),
        _decimal_doc([good, {**good, "participant": " "}, {**good, "market": "pts", "extra": 1}]),
        _decimal_doc([good, None]),  # not an offer: that row is refused, the good one loads
        b"<html>502 Bad Gateway</html>",
        json.dumps({"generated_at": "2026-11-20T19:00:00Z", "fixtures": []}).encode(),
    ]
    batch = _batch_equals_one_by_one(decimalfeed, _payloads(tmp_path, bodies, ".json"))
    assert sorted(batch.fetched_at) == [0, 1, 2, 4]


def test_oddsapi_batch_matches_single_files(tmp_path: Path) -> None:
    from tests.unit.test_ingest import _outcome, oddsapi_snapshot

    outcomes = [
        _outcome("Over", "A B", -115),
        {"name": "Over", "description": "A B", "price": "110", "point": 2.5},  # text, not a price
        {"name": "Under", "description": "A B", "price": True, "point": 2.5},
        _outcome("Sideways", "A B", -110),
        _outcome("Under", "\u00a0", -110),
    ]
    doc = oddsapi_snapshot("2026-11-20T15:00:00Z", outcomes)
    no_start = oddsapi_snapshot("2026-11-20T16:00:00Z", outcomes[:1], commence=20261121)
    bodies = [
        json.dumps(doc).encode(),
        json.dumps(no_start).encode(),
        json.dumps({**doc, "data": [None]}).encode(),
        json.dumps({**doc, "data": "none today"}).encode(),
        b"{not json",
    ]
    batch = _batch_equals_one_by_one(oddsapi, _payloads(tmp_path, bodies, ".json"))
    assert sorted(batch.fetched_at) == [0, 1, 2]  # [None]: one refused row, not a broken file
    assert len(batch.rows) == 1 and len(batch.rejected) == 6
