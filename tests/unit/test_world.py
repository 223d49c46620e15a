"""The demo world: deterministic, in the vendors' exact formats, and honest about the truth.

One 30-day world (seed 9 from 2026-12-10: two postponed games, Christmas Eve off, Christmas Day
on; three odds vendors, five books) is generated per module; the other tests generate small
worlds of their own.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from propcast.vendors import csvfeed, decimalfeed
from propcast.world import WorldSummary, generate
from propcast.world.leagues import NBA
from propcast.world.market import ErrorModel
from propcast.world.season import Season
from propcast.world.vendors import csv_name

ET = ZoneInfo("America/New_York")
START = date(2026, 12, 10)
DAYS = 30
SEED = 9
BOOKS = 5

SCHEDULE_HEADER = (
    "game_id,league,season,game_date,start_time_utc,home_team,away_team,status,home_score,"
    "away_score,fetched_at"
)
AVAILABILITY_HEADER = (
    "game_id,league,game_date,team,player_id,player_name,status,reason,reported_at,fetched_at"
)
BOXSCORE_HEADER = (
    "game_id,league,game_date,team,opponent,player_id,player_name,starter,minutes,points,"
    "rebounds,assists,threes,fetched_at"
)
TRUTH_HEADER = (
    "game_id,event_id,game_date,player_id,market,line,true_mean,true_p_over,"
    "true_expected_minutes,true_form"
)
FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})__(\d{8}T\d{6}Z)\.(json|csv)$")
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ESPN_CODES = {"GSW": "GS", "NYK": "NY", "SAS": "SA", "NOP": "NO", "UTA": "UTAH", "WAS": "WSH"}
STAT_OF_MARKET = {
    "player_points": "points",
    "player_rebounds": "rebounds",
    "player_assists": "assists",
    "player_threes": "threes",
}


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def name_key(name: str) -> str:
    """The warehouse's normaliser (macro normalize_person_name), as the mapping would see it."""
    decomposed = unicodedata.normalize("NFD", name)
    text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    words = re.sub(r"[^a-z0-9 ]", "", re.sub(r"[-_/]", " ", text)).split()
    if words[-1] in {"jr", "sr", "ii", "iii", "iv"}:
        words = words[:-1]
    return " ".join(words)


@dataclass(frozen=True)
class World:
    root: Path
    summary: WorldSummary
    season: pd.DataFrame  # the pre-season schedule file
    results: pd.DataFrame  # every results file
    box: pd.DataFrame
    quotes: pd.DataFrame  # oddsapi: one row per Over/Under pair
    snapshots: dict[Path, dict]  # oddsapi
    truth: pd.DataFrame
    progress: list[tuple[int, int]]
    csv_rows: pd.DataFrame  # csvfeed: every row of every file, as text
    decimal_docs: dict[Path, dict]  # decimalfeed


def read_csvs(folder: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(p, dtype={"game_id": str, "starter": str}, keep_default_na=False).assign(
            file=p.name
        )
        for p in sorted(folder.glob("*.csv"))
    ]
    return pd.concat(frames, ignore_index=True)


def load_snapshots(root: Path) -> dict[Path, dict]:
    return {
        p: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((root / "feeds/oddsapi/prop_odds").glob("*.json"))
    }


def flatten(snapshots: dict[Path, dict]) -> pd.DataFrame:
    rows = []
    for path, doc in snapshots.items():
        for event in doc["data"]:
            for book in event["bookmakers"]:
                for market in book["markets"]:
                    if market["key"] == "totals":  # game totals: test_world_totals.py
                        continue
                    outcomes = market["outcomes"]
                    for over, under in zip(outcomes[::2], outcomes[1::2], strict=True):
                        rows.append(
                            (path.name, doc["timestamp"], event["id"], event["commence_time"],
                             event["home_team"], event["away_team"], book["key"], book["title"],
                             market["key"], over["name"], under["name"], over["description"],
                             under["description"], over["price"], under["price"], over["point"],
                             under["point"])
                        )  # fmt: skip
    columns = [
        "file", "timestamp", "event_id", "commence_time", "home_team", "away_team", "book",
        "title", "market", "over_name", "under_name", "player", "under_player", "over", "under",
        "point", "under_point",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def read_csvfeed(root: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(p, dtype=str, keep_default_na=False).assign(file=p.name)
        for p in sorted((root / "feeds/csvfeed/prop_odds").glob("*.csv"))
    ]
    rows = pd.concat(frames, ignore_index=True)
    return rows[rows["stat"] != "TOT"].reset_index(drop=True)  # game totals: test_world_totals


def load_decimal_docs(root: Path) -> dict[Path, dict]:
    return {
        p: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((root / "feeds/decimalfeed/prop_odds").glob("*.json"))
    }


def flatten_decimal(docs: dict[Path, dict]) -> pd.DataFrame:
    rows = [
        (path.name, doc["generated_at"], f["fixture_id"], f["start"], f["home"]["abbr"],
         f["away"]["abbr"], o["bookmaker"], o["market"], o["selection"], o["participant"],
         o["handicap"], o["odds"])
        for path, doc in docs.items() for f in doc["fixtures"] for o in f["offers"]
        if o["market"] != "total"  # game totals: test_world_totals.py
    ]  # fmt: skip
    columns = [
        "file", "generated_at", "fixture_id", "start", "home", "away", "book", "market",
        "selection", "participant", "handicap", "odds",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def flip(name: str) -> str:
    """csvfeed's `Last, First [Suffix]` → `First Last [Suffix]` (what staging does)."""
    last, first = (part.strip() for part in name.split(",", 1))
    words = first.split()
    suffix = (
        [words.pop()] if len(words) > 1 and words[-1] in {"Jr.", "Sr.", "II", "III", "IV"} else []
    )
    return " ".join([*words, last, *suffix])


def team_codes() -> dict[str, str]:
    """Every NBA spelling in the team_aliases seed (lower case) → warehouse team code."""
    aliases = pd.read_csv(SEEDS / "team_aliases.csv").query("league == 'NBA'")
    return dict(zip(aliases.alias, aliases.team_id.str[4:], strict=True))


def implied(price: pd.Series) -> pd.Series:
    price = price.astype(float)
    return pd.Series(
        np.where(price < 0, -price / (100 - price), 100 / (price + 100)), index=price.index
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("world")
    calls: list[tuple[int, int]] = []
    summary = generate(
        root,
        seed=SEED,
        start=START,
        days=DAYS,
        books=BOOKS,
        progress=lambda d, n: calls.append((d, n)),
    )
    schedule_files = sorted((root / "feeds/league/schedule").glob("*.csv"))
    season_file = min(schedule_files, key=lambda p: p.stem.split("__")[1])
    schedule = read_csvs(root / "feeds/league/schedule")
    snapshots = load_snapshots(root)
    return World(
        root=root,
        summary=summary,
        season=schedule[schedule.file == season_file.name].reset_index(drop=True),
        results=schedule[schedule.file != season_file.name].reset_index(drop=True),
        box=read_csvs(root / "feeds/league/boxscores"),
        quotes=flatten(snapshots),
        snapshots=snapshots,
        truth=pd.read_csv(root / "truth/prop_truth.csv", dtype={"game_id": str}),
        progress=calls,
        csv_rows=read_csvfeed(root),
        decimal_docs=load_decimal_docs(root),
    )


@pytest.fixture(scope="module")
def outcomes(world: World) -> pd.DataFrame:
    """Truth rows joined to what happened (games that were played only)."""
    long = world.box.melt(
        id_vars=["game_id", "player_id"], value_vars=list(STAT_OF_MARKET.values()),
        var_name="stat", value_name="value",
    )  # fmt: skip
    truth = world.truth.assign(stat=world.truth.market.map(STAT_OF_MARKET))
    joined = truth.merge(long, on=["game_id", "player_id", "stat"], how="inner")
    return joined.assign(went_over=(joined.value > joined.line).astype(float))


# -- determinism and housekeeping -----------------------------------------------------------


def test_same_arguments_give_the_same_bytes(world: World, tmp_path: Path) -> None:
    generate(tmp_path, seed=SEED, start=START, days=DAYS, books=BOOKS)
    first = sorted(p.relative_to(world.root) for p in world.root.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (world.root / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_another_seed_gives_another_world(world: World, tmp_path: Path) -> None:
    generate(tmp_path, seed=SEED + 1, start=START, days=3, books=BOOKS)
    other = read_csvs(tmp_path / "feeds/league/boxscores")
    assert set(other.player_id).isdisjoint(set(world.box.player_id))


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


def test_progress_is_reported_once_per_day(world: World) -> None:
    assert world.progress == [(d, DAYS) for d in range(1, DAYS + 1)]


def test_summary_counts_match_the_files(world: World) -> None:
    s = world.summary
    files = [p for p in world.root.rglob("*") if p.is_file()]
    assert s.files == len(files)
    decimal_offers = sum(
        len(f["offers"]) for d in world.decimal_docs.values() for f in d["fixtures"]
    )
    # Game totals are vendor rows too: two oddsapi outcomes, one csvfeed row, two offers.
    oddsapi_totals = sum(
        m["key"] == "totals"
        for d in world.snapshots.values()
        for e in d["data"]
        for b in e["bookmakers"]
        for m in b["markets"]
    )
    csv_totals = sum(
        (pd.read_csv(p, dtype=str, keep_default_na=False)["stat"] == "TOT").sum()
        for p in (world.root / "feeds/csvfeed/prop_odds").glob("*.csv")
    )
    assert s.vendor_rows == {
        "oddsapi": 2 * len(world.quotes) + 2 * oddsapi_totals,
        "csvfeed": len(world.csv_rows) + csv_totals,
        "decimalfeed": decimal_offers,
    }
    assert s.quote_rows == sum(s.vendor_rows.values()) + len(world.csv_rows) + csv_totals
    assert s.truth_rows == len(world.truth)
    assert s.games == len(world.season) == len(world.results)
    assert (s.start, s.end) == (START, START + timedelta(days=DAYS - 1))
    assert s.players == 30 * 13
    assert world.box.player_id.nunique() <= s.players
    text = str(s)
    assert f"{s.games:,} games" in text and f"{s.truth_rows:,} truth rows" in text
    csv_rows = len(world.csv_rows) + csv_totals
    assert f"csvfeed {csv_rows:,} rows, {s.bad_rows['csvfeed']:,} bad" in text
    assert "[" not in text  # the CLI prints it through rich (markup)


def test_world_json_records_the_parameters(world: World) -> None:
    params = json.loads((world.root / "truth/world.json").read_text())
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


def test_file_names_carry_game_date_and_publication_time(world: World) -> None:
    feeds = world.root / "feeds"
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


def test_csv_headers_are_exact(world: World) -> None:
    headers = (("schedule", SCHEDULE_HEADER), ("boxscores", BOXSCORE_HEADER),
               ("availability", AVAILABILITY_HEADER))  # fmt: skip
    for folder, header in headers:
        for path in (world.root / "feeds/league" / folder).glob("*.csv"):
            assert path.read_text(encoding="utf-8").splitlines()[0] == header, path
    truth = (world.root / "truth/prop_truth.csv").read_text(encoding="utf-8")
    assert truth.splitlines()[0] == TRUTH_HEADER


def test_the_truth_carries_the_hidden_state_behind_each_mean(world: World) -> None:
    """`true_expected_minutes` and `true_form` (bench/quality's oracle columns) are the state
    the true mean is built from: one expected minutes per (game, player), whatever the market,
    and once a player's minutes and form are taken out of his log mean, only the game's
    context (pace, defence, home, back-to-back) is left to vary, a fraction of the whole."""
    t = world.truth
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


def test_the_availability_report_lists_who_sits_out_before_the_first_odds(world: World) -> None:
    """Each game date's report, published at 09:00 US/Eastern (before the 10:00 snapshot),
    names players of the date's teams who then have no boxscore row: out injured, or a top
    player resting on a back-to-back."""
    files = sorted((world.root / "feeds/league/availability").glob("*.csv"))
    assert len(files) >= DAYS - 2  # a date with no game, or nobody out, has no file
    report = pd.concat([pd.read_csv(p, dtype=str) for p in files], ignore_index=True)
    for path in files:
        day, stamp = path.stem.split("__")
        published = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert published.astimezone(ET).strftime("%Y-%m-%d %H:%M") == f"{day} 09:00"
    assert set(report["status"]) == {"out"} and set(report["reason"]) == {"injury", "rest"}
    played = set(zip(world.box["game_id"].astype(str), world.box["player_id"], strict=True))
    listed = set(zip(report["game_id"], report["player_id"], strict=True))
    assert not listed & played
    teams = set(zip(world.box["game_id"].astype(str), world.box["team"], strict=True))
    assert set(zip(report["game_id"], report["team"], strict=True)) <= teams
    # Every player of the league appears in some boxscore: the report names real players.
    assert set(report["player_id"]) <= set(world.box["player_id"])


def test_oddsapi_snapshots_have_the_documented_shape(world: World) -> None:
    titles = {r[0]: r[1] for r in csv.reader((SEEDS / "sportsbooks.csv").open())}
    for path, doc in world.snapshots.items():
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


def test_snapshots_are_at_10_14_18_eastern_and_linked(world: World) -> None:
    by_date: dict[str, list[tuple[datetime, dict]]] = {}
    for path, doc in world.snapshots.items():
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


def test_quotes_are_well_formed_american_odds_on_half_points(world: World) -> None:
    q = world.quotes
    assert (q.over_name == "Over").all() and (q.under_name == "Under").all()
    assert (q.player == q.under_player).all() and (q.point == q.under_point).all()
    prices = pd.concat([q.over, q.under])
    assert prices.map(type).eq(int).all()
    assert (prices.abs() >= 100).all() and (prices % 5 == 0).all()
    assert ((q.point * 2) % 2 == 1).all() and (q.point > 0).all()


def test_over_and_under_carry_a_margin(world: World) -> None:
    overround = implied(world.quotes.over) + implied(world.quotes.under)
    assert (overround > 1.0).all()
    assert 1.03 < overround.mean() < 1.08


def test_nothing_is_quoted_after_its_event_starts(world: World) -> None:
    q = world.quotes
    commence = pd.to_datetime(q.commence_time, utc=True)
    assert (commence > pd.to_datetime(q.timestamp, utc=True)).all()
    game_dates = commence.dt.tz_convert(ET).dt.strftime("%Y-%m-%d")
    assert (game_dates == q.file.str[:10]).all()


def test_schedule_and_results_are_published_on_time(world: World) -> None:
    published = utc(world.season.fetched_at.iloc[0]).astimezone(ET)
    assert (published.date(), published.strftime("%H:%M")) == (
        START - timedelta(days=1), "12:00"
    )  # fmt: skip
    assert (world.season.status == "scheduled").all()
    assert (world.season[["home_score", "away_score"]] == "").all().all()
    for frame in (world.results, world.box):
        for name, group in frame.groupby("file"):
            game_date, stamp = FILE_NAME.match(name).group(1, 2)
            assert (group.game_date == game_date).all()
            moment = utc(group.fetched_at.iloc[0])
            assert (group.fetched_at == group.fetched_at.iloc[0]).all()
            assert moment.strftime("%Y%m%dT%H%M%SZ") == stamp
            local = moment.astimezone(ET)
            assert local.date() == date.fromisoformat(game_date) + timedelta(days=1)
            assert local.strftime("%H:%M") == "03:00"


# -- the league ----------------------------------------------------------------------------------


def test_league_feed_uses_espn_codes_and_oddsapi_full_names(world: World) -> None:
    teams = pd.read_csv(SEEDS / "teams.csv").query("league == 'NBA'")  # the demo world is NBA
    espn = {ESPN_CODES.get(code, code) for code in teams.team_code}
    league_codes = set(world.season.home_team) | set(world.season.away_team)
    assert league_codes == espn  # a month of games involves every team
    assert set(world.box.team) <= espn and set(world.box.opponent) <= espn
    full = {f"{c} {n}" for c, n in zip(teams.city, teams.nickname, strict=True)}
    full = full - {"LA Clippers"} | {"Los Angeles Clippers"}
    vendor_names = set(world.quotes.home_team) | set(world.quotes.away_team)
    assert vendor_names <= full
    assert {"Golden State Warriors", "Philadelphia 76ers"} <= vendor_names


def test_schedule_looks_like_an_nba_month(world: World) -> None:
    s = world.season
    assert s.game_id.str.fullmatch(r"401\d{6}").all() and s.game_id.is_unique
    assert (s.season == "2026-27").all() and (s.league == "NBA").all()
    starts = s.start_time_utc.map(utc)
    local = starts.map(lambda t: t.astimezone(ET))
    assert (local.map(lambda t: t.date().isoformat()) == s.game_date).all()
    assert set(local.map(lambda t: t.strftime("%H:%M"))) <= {
        "12:00", "13:00", "14:30", "15:30", "17:00", "19:00", "19:30", "20:00", "20:30",
        "21:00", "21:30", "22:00", "22:30",
    }  # fmt: skip
    assert "2026-12-24" not in set(s.game_date) and (s.game_date == "2026-12-25").sum() == 5
    appearances = pd.concat([
        s[["game_date", "home_team"]].set_axis(["day", "team"], axis=1).assign(home=1),
        s[["game_date", "away_team"]].set_axis(["day", "team"], axis=1).assign(home=0),
    ])  # fmt: skip
    assert not appearances.duplicated(["day", "team"]).any()
    per_team = appearances.groupby("team").size()
    assert per_team.between(DAYS / 7 * 3.5 - 3, DAYS / 7 * 3.5 + 3).all()
    assert appearances.groupby("team").home.mean().between(0.3, 0.7).all()
    days = appearances.assign(day=pd.to_datetime(appearances.day)).sort_values(["team", "day"])
    gaps = days.groupby("team").day.diff().dt.days.dropna()
    assert 0.05 < (gaps == 1).mean() < 0.35  # back-to-backs happen
    three = days.groupby("team").day.diff(2).dt.days
    assert not (three == 2).any()  # never three nights running


def test_team_score_is_the_sum_of_its_players_points(world: World) -> None:
    final = world.results[world.results.status == "final"]
    points = world.box.groupby(["game_id", "team"]).points.sum()
    for row in final.itertuples():
        assert points[(row.game_id, row.home_team)] == int(row.home_score)
        assert points[(row.game_id, row.away_team)] == int(row.away_score)
        assert row.home_score != row.away_score
    scores = pd.concat([final.home_score, final.away_score]).astype(int)
    assert 100 < scores.mean() < 125


def test_boxscores_look_like_basketball(world: World) -> None:
    box = world.box
    per_team = box.groupby(["game_id", "team"])
    assert (per_team.starter.apply(lambda s: (s == "true").sum()) == 5).all()
    assert per_team.minutes.sum().isin([240, 265, 290, 315]).all()
    assert (box.minutes > 0).all() and (box.minutes <= 63).all()
    assert per_team.size().between(7, 13).all()
    assert box.player_id.str.fullmatch(r"P\d{6}").all()
    assert not box.duplicated(["game_id", "player_id"]).any()
    heavy = box[box.minutes >= 30]
    assert 14 < heavy.points.mean() < 24 and heavy.points.std() > 5


def test_postponed_games_have_no_boxscores_and_no_score(world: World) -> None:
    postponed = world.results[world.results.status == "postponed"]
    assert len(postponed) >= 1
    assert (postponed[["home_score", "away_score"]] == "").all().all()
    assert set(postponed.game_id).isdisjoint(set(world.box.game_id))
    final = world.results[world.results.status == "final"]
    assert set(final.game_id) == set(world.box.game_id)


# -- players and their names -----------------------------------------------------------------


def test_vendor_spells_names_its_own_way(world: World) -> None:
    league_names = set(world.box.player_name)
    vendor_names = set(world.quotes.player)
    assert any(n != n.encode("ascii", "ignore").decode() for n in league_names)
    assert all(n == n.encode("ascii", "ignore").decode() for n in vendor_names)
    suffixed = {n for n in league_names if n.split()[-1] in {"Jr.", "II", "III"}}
    assert suffixed & vendor_names and {n.rsplit(" ", 1)[0] for n in suffixed} & vendor_names
    keys = {name_key(n) for n in league_names}
    unmapped = {n for n in vendor_names if name_key(n) not in keys}
    assert 0 < len(unmapped) <= 0.05 * len(vendor_names)


def test_absent_players_get_no_props(world: World) -> None:
    played = set(zip(world.box.game_id, world.box.player_id, strict=True))
    final = set(world.results.game_id[world.results.status == "final"])
    offered = world.truth[world.truth.game_id.isin(final)]
    assert set(zip(offered.game_id, offered.player_id, strict=True)) <= played
    # And by name, as the vendor prints it: every mappable description played that game.
    names = world.box.assign(key=world.box.player_name.map(name_key))
    game_of_event = world.truth.drop_duplicates("event_id").set_index("event_id").game_id
    q = world.quotes.assign(key=world.quotes.player.map(name_key))
    q = q.assign(game_id=q.event_id.map(game_of_event))
    q = q[q.game_id.isin(final) & q.key.isin(set(names.key))]
    assert set(zip(q.game_id, q.key, strict=True)) <= set(
        zip(names.game_id, names.key, strict=True)
    )


def test_books_offer_the_rotation_not_the_bench(world: World) -> None:
    close = world.quotes[world.quotes.timestamp == world.quotes.groupby("event_id").timestamp
                         .transform("max")]  # fmt: skip
    per_event = close.groupby(["event_id", "book", "market"]).size()
    assert 10 <= per_event.mean() <= 16  # about 5-8 players a team
    minutes = world.box.set_index(["game_id", "player_id"]).minutes
    offered = world.truth.drop_duplicates(["game_id", "player_id"])
    offered = offered[offered.game_id.isin(world.box.game_id)]
    played = minutes.loc[list(zip(offered.game_id, offered.player_id, strict=True))]
    assert played.median() >= 24


# -- the truth -----------------------------------------------------------------------------------


def test_every_quote_has_its_truth_row(world: World) -> None:
    keys = set(zip(world.truth.event_id, world.truth.market, world.truth.line, strict=True))
    quoted = set(zip(world.quotes.event_id, world.quotes.market, world.quotes.point, strict=True))
    assert quoted <= keys
    assert not world.truth.duplicated(["game_id", "player_id", "market", "line"]).any()
    assert world.truth.true_p_over.between(0, 1).all() and (world.truth.true_mean > 0).all()


def test_true_probability_is_calibrated(outcomes: pd.DataFrame) -> None:
    assert len(outcomes) > 10_000
    assert abs(outcomes.true_p_over.mean() - outcomes.went_over.mean()) < 0.02
    bins = pd.cut(outcomes.true_p_over, [0, 0.35, 0.45, 0.55, 0.65, 1])
    by_bin = outcomes.groupby(bins, observed=True).agg(
        p=("true_p_over", "mean"), y=("went_over", "mean")
    )
    assert (by_bin.p - by_bin.y).abs().max() < 0.04


def test_truth_beats_the_closing_market(world: World, outcomes: pd.DataFrame) -> None:
    q = world.quotes
    close = q[q.timestamp == q.groupby("event_id").timestamp.transform("max")]
    p_over, p_under = implied(close.over), implied(close.under)
    close = close.assign(p_market=p_over / (p_over + p_under))
    names = world.box.drop_duplicates("player_id").assign(key=lambda b: b.player_name.map(name_key))
    close = close.assign(player_id=close.player.map(name_key).map(names.set_index("key").player_id))
    joined = close.merge(
        outcomes, left_on=["event_id", "player_id", "market", "point"],
        right_on=["event_id", "player_id", "market", "line"],
    )  # fmt: skip
    assert len(joined) > 5_000
    brier_truth = ((joined.true_p_over - joined.went_over) ** 2).mean()
    brier_market = ((joined.p_market - joined.went_over) ** 2).mean()
    assert brier_truth < brier_market


# -- the flags -----------------------------------------------------------------------------------


def test_without_market_noise_books_price_the_truth(tmp_path: Path) -> None:
    generate(tmp_path, seed=3, start=START, days=4, market_noise=0.0)
    q = flatten(load_snapshots(tmp_path))
    box = read_csvs(tmp_path / "feeds/league/boxscores")
    players = box.drop_duplicates("player_id")
    ids = players.set_index(players.player_name.map(name_key)).player_id
    truth = pd.read_csv(tmp_path / "truth/prop_truth.csv")
    p_over, p_under = implied(q.over), implied(q.under)
    q = q.assign(p_market=p_over / (p_over + p_under), player_id=q.player.map(name_key).map(ids))
    # Every book hangs the same line, the half point nearest the true median...
    assert q.groupby(["event_id", "player", "market"]).point.nunique().max() == 1
    joined = q.dropna(subset=["player_id"]).merge(
        truth, left_on=["event_id", "player_id", "market", "point"],
        right_on=["event_id", "player_id", "market", "line"], validate="many_to_one",
    )  # fmt: skip
    assert len(joined) == q.player_id.notna().sum()
    # ... at a price whose de-vigged probability is the truth, up to the 5-cent price grid.
    assert (joined.p_market - joined.true_p_over).abs().max() < 0.03


def test_book_count_changes_the_market_not_the_games(world: World, tmp_path: Path) -> None:
    generate(tmp_path, seed=SEED, start=START, days=3, books=2)
    box = read_csvs(tmp_path / "feeds/league/boxscores")
    same_days = world.box[world.box.file.isin(set(box.file))].reset_index(drop=True)
    pd.testing.assert_frame_equal(box, same_days)
    q = flatten(load_snapshots(tmp_path))
    assert set(q.book) == {"draftkings", "fanduel"}
    ours = world.quotes[world.quotes.book.isin({"draftkings", "fanduel"})]
    ours = ours[ours.file.isin(set(q.file))].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, q)


# -- csvfeed and decimalfeed ---------------------------------------------------------------------

CSV_BOOKS = {"DK": "draftkings", "CZR": "williamhill_us"}  # the default five books' share
DECIMAL_BOOKS = {"betmgm", "betrivers"}


def eastern_clock(stamp: str) -> str:
    return utc(stamp).astimezone(ET).strftime("%H:%M")


def test_csvfeed_files_have_the_documented_shape(world: World) -> None:
    header = ",".join(csvfeed.COLUMNS)
    folder = world.root / "feeds/csvfeed/prop_odds"
    for path in folder.glob("*.csv"):
        assert path.read_text(encoding="utf-8").splitlines()[0] == header, path
    rows = world.csv_rows
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


def test_decimalfeed_files_have_the_documented_shape(world: World) -> None:
    teams = pd.read_csv(SEEDS / "teams.csv").query("league == 'NBA'")
    nickname_of = dict(zip(teams.team_code, teams.nickname, strict=True))
    for path, doc in world.decimal_docs.items():
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
    offers = flatten_decimal(world.decimal_docs)
    assert set(offers.book) == DECIMAL_BOOKS
    assert set(offers.market) == {"points", "rebounds", "assists", "threes"}
    assert set(offers.selection) == {"over", "under"}
    assert (offers.selection.iloc[::2].values == "over").all()
    assert (offers.handicap * 2 % 2 == 1).all()
    assert (offers.odds.round(2) == offers.odds).all()
    assert (offers.participant.map(lambda n: n == n.encode("ascii", "ignore").decode())).all()


def test_a_book_has_one_price_whichever_vendor_carries_it(world: World) -> None:
    """draftkings via oddsapi and csvfeed, betmgm via oddsapi and decimalfeed: same bucket
    (10/14/18 ET), same game, player, market and line → same price."""
    teams = pd.read_csv(SEEDS / "teams.csv").query("league == 'NBA'")
    code_of_name = dict(zip(teams.full_name, teams.team_code, strict=True))
    code_of_name["Los Angeles Clippers"] = "LAC"
    codes = team_codes()
    stat = STAT_OF_MARKET
    csv_stat = {"PTS": "points", "REB": "rebounds", "AST": "assists", "3PM": "threes"}
    keys = ["bucket", "day", "home", "player", "stat", "line"]

    odds = world.quotes.assign(
        bucket=world.quotes.timestamp.map(eastern_clock), day=world.quotes.file.str[:10],
        home=world.quotes.home_team.map(code_of_name), player=world.quotes.player.map(name_key),
        stat=world.quotes.market.map(stat), line=world.quotes.point.astype(float),
    )  # fmt: skip

    rows = world.csv_rows[world.csv_rows.player != ""]
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

    offers = flatten_decimal(world.decimal_docs)
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


def test_bad_rows_are_rare_and_the_adapters_refuse_exactly_them(world: World) -> None:
    """Ingest's own adapters parse every published file: the broken rows, and only those, are
    refused; each file's other rows load."""
    bad = world.summary.bad_rows
    assert bad["oddsapi"] == 0
    refused = {"csvfeed": [], "decimalfeed": []}
    for vendor, adapter, suffix in (
        ("csvfeed", csvfeed, "csv"),
        ("decimalfeed", decimalfeed, "json"),
    ):
        for path in sorted((world.root / f"feeds/{vendor}/prop_odds").glob(f"*.{suffix}")):
            parsed = adapter.parse(path.read_bytes())
            assert len(parsed.rows) > 0, path
            refused[vendor] += [r.reason for r in parsed.rejected]
    assert len(refused["csvfeed"]) == bad["csvfeed"] > 0
    assert len(refused["decimalfeed"]) == bad["decimalfeed"] > 0
    assert bad["csvfeed"] < 0.003 * world.summary.vendor_rows["csvfeed"]
    assert bad["decimalfeed"] < 0.001 * world.summary.vendor_rows["decimalfeed"]
    reasons = " | ".join(refused["csvfeed"])
    assert "player missing" in reasons and "not valid American odds" in reasons
    assert all("above 1.0" in r for r in refused["decimalfeed"])


def test_each_vendor_spells_one_player_by_an_unmappable_nickname(world: World) -> None:
    keys = set(world.box.player_name.map(name_key))
    csv_names = {p for p in world.csv_rows.player if p}
    decimal_names = set(flatten_decimal(world.decimal_docs).participant)
    assert len({n for n in csv_names if name_key(flip(n)) not in keys}) == 1
    assert len({n for n in decimal_names if name_key(n) not in keys}) == 1
    # The nickname is the vendor's own: oddsapi's unmapped names are spelled right elsewhere.
    odds_unmapped = {name_key(n) for n in world.quotes.player} - keys
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
    from propcast.world.leagues import NBA
    from propcast.world.market import ErrorModel
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
