"""Predictor quality against a fair test: the market's close and the truth, per market family.

    .venv/bin/python bench/quality.py                                # 3 seasons of 165 days
    .venv/bin/python bench/quality.py --seasons 3 --days-per-season 40   # make bench-quality-small
    .venv/bin/python bench/quality.py --train-rows 1000000           # + the 1M-row training speed
    .venv/bin/python bench/quality.py --settings realistic --extra teammates_missing_minutes

For each market strength (`propcast.world.market.MARKET_STRENGTHS`; the default, "realistic",
last) it generates, per league of `--leagues` (default NBA and NHL), `--seasons` seasons of
the demo world (seed `--seed`, the same players every season, each season from October 21 of
its year, every book published through oddsapi), builds one row per (game, player, market,
line) at the close, trains `propcast.models.train_prop_model` (the product's trainer,
TrainConfig defaults, one model per family) on every season but the last and scores the last
with `propcast.models.score_lines`. The game totals of the same worlds, one family per league,
are bench/quality_totals.py's (the product's totals predictor, the same split).

The feature frame. The full dbt path (`propcast demo` of 24 days: ~10 min of dbt on the shared
2-core machine) does not fit 3 seasons x 3 market settings, so the bench builds the columns of
`fct_prop_line_features` in pandas from the world's files: the product's feature columns
(python_models/_python_models__models.yml, ml_model_registry's `feature_columns`) computed
as the dbt models define them (a player's averages over his previous 5 and 10 games, games
played, days of rest, back-to-back, home, the opponent's points allowed over its previous 5 and
10 games, books quoting, the move from the open; threes_avg_5/10 among them). The market's
P(over) is the de-vigged close (each book's last quote before the game, averaged over the books
on the line); the model sees it, as the product sees its pricing snapshot. The truth
(`truth/prop_truth.csv`) is joined only to evaluate.

Candidate features (`CANDIDATE_FEATURES`, built by `lag_features`, used only when named in
`EXTRA_FEATURES` or `--extra`): what the books are slow on (the market's minutes lag,
propcast/world/market.py), as of the game: `minutes_last_1`, `minutes_avg_3`,
`minutes_last_vs_avg_10` (minutes_avg_3 - minutes_avg_10), `team_games_missed` (the team's
games since the player's last one), `games_since_return` (games since an absence of 2+ team
games, capped at 5) and `teammates_missing_minutes` (the 10-game mean minutes of teammates who
played one of the team's 10 games before its previous one but not that game). Measured
2026-12-07 at 3 x 165 days, realistic, model/close with a paired date bootstrap: only
teammates_missing_minutes earned its place, lower in every family on seeds 7 and 11 (-0.0001
to -0.0010; 95 % CI below 0 for points and rebounds on seed 7, assists and points on seed
11); the others moved it less than the noise. It is now a product feature (the warehouse
computes it: macro teammates_missing_minutes), so the product's list brings it in here.
Also tried (2026-12-07, seed 7, NBA): `<stat>_per_minute_10` (the last 10 games' count over
their minutes) and `<stat>_projection` (that rate times `minutes_avg_3`), all eight at once:
model/close -0.0006 to +0.0004 by family, ECE up in three (assists 0.0082 -> 0.0101, threes
0.0097 -> 0.0114): not adopted.

Per family and setting: `model_logloss`, `market_logloss`, `truth_logloss` (rows of the last
season), `model_over_market`, `model_over_truth`, `ece` (10 equal-count bins), `n`. Targets
(issue 10): model <= 0.98 x market, <= 1.015 x truth, ECE <= 0.01. The last line is the default
setting's JSON object (one object per family); the line before each setting's table is that
setting's JSON (with its name). Training speed: `train_rows_per_s` per family; with
`--train-rows N` the largest family's training frame is resampled to N rows (whole dates
repeated) and trained once (`train_1m_seconds`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from quality_totals import evaluate_totals, logloss_result  # a sibling: bench/ is on sys.path

from propcast.markets import league_counts
from propcast.models import TrainConfig, score_lines, train_prop_model
from propcast.world import LEAGUES, generate
from propcast.world.closing import (
    boxscores,
    consensus,
    league_of,
    outcomes,
    quotes,
)
from propcast.world.market import DEFAULT_MARKET_STRENGTH, MARKET_STRENGTHS

ROOT = Path(__file__).resolve().parents[1]
#: Every league's counts and minutes: a count of another league's stats is a null column, as
#: in the warehouse's form means.
AVG_STATS = (*dict.fromkeys(s for stats in league_counts().values() for s in stats), "minutes")
#: The games each form mean spans: macro form_windows (macros/players/form_windows.sql).
FORM_WINDOWS = (5, 10, 82)
EXTRA_FEATURES: tuple[str, ...] = ()  # features the bench adds to the product's (none now)
#: Columns `lag_features` builds, for trying as EXTRA_FEATURES (`--extra`).
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
TARGETS = {"model_over_market": 0.98, "model_over_truth": 1.015, "ece": 0.01}


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def product_features() -> list[str]:
    spec = yaml.safe_load((ROOT / "python_models" / "_python_models__models.yml").read_text())
    (registry,) = [m for m in spec["models"] if m["name"] == "ml_model_registry"]
    return list(registry["config"]["meta"]["feature_columns"])


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
    `market_prob_over` (the de-vigged close), `stat_value` and `true_p_over`."""
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
        truth[["game_id", "event_id", "game_date", "player_id", "market", "line", "true_p_over"]],
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


# -- the evaluation -------------------------------------------------------------------------


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    order = np.argsort(p, kind="stable")
    total = 0.0
    for part in np.array_split(order, bins):
        if len(part):
            total += len(part) * abs(float(p[part].mean()) - float(y[part].mean()))
    return total / len(p)


def family_result(scored: pd.DataFrame) -> dict[str, float]:
    y = (scored["stat_value"] > scored["line"]).to_numpy(dtype=float)
    columns = ("prob_over", "market_prob_over", "true_p_over")
    return logloss_result(y, *(scored[c].to_numpy(dtype=float) for c in columns), ece)


def truth_ece(scored: pd.DataFrame) -> float:
    """The truth's own ECE on the same rows: the floor sampling noise puts under any model's."""
    y = (scored["stat_value"] > scored["line"]).to_numpy(dtype=float)
    return round(ece(y, scored["true_p_over"].to_numpy()), 4)


def evaluate(
    frame: pd.DataFrame, features: list[str], overrides: dict | None = None
) -> tuple[dict, dict]:
    """Train on every season but the last, score the last; per family results and speed.
    `overrides`: TrainConfig fields (none: the product's defaults)."""
    last = frame["season"].max()
    train_end = max(frame.loc[frame["season"] < last, "game_date"])
    results, speed = {}, {}
    for market in sorted(frame["market"].unique()):
        rows = frame[frame["market"] == market]
        cfg = TrainConfig(market_family=market, feature_columns=features, train_end=train_end,
                          **(overrides or {}))  # fmt: skip
        started = time.perf_counter()
        model = train_prop_model(rows[rows["season"] < last], cfg)
        seconds = time.perf_counter() - started
        trained = int((rows["season"] < last).sum())
        speed[market] = {"train_rows": trained, "train_seconds": round(seconds, 2),
                         "train_rows_per_s": round(trained / seconds)}  # fmt: skip
        scored = score_lines(model, rows[rows["season"] == last])
        results[market] = family_result(scored)
        speed[market]["truth_ece"] = truth_ece(scored)
    return results, speed


def train_speed(frame: pd.DataFrame, features: list[str], n_rows: int) -> dict:
    """Train once on `n_rows` rows: the largest family's training frame, its dates repeated
    as new dates (shifted by whole seasons' spans) until there are enough."""
    market = frame["market"].value_counts().index[0]
    base = frame[(frame["market"] == market) & (frame["season"] < frame["season"].max())]
    span = (max(base["game_date"]) - min(base["game_date"])).days + 1
    copies = []
    for k in range(-(-n_rows // len(base))):
        shifted = pd.to_datetime(base["game_date"]) - pd.Timedelta(days=span * k)
        copies.append(base.assign(game_date=shifted.dt.date))
    big = pd.concat(copies[::-1], ignore_index=True).tail(n_rows)
    cfg = TrainConfig(
        market_family=market, feature_columns=features, train_end=max(big["game_date"])
    )
    started = time.perf_counter()
    train_prop_model(big, cfg)
    seconds = time.perf_counter() - started
    return {"train_rows": len(big), "train_seconds": round(seconds, 1),
            "train_rows_per_s": round(len(big) / seconds)}  # fmt: skip


def run_setting(
    strength: str, args: argparse.Namespace, work: Path
) -> tuple[dict, dict, pd.DataFrame]:
    frames, totals = [], {}
    for league in args.leagues.split(","):
        worlds = []
        for k in range(args.seasons):
            world = work / f"{strength}-{league}-season{k}"
            started = time.perf_counter()
            summary = generate(world, seed=args.seed, start=date(args.first_year + k, 10, 21),
                               days=args.days_per_season, books=args.books,
                               market_strength=strength, vendors=("oddsapi",),
                               league=LEAGUES[league])  # fmt: skip
            say(f"{strength} {league} season {k}: {summary} "
                f"({time.perf_counter() - started:.0f}s)")  # fmt: skip
            worlds.append(world)
        family, result, floor = evaluate_totals(worlds, league, ece)
        totals[family] = (result, floor)
        started = time.perf_counter()
        frames.append(season_frames(worlds))  # a league's players and games are its own
        say(f"{strength} {league}: frame of {len(frames[-1]):,} rows "
            f"({time.perf_counter() - started:.0f}s)")  # fmt: skip
    frame = pd.concat(frames, ignore_index=True)
    features = bench_features(args.extra)
    results, speed = evaluate(frame, features, json.loads(args.override))
    for family, (result, floor) in totals.items():
        results[family] = result
        speed[family] = {"truth_ece": floor}
    return results, speed, frame


def bench_features(extra: str = "") -> list[str]:
    """The product's feature columns, EXTRA_FEATURES and `--extra` (comma-separated)."""
    more = [c for c in extra.split(",") if c]
    return list(dict.fromkeys([*product_features(), *EXTRA_FEATURES, *more]))


def print_table(strength: str, results: dict) -> None:
    print(f"market_strength={strength}")
    print(f"{'family':21} {'model':>8} {'market':>8} {'truth':>8} {'m/mkt':>7} {'m/truth':>8} "
          f"{'ece':>7} {'n':>7}  targets")  # fmt: skip
    for family, r in results.items():
        met = [r[k] <= v for k, v in TARGETS.items()]
        print(f"{family:21} {r['model_logloss']:8.4f} {r['market_logloss']:8.4f} "
              f"{r['truth_logloss']:8.4f} {r['model_over_market']:7.4f} "
              f"{r['model_over_truth']:8.4f} {r['ece']:7.4f} {r['n']:7d}  "
              f"{'met' if all(met) else 'MISSED'}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seasons", type=int, default=3)
    parser.add_argument("--days-per-season", type=int, default=165)
    parser.add_argument("--books", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--first-year", type=int, default=2023)
    parser.add_argument(
        "--leagues",
        default=",".join(LEAGUES),
        help=f"leagues whose families to run, comma-separated (default {','.join(LEAGUES)})",
    )
    parser.add_argument(
        "--settings",
        default=",".join(MARKET_STRENGTHS),
        help="market strengths to run, comma-separated (the default runs last)",
    )
    parser.add_argument(
        "--train-rows",
        type=int,
        default=0,
        help="also time one training on this many prop rows (e.g. 1000000)",
    )
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument(
        "--override",
        default="{}",
        help="TrainConfig fields as JSON, e.g. '{\"calibration_days\": 42}'",
    )
    parser.add_argument(
        "--extra",
        default="",
        help="features to add, comma-separated (CANDIDATE_FEATURES are built by the bench)",
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.seasons < 2:
        parser.error("--seasons must be at least 2 (train on all but the last)")
    unknown = sorted(set(args.leagues.split(",")) - set(LEAGUES))
    if unknown:
        parser.error(f"--leagues: unknown {unknown} (known: {', '.join(LEAGUES)})")
    settings = [s for s in args.settings.split(",") if s != DEFAULT_MARKET_STRENGTH]
    if DEFAULT_MARKET_STRENGTH in args.settings.split(","):
        settings.append(DEFAULT_MARKET_STRENGTH)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="propcast-quality-"))
    final: dict = {}
    try:
        for strength in settings:
            results, speed, frame = run_setting(strength, args, work)
            print_table(strength, results)
            print("speed " + json.dumps(speed))
            if strength == DEFAULT_MARKET_STRENGTH and args.train_rows:
                features = bench_features(args.extra)
                print("train_speed " + json.dumps(train_speed(frame, features, args.train_rows)))
            final = results
            print(json.dumps({"market_strength": strength, **results}), flush=True)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(final))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
