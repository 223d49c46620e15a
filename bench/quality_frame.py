"""bench/quality.py's frame: one row per (game, player, market, closing line) of a generated
world, with `fct_prop_line_features`' columns built in pandas from the world's files as the
dbt models define them (the reference the warehouse tests and macros name), the de-vigged
close, the outcome and the truth (bench/quality.py's docstring says why not through dbt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from propcast.markets import league_counts
from propcast.world.closing import (
    boxscores,
    consensus,
    league_of,
    outcomes,
    quotes,
)

#: Every league's counts and minutes: a count of another league's stats is a null column, as
#: in the warehouse's form means.
AVG_STATS = (*dict.fromkeys(s for stats in league_counts().values() for s in stats), "minutes")
#: The games each form mean spans: macro form_windows (macros/players/form_windows.sql).
FORM_WINDOWS = (5, 10, 82)
#: Columns `lag_features` builds, for trying as bench/quality.py's EXTRA_FEATURES (`--extra`).
CANDIDATE_FEATURES: tuple[str, ...] = (
    "minutes_last_1",
    "minutes_avg_3",
    "minutes_last_vs_avg_10",
    "team_games_missed",
    "games_since_return",
    "teammates_missing_minutes",
    *(f"{stat}_per_minute_10" for stat in AVG_STATS if stat != "minutes"),
    *(f"{stat}_projection" for stat in AVG_STATS if stat != "minutes"),
)

#: The world's hidden state behind the truth (truth/prop_truth.csv), kept in the frame for
#: `--extra` as an oracle: what knowing it would be worth. Nothing the warehouse has.
ORACLE_COLUMNS: tuple[str, ...] = ("true_expected_minutes", "true_form")
TRUTH_KEYS = ("game_id", "event_id", "game_date", "player_id", "market", "line")

# -- the frame ----------------------------------------------------------------------------


def player_features(box: pd.DataFrame, schedule: pd.DataFrame) -> pd.DataFrame:
    """Per boxscore row, what the player's earlier games say (the features_asof model)."""
    box = box.sort_values(["player_id", "game_date", "game_id"]).reset_index(drop=True)
    by = box.groupby("player_id", sort=False)
    out = box[["game_id", "player_id", "team"]].copy()
    for stat in AVG_STATS:
        if stat not in box.columns:  # another league's count
            for n in FORM_WINDOWS:
                out[f"{stat}_avg_{n}"] = np.nan
            continue
        grouped = by[stat].shift(1).groupby(box["player_id"], sort=False)
        for n in FORM_WINDOWS:
            out[f"{stat}_avg_{n}"] = grouped.transform(
                lambda s, n=n: s.rolling(n, min_periods=1).mean()
            )
    out["games_played"] = by.cumcount()
    days = pd.to_datetime(box["game_date"])
    out["days_rest"] = (days - days.groupby(box["player_id"]).shift(1)).dt.days
    out["is_back_to_back"] = (out["days_rest"] == 1).astype(float)
    home = schedule.set_index("game_id")["home_team"]
    out["is_home"] = (out["game_id"].map(home) == out["team"]).astype(float)
    out = out.join(lag_features(box, out))
    return out.drop(columns="team")


def lag_features(box: pd.DataFrame, player: pd.DataFrame) -> pd.DataFrame:
    """Candidate features (`CANDIDATE_FEATURES`) for what the books are slow on: the player's
    last games' minutes against his 10-game mean, the team games he missed before this one and
    how many games he has played since coming back, and the minutes of teammates missing from
    the team's previous game. All as of the game (earlier games only). `box` is sorted by
    player and date, `player` is `player_features`' frame in the same order."""
    by = box.groupby("player_id", sort=False)
    prior = by["minutes"].shift(1)
    out = pd.DataFrame(index=box.index)
    out["minutes_last_1"] = prior
    out["minutes_avg_3"] = prior.groupby(box["player_id"], sort=False).transform(
        lambda s: s.rolling(3, min_periods=1).mean()
    )
    out["minutes_last_vs_avg_10"] = out["minutes_avg_3"] - player["minutes_avg_10"]
    # The team's games in order (one index per team, over every season's boxscores).
    games = box[["team", "game_date", "game_id"]].drop_duplicates(["team", "game_id"])
    games = games.sort_values(["team", "game_date", "game_id"])
    games["team_game"] = games.groupby("team").cumcount()
    idx = box[["team", "game_id"]].merge(games, on=["team", "game_id"], how="left")["team_game"]
    idx.index = box.index
    missed = idx - idx.groupby(box["player_id"], sort=False).shift(1) - 1
    out["team_games_missed"] = missed
    # Games played since the last absence of 2+ team games (0: his first game back).
    back = (missed >= 2).astype(int).groupby(box["player_id"], sort=False).cumsum()
    since = box.groupby([box["player_id"], back], sort=False).cumcount()
    out["games_since_return"] = np.where(back > 0, np.minimum(since, 5), 5).astype(float)
    # Teammates missing from the team's previous game: the sum of their 10-game mean minutes
    # (as of their last game) over those who played one of the 10 team games before it.
    after = by["minutes"].transform(lambda s: s.rolling(10, min_periods=1).mean())
    rows = pd.DataFrame({"team": box["team"], "team_game": idx, "player_id": box["player_id"],
                         "avg": after})  # fmt: skip
    missing: dict[tuple[str, int], float] = {}
    for team, part in rows.groupby("team", sort=False):
        played = {g: dict(zip(p["player_id"], p["avg"], strict=True))
                  for g, p in part.groupby("team_game")}  # fmt: skip
        last_avg: dict[str, float] = {}
        last_seen: dict[str, int] = {}
        for g in range(int(part["team_game"].max()) + 1):
            prev = played.get(g - 1)
            if prev is None:
                continue
            missing[(team, g)] = sum(
                a for q, a in last_avg.items() if q not in prev and last_seen[q] >= g - 11
            )
            for q, a in prev.items():
                last_avg[q], last_seen[q] = a, g - 1
    team_missing = pd.Series([missing.get(k, np.nan) for k in zip(box["team"], idx, strict=True)],
                             index=box.index)  # fmt: skip
    own = np.where((missed >= 1) & (missed <= 10), player["minutes_avg_10"], 0.0)
    out["teammates_missing_minutes"] = team_missing - own
    # Per-minute rates over the last 10 games, and the rate times the last 3 games' minutes:
    # a tree cannot divide or multiply two features.
    minutes_10 = prior.groupby(box["player_id"], sort=False).transform(
        lambda s: s.rolling(10, min_periods=1).sum()
    )
    for stat in AVG_STATS:
        if stat == "minutes":
            continue
        if stat not in box.columns:
            out[f"{stat}_per_minute_10"] = out[f"{stat}_projection"] = np.nan
            continue
        stat_10 = (
            by[stat]
            .shift(1)
            .groupby(box["player_id"], sort=False)
            .transform(lambda s: s.rolling(10, min_periods=1).sum())
        )
        out[f"{stat}_per_minute_10"] = stat_10 / minutes_10.where(minutes_10 > 0)
        out[f"{stat}_projection"] = out[f"{stat}_per_minute_10"] * out["minutes_avg_3"]
    return out


def opponent_features(box: pd.DataFrame, schedule: pd.DataFrame) -> pd.DataFrame:
    """Per (game, team): its opponent's points allowed over the opponent's earlier games."""
    final = schedule[schedule["status"] == "final"]
    sides = pd.concat(
        [
            final.assign(team=final["away_team"], allowed=final["home_score"]),
            final.assign(team=final["home_team"], allowed=final["away_score"]),
        ]
    )[["game_id", "game_date", "team", "allowed"]]
    sides = sides.sort_values(["team", "game_date", "game_id"]).reset_index(drop=True)
    prior = sides.groupby("team")["allowed"].shift(1).groupby(sides["team"])
    sides["opponent_points_allowed_avg_5"] = prior.transform(
        lambda s: s.rolling(5, min_periods=1).mean()
    )
    sides["opponent_points_allowed_avg_10"] = prior.transform(
        lambda s: s.rolling(10, min_periods=1).mean()
    )
    sides["opponent_prior_games"] = sides.groupby("team").cumcount()
    teams = box[["game_id", "player_id", "opponent"]]
    return teams.merge(
        sides.drop(columns=["game_date", "allowed"]),
        left_on=["game_id", "opponent"], right_on=["game_id", "team"],
    ).drop(columns=["opponent", "team"])  # fmt: skip


def availability_features(box: pd.DataFrame, worlds: list[Path]) -> pd.DataFrame:
    """Per boxscore row, `teammates_out_minutes` (macro teammates_out_minutes): the 10-game
    mean minutes, through his last game before the date, of each teammate the league's
    availability report lists out for the game, who played within the 30 days before it; 0
    when the report lists none of the team, NaN without a report of the date. Every report of
    the world is published before the first odds snapshot, so every one counts at the close."""
    reports = pd.concat(
        [pd.read_csv(p, dtype=str) for w in worlds
         for p in sorted((w / "feeds" / "league" / "availability").glob("*.csv"))],
        ignore_index=True,
    )  # fmt: skip
    reports = reports[reports["status"] == "out"].assign(
        game_date=pd.to_datetime(reports["game_date"])
    )
    played = box[["player_id", "game_date", "game_id", "minutes"]].assign(
        game_date=pd.to_datetime(box["game_date"])
    )
    played = played.sort_values(["player_id", "game_date", "game_id"])
    played["minutes_avg_10"] = played.groupby("player_id")["minutes"].transform(
        lambda s: s.rolling(10, min_periods=1).mean()
    )
    last = played.rename(columns={"game_date": "last_date"})[
        ["player_id", "last_date", "minutes_avg_10"]
    ].sort_values("last_date")
    out = pd.merge_asof(
        reports.sort_values("game_date"), last, left_on="game_date", right_on="last_date",
        by="player_id", allow_exact_matches=False,
    )  # fmt: skip
    out = out[(out["game_date"] - out["last_date"]).dt.days <= 30]
    team_out = out.groupby(["game_date", "team"])["minutes_avg_10"].agg(["sum"])
    rows = box[["game_id", "player_id", "team"]].assign(game_date=pd.to_datetime(box["game_date"]))
    rows = rows.join(team_out, on=["game_date", "team"])
    own = rows.merge(
        out[["game_date", "team", "player_id", "minutes_avg_10"]],
        on=["game_date", "team", "player_id"], how="left",
    )["minutes_avg_10"].fillna(0.0)  # fmt: skip
    reported = rows["game_date"].isin(set(reports["game_date"]))
    value = rows["sum"].fillna(0.0).to_numpy() - own.to_numpy()
    rows["teammates_out_minutes"] = np.where(reported, value, np.nan)
    return rows[["game_id", "player_id", "teammates_out_minutes"]]


def world_frame(world: Path) -> pd.DataFrame:
    """One row per (game, player, market, closing line) with the product's feature columns,
    `market_prob_over` (the de-vigged close), `stat_value`, `true_p_over` and (for
    quality_bound.py's reference, never a feature) `true_mean`."""
    quoted = quotes(world)
    close = consensus(quoted, last=True).rename(
        columns={"p_market": "market_prob_over", "books": "books_quoting"}
    )
    opening = consensus(quoted, last=False)
    opening_line = opening.groupby(["event_id", "player_id", "market"], as_index=False)[
        "line"
    ].mean().rename(columns={"line": "opening_line"})  # fmt: skip
    close = close.merge(opening_line, on=["event_id", "player_id", "market"], how="left")
    close["line_move_from_open"] = close["line"] - close["opening_line"]
    close = close.merge(
        opening[["event_id", "player_id", "market", "line", "p_market"]],
        on=["event_id", "player_id", "market", "line"], how="left",
    )  # fmt: skip
    close["market_prob_move_from_open"] = close["market_prob_over"] - close.pop("p_market")

    truth = pd.read_csv(world / "truth" / "prop_truth.csv", dtype={"game_id": str})
    frame = close.merge(
        truth[[*TRUTH_KEYS, "true_p_over", "true_mean", *ORACLE_COLUMNS]],
        on=["event_id", "player_id", "market", "line"],
    )
    frame = frame.merge(
        outcomes(world, truth, league_of(world)).rename(columns={"stat": "stat_value"}),
        on=["event_id", "player_id", "market"],
    )  # postponed games have no boxscore: dropped, as the product drops them
    return frame


def season_frames(worlds: list[Path]) -> pd.DataFrame:
    """Every season's frame with player features over all seasons' boxscores (a player's last
    games of a season count for the next, as in the warehouse).

    Every season is generated from the same seed, so game ids repeat across seasons: each
    season's ids are prefixed with its index before anything is joined (joined on the bare id,
    a row took the features of the same game id in every season, later ones included)."""
    box = pd.concat([season_ids(boxscores(w), k) for k, w in enumerate(worlds)], ignore_index=True)
    schedule = pd.concat(
        [
            season_ids(pd.read_csv(p, dtype={"game_id": str}), k)
            for k, w in enumerate(worlds)
            for p in sorted((w / "feeds" / "league" / "schedule").glob("*.csv"))
        ]
    ).drop_duplicates("game_id", keep="last")
    features = (
        player_features(box, schedule)
        .merge(opponent_features(box, schedule), on=["game_id", "player_id"], how="left")
        .merge(availability_features(box, worlds), on=["game_id", "player_id"], how="left")
    )
    frames = [season_ids(world_frame(w), k).assign(season=k) for k, w in enumerate(worlds)]
    frame = pd.concat(frames, ignore_index=True).merge(
        features, on=["game_id", "player_id"], how="left", validate="many_to_one"
    )
    frame["game_date"] = pd.to_datetime(frame["game_date"]).dt.date
    return frame


def season_ids(frame: pd.DataFrame, season: int) -> pd.DataFrame:
    """The frame with its game ids made unique across seasons (`s<season>:<game_id>`)."""
    return frame.assign(game_id=f"s{season}:" + frame["game_id"].astype(str))
