"""Incident 5: freshness fooled by backfilled rows.

Last night's results are not in yet (the league's boxscores for the latest game date), and an
old date's results are loaded late, today: rows with a fresh `loaded_at` for an old
game_date. `propcast freshness` judges each source on the latest game_date that has data due,
so its verdict, age and latest load do not move; once the missing current results are
delivered, `propcast ingest` loads them and freshness passes
(docs/runbooks/05-freshness-backfill.md)."""

from __future__ import annotations

from datetime import date, datetime

from propcast.fetch import fetch_from_feeds
from propcast.settings import Home
from tests.reliability.tally import record

from .conftest import cli, scalar, unload

#: Later than the demo's loads (the suite's 10:30): today's loads are distinguishable.
NOON = {"PROPCAST_NOW": "2027-01-13T12:00:00-05:00"}
OLD_DATE = date(2027, 1, 5)
RESULTS = ("league.boxscores", "league.schedule")
JUDGED = ("verdict", "age_hours", "latest_game_date", "latest_loaded_at")


def judged(result) -> dict[str, tuple]:
    return {s["source"]: tuple(s[k] for k in JUDGED) for s in result.body["sources"]}


def test_a_late_load_of_old_results_does_not_make_stale_results_look_fresh(
    incident_home: Home,
) -> None:
    unload(incident_home, "league", OLD_DATE)  # never delivered so far

    before = cli("freshness", **NOON)
    assert before.code == 3, before
    stale = {s: v for s, v in judged(before).items() if v[0] != "pass"}
    assert set(stale) == set(RESULTS), before
    assert {v[2] for v in stale.values()} <= {"2027-01-11", "2027-01-12"}

    # The old date's results arrive today.
    feeds = incident_home.world / "feeds"
    fetched = fetch_from_feeds(
        incident_home, feeds, cutoff=datetime(2100, 1, 1), game_dates={OLD_DATE},
        vendors={"league"},
    )  # fmt: skip
    assert fetched.copied == 3, fetched  # the results, the boxscores, the availability report
    late = cli("ingest", **NOON)
    assert late.code == 0 and late.body["payloads_loaded"] == 3, late
    assert (
        scalar(
            incident_home,
            "select count(*) from raw.raw_boxscores where game_date = ? and loaded_at = ?",
            OLD_DATE,
            datetime(2027, 1, 13, 17, 0),
        )
        > 0
    )

    after = cli("freshness", **NOON)
    assert after.code == 3, after
    assert judged(after) == judged(before)

    # Recover: the missing current results are delivered and loaded.
    fetch_from_feeds(incident_home, feeds, cutoff=datetime(2027, 1, 13, 17, 0), vendors={"league"})
    loaded = cli("ingest", **NOON)
    assert loaded.code == 0 and loaded.body["payloads_loaded"] >= 2, loaded
    fresh = cli("freshness", **NOON)
    assert fresh.code == 0, fresh
    assert all(v[0] == "pass" for v in judged(fresh).values())
    record("incidents", 1, 1)
