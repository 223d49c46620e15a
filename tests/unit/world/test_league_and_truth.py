"""The demo world's league, its players and the truth: a basketball month, vendors that spell
names their own way, and a truth that beats the closing market; its flags move only the market."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from propcast.world import generate
from tests.unit.world.files import (
    DAYS,
    ESPN_CODES,
    ET,
    SEED,
    SEEDS,
    START,
    World,
    flatten,
    implied,
    load_snapshots,
    name_key,
    read_csvs,
    utc,
)

# -- the league ----------------------------------------------------------------------------------


def test_league_feed_uses_espn_codes_and_oddsapi_full_names(nba_world: World) -> None:
    teams = pd.read_csv(SEEDS / "teams.csv").query("league == 'NBA'")  # the demo world is NBA
    espn = {ESPN_CODES.get(code, code) for code in teams.team_code}
    league_codes = set(nba_world.season.home_team) | set(nba_world.season.away_team)
    assert league_codes == espn  # a month of games involves every team
    assert set(nba_world.box.team) <= espn and set(nba_world.box.opponent) <= espn
    full = {f"{c} {n}" for c, n in zip(teams.city, teams.nickname, strict=True)}
    full = full - {"LA Clippers"} | {"Los Angeles Clippers"}
    vendor_names = set(nba_world.quotes.home_team) | set(nba_world.quotes.away_team)
    assert vendor_names <= full
    assert {"Golden State Warriors", "Philadelphia 76ers"} <= vendor_names


def test_schedule_looks_like_an_nba_month(nba_world: World) -> None:
    s = nba_world.season
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


def test_team_score_is_the_sum_of_its_players_points(nba_world: World) -> None:
    final = nba_world.results[nba_world.results.status == "final"]
    points = nba_world.box.groupby(["game_id", "team"]).points.sum()
    for row in final.itertuples():
        assert points[(row.game_id, row.home_team)] == int(row.home_score)
        assert points[(row.game_id, row.away_team)] == int(row.away_score)
        assert row.home_score != row.away_score
    scores = pd.concat([final.home_score, final.away_score]).astype(int)
    assert 100 < scores.mean() < 125


def test_boxscores_look_like_basketball(nba_world: World) -> None:
    box = nba_world.box
    per_team = box.groupby(["game_id", "team"])
    assert (per_team.starter.apply(lambda s: (s == "true").sum()) == 5).all()
    assert per_team.minutes.sum().isin([240, 265, 290, 315]).all()
    assert (box.minutes > 0).all() and (box.minutes <= 63).all()
    assert per_team.size().between(7, 13).all()
    assert box.player_id.str.fullmatch(r"P\d{6}").all()
    assert not box.duplicated(["game_id", "player_id"]).any()
    heavy = box[box.minutes >= 30]
    assert 14 < heavy.points.mean() < 24 and heavy.points.std() > 5


def test_postponed_games_have_no_boxscores_and_no_score(nba_world: World) -> None:
    postponed = nba_world.results[nba_world.results.status == "postponed"]
    assert len(postponed) >= 1
    assert (postponed[["home_score", "away_score"]] == "").all().all()
    assert set(postponed.game_id).isdisjoint(set(nba_world.box.game_id))
    final = nba_world.results[nba_world.results.status == "final"]
    assert set(final.game_id) == set(nba_world.box.game_id)


# -- players and their names -----------------------------------------------------------------


def test_vendor_spells_names_its_own_way(nba_world: World) -> None:
    league_names = set(nba_world.box.player_name)
    vendor_names = set(nba_world.quotes.player)
    assert any(n != n.encode("ascii", "ignore").decode() for n in league_names)
    assert all(n == n.encode("ascii", "ignore").decode() for n in vendor_names)
    suffixed = {n for n in league_names if n.split()[-1] in {"Jr.", "II", "III"}}
    assert suffixed & vendor_names and {n.rsplit(" ", 1)[0] for n in suffixed} & vendor_names
    keys = {name_key(n) for n in league_names}
    unmapped = {n for n in vendor_names if name_key(n) not in keys}
    assert 0 < len(unmapped) <= 0.05 * len(vendor_names)


def test_absent_players_get_no_props(nba_world: World) -> None:
    played = set(zip(nba_world.box.game_id, nba_world.box.player_id, strict=True))
    final = set(nba_world.results.game_id[nba_world.results.status == "final"])
    offered = nba_world.truth[nba_world.truth.game_id.isin(final)]
    assert set(zip(offered.game_id, offered.player_id, strict=True)) <= played
    # And by name, as the vendor prints it: every mappable description played that game.
    names = nba_world.box.assign(key=nba_world.box.player_name.map(name_key))
    game_of_event = nba_world.truth.drop_duplicates("event_id").set_index("event_id").game_id
    q = nba_world.quotes.assign(key=nba_world.quotes.player.map(name_key))
    q = q.assign(game_id=q.event_id.map(game_of_event))
    q = q[q.game_id.isin(final) & q.key.isin(set(names.key))]
    assert set(zip(q.game_id, q.key, strict=True)) <= set(
        zip(names.game_id, names.key, strict=True)
    )


def test_books_offer_the_rotation_not_the_bench(nba_world: World) -> None:
    close = nba_world.quotes[nba_world.quotes.timestamp == nba_world.quotes.groupby("event_id").timestamp
                         .transform("max")]  # fmt: skip
    per_event = close.groupby(["event_id", "book", "market"]).size()
    assert 10 <= per_event.mean() <= 16  # about 5-8 players a team
    minutes = nba_world.box.set_index(["game_id", "player_id"]).minutes
    offered = nba_world.truth.drop_duplicates(["game_id", "player_id"])
    offered = offered[offered.game_id.isin(nba_world.box.game_id)]
    played = minutes.loc[list(zip(offered.game_id, offered.player_id, strict=True))]
    assert played.median() >= 24


# -- the truth -----------------------------------------------------------------------------------


def test_every_quote_has_its_truth_row(nba_world: World) -> None:
    keys = set(
        zip(nba_world.truth.event_id, nba_world.truth.market, nba_world.truth.line, strict=True)
    )
    quoted = set(
        zip(nba_world.quotes.event_id, nba_world.quotes.market, nba_world.quotes.point, strict=True)
    )
    assert quoted <= keys
    assert not nba_world.truth.duplicated(["game_id", "player_id", "market", "line"]).any()
    assert nba_world.truth.true_p_over.between(0, 1).all() and (nba_world.truth.true_mean > 0).all()


def test_true_probability_is_calibrated(outcomes: pd.DataFrame) -> None:
    assert len(outcomes) > 10_000
    assert abs(outcomes.true_p_over.mean() - outcomes.went_over.mean()) < 0.02
    bins = pd.cut(outcomes.true_p_over, [0, 0.35, 0.45, 0.55, 0.65, 1])
    by_bin = outcomes.groupby(bins, observed=True).agg(
        p=("true_p_over", "mean"), y=("went_over", "mean")
    )
    assert (by_bin.p - by_bin.y).abs().max() < 0.04


def test_truth_beats_the_closing_market(nba_world: World, outcomes: pd.DataFrame) -> None:
    q = nba_world.quotes
    close = q[q.timestamp == q.groupby("event_id").timestamp.transform("max")]
    p_over, p_under = implied(close.over), implied(close.under)
    close = close.assign(p_market=p_over / (p_over + p_under))
    names = nba_world.box.drop_duplicates("player_id").assign(
        key=lambda b: b.player_name.map(name_key)
    )
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


def test_book_count_changes_the_market_not_the_games(nba_world: World, tmp_path: Path) -> None:
    generate(tmp_path, seed=SEED, start=START, days=3, books=2)
    box = read_csvs(tmp_path / "feeds/league/boxscores")
    same_days = nba_world.box[nba_world.box.file.isin(set(box.file))].reset_index(drop=True)
    pd.testing.assert_frame_equal(box, same_days)
    q = flatten(load_snapshots(tmp_path))
    assert set(q.book) == {"draftkings", "fanduel"}
    ours = nba_world.quotes[nba_world.quotes.book.isin({"draftkings", "fanduel"})]
    ours = ours[ours.file.isin(set(q.file))].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, q)
