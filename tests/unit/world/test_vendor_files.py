"""csvfeed and decimalfeed publish the same books' prices in their own shapes, and the adapters
refuse exactly the bad rows the world writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from propcast.vendors import csvfeed, decimalfeed
from propcast.world import generate
from propcast.world.leagues import NBA
from propcast.world.market import ErrorModel
from propcast.world.vendors import csv_name
from tests.unit.world.files import (
    BOOKS,
    ET,
    FILE_NAME,
    SEED,
    SEEDS,
    START,
    STAT_OF_MARKET,
    World,
    flatten,
    flatten_decimal,
    flip,
    load_snapshots,
    name_key,
    team_codes,
    utc,
)

# -- csvfeed and decimalfeed ---------------------------------------------------------------------

CSV_BOOKS = {"DK": "draftkings", "CZR": "williamhill_us"}  # the default five books' share
DECIMAL_BOOKS = {"betmgm", "betrivers"}


def eastern_clock(stamp: str) -> str:
    return utc(stamp).astimezone(ET).strftime("%H:%M")


def test_csvfeed_files_have_the_documented_shape(nba_world: World) -> None:
    header = ",".join(csvfeed.COLUMNS)
    folder = nba_world.root / "feeds/csvfeed/prop_odds"
    for path in folder.glob("*.csv"):
        assert path.read_text(encoding="utf-8").splitlines()[0] == header, path
    rows = nba_world.csv_rows
    stamp_of_file = rows.file.str.extract(FILE_NAME)[1]
    assert (
        rows.snapshot_time.map(lambda t: utc(t).strftime("%Y%m%dT%H%M%SZ")) == stamp_of_file
    ).all()
    assert set(rows.snapshot_time.map(eastern_clock)) == {"10:05", "14:05", "18:05"}
    assert (rows.league == "NBA").all()
    starts = rows.game_start.map(datetime.fromisoformat)
    assert starts.map(lambda t: t.utcoffset() in {timedelta(hours=-5), timedelta(hours=-4)}).all()
    assert (starts.map(lambda t: t.date().isoformat()) == rows.file.str[:10]).all()
    assert (starts > rows.snapshot_time.map(utc)).all()  # nothing after the start
    codes = team_codes()
    spellings = set(rows.home) | set(rows.away)
    assert {"GS", "brk", "PHO", "NOR", "UTAH"} <= spellings
    assert all(s.lower() in codes for s in spellings)
    assert set(rows.book) == set(CSV_BOOKS)
    assert set(rows.stat) == {"PTS", "REB", "AST", "3PM"}
    assert rows.line.str.fullmatch(r"\d+\.5").all()
    named = rows[rows.player != ""]
    assert named.player.str.fullmatch(r"[^,]+, [^,]+").all()
    assert any(p.endswith(" Jr.") for p in named.player)  # suffix after the first name
    assert any(p != p.encode("ascii", "ignore").decode() for p in named.player)  # accents kept
    assert pd.concat([rows.over_odds, rows.under_odds]).str.fullmatch(r"-?\d+").all()


def test_decimalfeed_files_have_the_documented_shape(nba_world: World) -> None:
    teams = pd.read_csv(SEEDS / "teams.csv").query("league == 'NBA'")
    nickname_of = dict(zip(teams.team_code, teams.nickname, strict=True))
    for path, doc in nba_world.decimal_docs.items():
        assert list(doc) == ["generated_at", "sport", "fixtures"]
        assert doc["sport"] == "basketball/nba" and doc["fixtures"]
        game_date, stamp = FILE_NAME.match(path.name).group(1, 2)
        assert utc(doc["generated_at"]).strftime("%Y%m%dT%H%M%SZ") == stamp
        assert eastern_clock(doc["generated_at"]) in {"09:30", "13:30", "17:30"}
        for fixture in doc["fixtures"]:
            assert list(fixture) == ["fixture_id", "start", "home", "away", "offers"]
            assert utc(fixture["start"]) > utc(doc["generated_at"])
            assert utc(fixture["start"]).astimezone(ET).date().isoformat() == game_date
            for side in (fixture["home"], fixture["away"]):
                assert list(side) == ["name", "abbr"]
                assert side["name"] == nickname_of[side["abbr"]]
            for offer in fixture["offers"]:
                assert list(offer) == [
                    "bookmaker", "market", "selection", "participant", "handicap", "odds",
                ] if offer["market"] != "total" else [
                    "bookmaker", "market", "selection", "handicap", "odds",
                ]  # fmt: skip
    offers = flatten_decimal(nba_world.decimal_docs)
    assert set(offers.book) == DECIMAL_BOOKS
    assert set(offers.market) == {"points", "rebounds", "assists", "threes"}
    assert set(offers.selection) == {"over", "under"}
    assert (offers.selection.iloc[::2].values == "over").all()
    assert (offers.handicap * 2 % 2 == 1).all()
    assert (offers.odds.round(2) == offers.odds).all()
    assert (offers.participant.map(lambda n: n == n.encode("ascii", "ignore").decode())).all()


def test_a_book_has_one_price_whichever_vendor_carries_it(nba_world: World) -> None:
    """draftkings via oddsapi and csvfeed, betmgm via oddsapi and decimalfeed: same bucket
    (10/14/18 ET), same game, player, market and line → same price."""
    teams = pd.read_csv(SEEDS / "teams.csv").query("league == 'NBA'")
    code_of_name = dict(zip(teams.full_name, teams.team_code, strict=True))
    code_of_name["Los Angeles Clippers"] = "LAC"
    codes = team_codes()
    stat = STAT_OF_MARKET
    csv_stat = {"PTS": "points", "REB": "rebounds", "AST": "assists", "3PM": "threes"}
    keys = ["bucket", "day", "home", "player", "stat", "line"]

    odds = nba_world.quotes.assign(
        bucket=nba_world.quotes.timestamp.map(eastern_clock), day=nba_world.quotes.file.str[:10],
        home=nba_world.quotes.home_team.map(code_of_name), player=nba_world.quotes.player.map(name_key),
        stat=nba_world.quotes.market.map(stat), line=nba_world.quotes.point.astype(float),
    )  # fmt: skip

    rows = nba_world.csv_rows[nba_world.csv_rows.player != ""]
    rows = rows.assign(
        bucket=rows.snapshot_time.map(lambda t: (utc(t) - timedelta(minutes=5)).astimezone(ET)
                                      .strftime("%H:%M")),
        day=rows.file.str[:10], home=rows.home.str.lower().map(codes),
        player=rows.player.map(flip).map(name_key), stat=rows.stat.map(csv_stat),
        line=rows.line.astype(float), book=rows.book.map(CSV_BOOKS),
        over=rows.over_odds.astype(int), under=rows.under_odds.astype(int),
    )  # fmt: skip
    dk = odds[odds.book == "draftkings"].merge(
        rows[rows.book == "draftkings"], on=keys, suffixes=("", "_csv"), validate="one_to_one"
    )
    assert len(dk) > 0.95 * len(rows[rows.book == "draftkings"])
    valid = dk.over_csv.abs() >= 100  # the few broken rows aside
    assert (dk.over[valid] == dk.over_csv[valid]).all() and (dk.under == dk.under_csv).all()

    offers = flatten_decimal(nba_world.decimal_docs)
    offers = offers[offers.book == "betmgm"]
    offers = offers.assign(
        bucket=offers.generated_at.map(lambda t: (utc(t) + timedelta(minutes=30)).astimezone(ET)
                                       .strftime("%H:%M")),
        day=offers.file.str[:10], home=offers.home, player=offers.participant.map(name_key),
        stat=offers.market, line=offers.handicap,
    )  # fmt: skip
    wide = offers.pivot_table(index=keys, columns="selection", values="odds").reset_index()
    mgm = odds[odds.book == "betmgm"].merge(wide, on=keys, validate="one_to_one")
    assert len(mgm) > 0.95 * len(wide)

    def to_decimal(price: pd.Series) -> pd.Series:
        return (1 + np.where(price < 0, 100 / -price, price / 100)).round(2)

    assert (to_decimal(mgm.over_x.astype(float)) == mgm.over_y).mean() > 0.999
    assert (to_decimal(mgm.under_x.astype(float)) == mgm.under_y).mean() > 0.999


def test_bad_rows_are_rare_and_the_adapters_refuse_exactly_them(nba_world: World) -> None:
    """Ingest's own adapters parse every published file: the broken rows, and only those, are
    refused; each file's other rows load."""
    bad = nba_world.summary.bad_rows
    assert bad["oddsapi"] == 0
    refused = {"csvfeed": [], "decimalfeed": []}
    for vendor, adapter, suffix in (
        ("csvfeed", csvfeed, "csv"),
        ("decimalfeed", decimalfeed, "json"),
    ):
        for path in sorted((nba_world.root / f"feeds/{vendor}/prop_odds").glob(f"*.{suffix}")):
            parsed = adapter.parse(path.read_bytes())
            assert len(parsed.rows) > 0, path
            refused[vendor] += [r.reason for r in parsed.rejected]
    assert len(refused["csvfeed"]) == bad["csvfeed"] > 0
    assert len(refused["decimalfeed"]) == bad["decimalfeed"] > 0
    assert bad["csvfeed"] < 0.003 * nba_world.summary.vendor_rows["csvfeed"]
    assert bad["decimalfeed"] < 0.001 * nba_world.summary.vendor_rows["decimalfeed"]
    reasons = " | ".join(refused["csvfeed"])
    assert "player missing" in reasons and "not valid American odds" in reasons
    assert all("above 1.0" in r for r in refused["decimalfeed"])


def test_each_vendor_spells_one_player_by_an_unmappable_nickname(nba_world: World) -> None:
    keys = set(nba_world.box.player_name.map(name_key))
    csv_names = {p for p in nba_world.csv_rows.player if p}
    decimal_names = set(flatten_decimal(nba_world.decimal_docs).participant)
    assert len({n for n in csv_names if name_key(flip(n)) not in keys}) == 1
    assert len({n for n in decimal_names if name_key(n) not in keys}) == 1
    # The nickname is the vendor's own: oddsapi's unmapped names are spelled right elsewhere.
    odds_unmapped = {name_key(n) for n in nba_world.quotes.player} - keys
    assert odds_unmapped.isdisjoint({name_key(flip(n)) for n in csv_names})


def test_csv_names_put_the_suffix_after_the_first_name() -> None:
    assert csv_name("Stephen Curry") == "Curry, Stephen"
    assert csv_name("Jaren Jackson Jr.") == "Jackson, Jaren Jr."
    assert csv_name("Nikola Jokić") == "Jokić, Nikola"
    assert flip(csv_name("Kelly Carter-Reed III")) == "Kelly Carter-Reed III"


def test_vendors_change_the_feeds_not_the_market_or_the_truth(tmp_path: Path) -> None:
    """One vendor alone publishes every book (as before there were three), the same quotes."""
    generate(tmp_path / "one", seed=SEED, start=START, days=3, books=BOOKS, vendors=("oddsapi",))
    generate(tmp_path / "all", seed=SEED, start=START, days=3, books=BOOKS)
    truth = [(tmp_path / w / "truth/prop_truth.csv").read_bytes() for w in ("one", "all")]
    assert truth[0] == truth[1]
    alone = flatten(load_snapshots(tmp_path / "one"))
    shared = flatten(load_snapshots(tmp_path / "all"))
    assert set(alone.book) == {"draftkings", "fanduel", "betmgm", "williamhill_us", "betrivers"}
    assert set(shared.book) == {"draftkings", "fanduel", "betmgm"}
    mine = alone[alone.book.isin(set(shared.book))].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, shared)
    assert not (tmp_path / "one/feeds/csvfeed").exists()


def test_a_multi_season_world_publishes_each_seasons_schedule_so_ingest_keeps_it(
    tmp_path: Path,
) -> None:
    """A world of several seasons (bench/scale's 5) published every game in one file the day
    before its first date; ingest refuses a schedule row over a year from its file, so from
    the second year on no game was scheduled and the slate priced nothing. Each season
    (July to June) now has its own file, published the day before the season opens."""
    from propcast.vendors.league import parse_schedule
    from propcast.world.feeds import FeedWriter
    from propcast.world.league_files import season_label
    from propcast.world.roster import make_roster
    from propcast.world.schedule import Game

    start = date(2025, 10, 20)
    days = [start + timedelta(days=i) for i in range(0, 640, 9)]  # to 2027-07: three seasons
    games = [
        Game(f"g{i}", f"e{i}", day, datetime.combine(day, datetime.min.time()) + timedelta(hours=23),
             i % 30, (i + 1) % 30, None)
        for i, day in enumerate(days)
    ]  # fmt: skip
    writer = FeedWriter(
        tmp_path, NBA, make_roster(NBA, np.random.default_rng(0)), ErrorModel().books[:1]
    )
    writer.write_season_schedule(games, start)
    writer.close()
    files = sorted((tmp_path / "feeds/league/schedule").glob("*.csv"))
    published, kept = [], []
    for path in files:
        parsed = parse_schedule(path.read_bytes())
        assert parsed.rejected == [], (path.name, parsed.rejected[:2])
        assert parsed.rows["season"].nunique() == 1
        published.append(parsed.fetched_at.astimezone(ET) if parsed.fetched_at.tzinfo
                         else parsed.fetched_at.replace(tzinfo=UTC).astimezone(ET))  # fmt: skip
        kept.extend(parsed.rows["game_id"])
    assert sorted(kept) == sorted(g.game_id for g in games)
    assert [season_label(d) for d in (start, date(2026, 7, 1), date(2027, 7, 1))] == [
        "2025-26", "2026-27", "2027-28",
    ]  # fmt: skip
    assert [(p.date(), p.strftime("%H:%M")) for p in published] == [
        (date(2025, 10, 19), "12:00"), (date(2026, 6, 30), "12:00"), (date(2027, 6, 30), "12:00"),
    ]  # fmt: skip
