"""The demo world is deterministic and writes its files in the vendors' exact formats."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from propcast.world import generate
from propcast.world.leagues import NBA
from propcast.world.market import ErrorModel
from propcast.world.season import Season
from tests.unit.world.files import (
    AVAILABILITY_HEADER,
    BOOKS,
    BOXSCORE_HEADER,
    DAYS,
    ET,
    FILE_NAME,
    SCHEDULE_HEADER,
    SEED,
    SEEDS,
    START,
    STAT_OF_MARKET,
    TRUTH_HEADER,
    World,
    implied,
    read_csvs,
    utc,
)

# -- determinism and housekeeping -----------------------------------------------------------


def test_same_arguments_give_the_same_bytes(nba_world: World, tmp_path: Path) -> None:
    generate(tmp_path, seed=SEED, start=START, days=DAYS, books=BOOKS)
    first = sorted(p.relative_to(nba_world.root) for p in nba_world.root.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (nba_world.root / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_another_seed_gives_another_world(nba_world: World, tmp_path: Path) -> None:
    generate(tmp_path, seed=SEED + 1, start=START, days=3, books=BOOKS)
    other = read_csvs(tmp_path / "feeds/league/boxscores")
    assert set(other.player_id).isdisjoint(set(nba_world.box.player_id))


def test_regenerating_replaces_feeds_and_truth_but_nothing_else(tmp_path: Path) -> None:
    generate(tmp_path, seed=1, start=START, days=2)
    stale = [
        tmp_path / "feeds/oddsapi/prop_odds/2001-01-01__20010101T150000Z.json",
        tmp_path / "feeds/somevendor/x.csv",
        tmp_path / "truth/old.csv",
    ]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("stale")
    bystander = tmp_path / "inbox/keep.txt"
    bystander.parent.mkdir()
    bystander.write_text("mine")
    generate(tmp_path, seed=1, start=START, days=2)
    assert not any(p.exists() for p in stale)
    assert bystander.read_text() == "mine"


def test_progress_is_reported_once_per_day(nba_world: World) -> None:
    assert nba_world.progress == [(d, DAYS) for d in range(1, DAYS + 1)]


def test_summary_counts_match_the_files(nba_world: World) -> None:
    s = nba_world.summary
    files = [p for p in nba_world.root.rglob("*") if p.is_file()]
    assert s.files == len(files)
    decimal_offers = sum(
        len(f["offers"]) for d in nba_world.decimal_docs.values() for f in d["fixtures"]
    )
    # Game totals are vendor rows too: two oddsapi outcomes, one csvfeed row, two offers.
    oddsapi_totals = sum(
        m["key"] == "totals"
        for d in nba_world.snapshots.values()
        for e in d["data"]
        for b in e["bookmakers"]
        for m in b["markets"]
    )
    csv_totals = sum(
        (pd.read_csv(p, dtype=str, keep_default_na=False)["stat"] == "TOT").sum()
        for p in (nba_world.root / "feeds/csvfeed/prop_odds").glob("*.csv")
    )
    assert s.vendor_rows == {
        "oddsapi": 2 * len(nba_world.quotes) + 2 * oddsapi_totals,
        "csvfeed": len(nba_world.csv_rows) + csv_totals,
        "decimalfeed": decimal_offers,
    }
    assert s.quote_rows == sum(s.vendor_rows.values()) + len(nba_world.csv_rows) + csv_totals
    assert s.truth_rows == len(nba_world.truth)
    assert s.games == len(nba_world.season) == len(nba_world.results)
    assert (s.start, s.end) == (START, START + timedelta(days=DAYS - 1))
    assert s.players == 30 * 13
    assert nba_world.box.player_id.nunique() <= s.players
    text = str(s)
    assert f"{s.games:,} games" in text and f"{s.truth_rows:,} truth rows" in text
    csv_rows = len(nba_world.csv_rows) + csv_totals
    assert f"csvfeed {csv_rows:,} rows, {s.bad_rows['csvfeed']:,} bad" in text
    assert "[" not in text  # the CLI prints it through rich (markup)


def test_world_json_records_the_parameters(nba_world: World) -> None:
    params = json.loads((nba_world.root / "truth/world.json").read_text())
    assert params["seed"] == SEED and params["start"] == START.isoformat()
    assert params["days"] == DAYS and params["market_noise"] == 1.0
    assert params["books"] == BOOKS
    assert params["book_keys"] == ["draftkings", "fanduel", "betmgm", "williamhill_us", "betrivers"]
    assert {"market_sd", "book_sd", "form_lag_days"} <= params["error_model"].keys()
    vendors = params["vendors"]
    assert {v: vendors[v]["book_keys"] for v in vendors} == {
        "oddsapi": ["draftkings", "fanduel", "betmgm"],
        "csvfeed": ["draftkings", "williamhill_us"],
        "decimalfeed": ["betmgm", "betrivers"],
    }
    assert {v: vendors[v]["offset_minutes"] for v in vendors} == {
        "oddsapi": 0, "csvfeed": 5, "decimalfeed": -30,
    }  # fmt: skip
    assert len(vendors["csvfeed"]["nickname_players"]) == 1
    assert len(vendors["decimalfeed"]["nickname_players"]) == 1


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="books"):
        generate(tmp_path, start=START, days=1, books=9)
    with pytest.raises(ValueError, match="days"):
        generate(tmp_path, start=START, days=0)
    with pytest.raises(ValueError, match="market_noise"):
        generate(tmp_path, start=START, days=1, market_noise=-1)
    with pytest.raises(ValueError, match="unknown vendor"):
        generate(tmp_path, start=START, days=1, vendors=("oddsapi", "fakefeed"))
    with pytest.raises(ValueError, match="vendors"):
        generate(tmp_path, start=START, days=1, vendors=())
    with pytest.raises(ValueError, match="season"):
        generate(tmp_path, start=START, days=1, season=-1)


def test_a_later_season_keeps_the_players_and_lives_its_own_nights() -> None:
    """bench/quality's seasons share a seed: season k keeps the players (roster, skills, ids)
    but not season 0's nights. Before `season` existed, every season replayed the first
    one's form and minutes roles day by day (identical, not just alike)."""
    first, later = (
        Season(
            NBA, seed=SEED, start=START, books=5, market_noise=1.0, errors=ErrorModel(), season=k
        )
        for k in (0, 1)
    )
    assert first.roster.player_ids == later.roster.player_ids
    assert np.array_equal(first.roster.rate, later.roster.rate)
    assert not np.allclose(first.form, later.form)
    for d in range(5):
        nights = first.simulate_day(d), later.simulate_day(d)
    assert np.corrcoef(first.form.ravel(), later.form.ravel())[0, 1] < 0.5
    assert not np.allclose(first.role, later.role)
    assert nights[0].games and nights[1].games
    assert first.scheduler.id_base == later.scheduler.id_base  # game ids are the seed's


# -- formats -----------------------------------------------------------------------------------


def test_file_names_carry_game_date_and_publication_time(nba_world: World) -> None:
    feeds = nba_world.root / "feeds"
    folders = {p.parent.relative_to(feeds).as_posix() for p in feeds.rglob("*") if p.is_file()}
    assert folders == {
        "oddsapi/prop_odds", "csvfeed/prop_odds", "decimalfeed/prop_odds", "league/schedule",
        "league/boxscores", "league/availability",
    }  # fmt: skip
    for path in feeds.rglob("*.*"):
        match = FILE_NAME.match(path.name)
        assert match, path
        date.fromisoformat(match.group(1))
        datetime.strptime(match.group(2), "%Y%m%dT%H%M%SZ")


def test_csv_headers_are_exact(nba_world: World) -> None:
    headers = (("schedule", SCHEDULE_HEADER), ("boxscores", BOXSCORE_HEADER),
               ("availability", AVAILABILITY_HEADER))  # fmt: skip
    for folder, header in headers:
        for path in (nba_world.root / "feeds/league" / folder).glob("*.csv"):
            assert path.read_text(encoding="utf-8").splitlines()[0] == header, path
    truth = (nba_world.root / "truth/prop_truth.csv").read_text(encoding="utf-8")
    assert truth.splitlines()[0] == TRUTH_HEADER


def test_the_truth_carries_the_hidden_state_behind_each_mean(nba_world: World) -> None:
    """`true_expected_minutes` and `true_form` (bench/quality's oracle columns) are the state
    the true mean is built from: one expected minutes per (game, player), whatever the market,
    and once a player's minutes and form are taken out of his log mean, only the game's
    context (pace, defence, home, back-to-back) is left to vary, a fraction of the whole."""
    t = nba_world.truth
    per_player = t.groupby(["game_id", "player_id"])["true_expected_minutes"].nunique()
    assert (per_player == 1).all()
    assert (t["true_expected_minutes"] > 0).all()
    log_mean = np.log(t["true_mean"])
    rest = log_mean - np.log(t["true_expected_minutes"]) - t["true_form"]
    keys = [t["player_id"], t["market"]]
    spread_all = log_mean.groupby(keys).std().median()
    spread_rest = rest.groupby(keys).std().median()
    assert spread_rest < 0.5 * spread_all, (spread_rest, spread_all)
    assert t["true_form"].abs().max() < 1.0 and t["true_form"].std() > 0.03


def test_the_availability_report_lists_who_sits_out_before_the_first_odds(nba_world: World) -> None:
    """Each game date's report, published at 09:00 US/Eastern (before the 10:00 snapshot),
    names players of the date's teams who then have no boxscore row: out injured, or a top
    player resting on a back-to-back."""
    files = sorted((nba_world.root / "feeds/league/availability").glob("*.csv"))
    assert len(files) >= DAYS - 2  # a date with no game, or nobody out, has no file
    report = pd.concat([pd.read_csv(p, dtype=str) for p in files], ignore_index=True)
    for path in files:
        day, stamp = path.stem.split("__")
        published = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert published.astimezone(ET).strftime("%Y-%m-%d %H:%M") == f"{day} 09:00"
    assert set(report["status"]) == {"out"} and set(report["reason"]) == {"injury", "rest"}
    played = set(zip(nba_world.box["game_id"].astype(str), nba_world.box["player_id"], strict=True))
    listed = set(zip(report["game_id"], report["player_id"], strict=True))
    assert not listed & played
    teams = set(zip(nba_world.box["game_id"].astype(str), nba_world.box["team"], strict=True))
    assert set(zip(report["game_id"], report["team"], strict=True)) <= teams
    # Every player of the league appears in some boxscore: the report names real players.
    assert set(report["player_id"]) <= set(nba_world.box["player_id"])


def test_oddsapi_snapshots_have_the_documented_shape(nba_world: World) -> None:
    titles = {r[0]: r[1] for r in csv.reader((SEEDS / "sportsbooks.csv").open())}
    for path, doc in nba_world.snapshots.items():
        assert list(doc) == ["timestamp", "previous_timestamp", "next_timestamp", "data"]
        assert doc["data"], path
        for event in doc["data"]:
            assert list(event) == [
                "id", "sport_key", "sport_title", "commence_time", "home_team", "away_team",
                "bookmakers",
            ]  # fmt: skip
            assert (event["sport_key"], event["sport_title"]) == ("basketball_nba", "NBA")
            assert re.fullmatch(r"[0-9a-f]{32}", event["id"])
            for book in event["bookmakers"]:
                assert list(book) == ["key", "title", "last_update", "markets"]
                assert book["title"] == titles[book["key"]]
                assert book["last_update"] == max(m["last_update"] for m in book["markets"])
                assert book["last_update"] <= doc["timestamp"]
                for market in book["markets"]:
                    assert list(market) == ["key", "last_update", "outcomes"]
                    if market["key"] == "totals":  # a game total: no player
                        assert [list(o) for o in market["outcomes"]] == [
                            ["name", "price", "point"]
                        ] * 2
                        continue
                    assert market["key"] in STAT_OF_MARKET
                    for outcome in market["outcomes"]:
                        assert list(outcome) == ["name", "description", "price", "point"]


def test_snapshots_are_at_10_14_18_eastern_and_linked(nba_world: World) -> None:
    by_date: dict[str, list[tuple[datetime, dict]]] = {}
    for path, doc in nba_world.snapshots.items():
        game_date, stamp = FILE_NAME.match(path.name).group(1, 2)
        moment = utc(doc["timestamp"])
        assert moment.strftime("%Y%m%dT%H%M%SZ") == stamp
        local = moment.astimezone(ET)
        assert local.date().isoformat() == game_date
        assert local.strftime("%H:%M") in {"10:00", "14:00", "18:00"}
        by_date.setdefault(game_date, []).append((moment, doc))
    for docs in by_date.values():
        docs.sort(key=lambda item: item[0])
        stamps = [doc["timestamp"] for _, doc in docs]
        assert [d["previous_timestamp"] for _, d in docs] == [None, *stamps[:-1]]
        assert [d["next_timestamp"] for _, d in docs] == [*stamps[1:], None]


def test_quotes_are_well_formed_american_odds_on_half_points(nba_world: World) -> None:
    q = nba_world.quotes
    assert (q.over_name == "Over").all() and (q.under_name == "Under").all()
    assert (q.player == q.under_player).all() and (q.point == q.under_point).all()
    prices = pd.concat([q.over, q.under])
    assert prices.map(type).eq(int).all()
    assert (prices.abs() >= 100).all() and (prices % 5 == 0).all()
    assert ((q.point * 2) % 2 == 1).all() and (q.point > 0).all()


def test_over_and_under_carry_a_margin(nba_world: World) -> None:
    overround = implied(nba_world.quotes.over) + implied(nba_world.quotes.under)
    assert (overround > 1.0).all()
    assert 1.03 < overround.mean() < 1.08


def test_nothing_is_quoted_after_its_event_starts(nba_world: World) -> None:
    q = nba_world.quotes
    commence = pd.to_datetime(q.commence_time, utc=True)
    assert (commence > pd.to_datetime(q.timestamp, utc=True)).all()
    game_dates = commence.dt.tz_convert(ET).dt.strftime("%Y-%m-%d")
    assert (game_dates == q.file.str[:10]).all()


def test_schedule_and_results_are_published_on_time(nba_world: World) -> None:
    published = utc(nba_world.season.fetched_at.iloc[0]).astimezone(ET)
    assert (published.date(), published.strftime("%H:%M")) == (
        START - timedelta(days=1), "12:00"
    )  # fmt: skip
    assert (nba_world.season.status == "scheduled").all()
    assert (nba_world.season[["home_score", "away_score"]] == "").all().all()
    for frame in (nba_world.results, nba_world.box):
        for name, group in frame.groupby("file"):
            game_date, stamp = FILE_NAME.match(name).group(1, 2)
            assert (group.game_date == game_date).all()
            moment = utc(group.fetched_at.iloc[0])
            assert (group.fetched_at == group.fetched_at.iloc[0]).all()
            assert moment.strftime("%Y%m%dT%H%M%SZ") == stamp
            local = moment.astimezone(ET)
            assert local.date() == date.fromisoformat(game_date) + timedelta(days=1)
            assert local.strftime("%H:%M") == "03:00"
