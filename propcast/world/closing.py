"""The books' de-vigged close against the truth, read from a generated world's own files.

`closing_lines(world)` takes every book's last quote of each (event, player, market) from the
oddsapi snapshots (the world must be generated with `vendors=("oddsapi",)`, so every book is
published there), removes the vig (multiplicative: each side's implied probability over their
sum), averages the books closing on the same line into the market's P(over), and joins the
truth's P(over) of that line (`truth/prop_truth.csv`) and the outcome (the boxscores). Nothing
here is read by the warehouse or a model: it is how a benchmark tells how sharp the world's
market is (`bench/market_strength.py`, the market-strength test). `total_closing_lines` does the
same for the game totals, against `truth/game_total_truth.csv` and the schedule's scores.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from propcast.world.leagues import NBA, LeagueSpec
from propcast.world.market import implied_probability
from propcast.world.nhl import NHL
from propcast.world.roster import make_roster
from propcast.world.season import ROSTER_STREAM, stream
from propcast.world.vendors import ODDSAPI_TOTAL_MARKET

_EPS = 1e-12


def quotes(world: Path) -> pd.DataFrame:
    """Every oddsapi quote of the world: one row per (snapshot, event, book, market, player,
    line) with its American prices and the player's id (the world's own spelling of him)."""
    params = json.loads((world / "truth" / "world.json").read_text(encoding="utf-8"))
    roster = make_roster(league_of(world), stream(int(params["seed"]), ROSTER_STREAM))
    ids = {n.vendor: pid for n, pid in zip(roster.names, roster.player_ids, strict=True)}
    raw = _quotes(world)
    return raw.assign(player_id=raw.pop("name").map(ids))


def league_of(world: Path) -> LeagueSpec:
    """The world's league (world.json's `league`)."""
    params = json.loads((world / "truth" / "world.json").read_text(encoding="utf-8"))
    return {spec.name: spec for spec in (NBA, NHL)}[params["league"]]


def _quotes(world: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((world / "feeds" / "oddsapi" / "prop_odds").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        stamp = doc["timestamp"]
        for event in doc["data"]:
            for book in event["bookmakers"]:
                for market in book["markets"]:
                    if market["key"] == ODDSAPI_TOTAL_MARKET:
                        continue
                    outcomes = market["outcomes"]
                    for over, under in zip(outcomes[0::2], outcomes[1::2], strict=True):
                        rows.append((stamp, event["id"], book["key"], market["key"],
                                     over["description"], over["point"], over["price"],
                                     under["price"]))  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["stamp", "event_id", "book", "market", "name", "line", "over", "under"],
    )


def boxscores(world: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(p, dtype={"game_id": str})
        for p in sorted((world / "feeds" / "league" / "boxscores").glob("*.csv"))
    ]
    return pd.concat(frames, ignore_index=True)


def closing_lines(world: Path, spec: LeagueSpec | None = None) -> pd.DataFrame:
    """One row per (event, player, market, closing line): `market` (the prop market), `y`
    (1 when the stat went over), `p_market` (de-vigged close, mean over the books closing on
    that line), `p_truth`, `books`."""
    world = Path(world)
    spec = spec or league_of(world)
    quoted = quotes(world)
    if quoted.empty:
        raise ValueError(f"no oddsapi quotes under {world}: generate with vendors=('oddsapi',)")
    market = consensus(quoted, last=True)
    truth = pd.read_csv(world / "truth" / "prop_truth.csv", dtype={"game_id": str})
    out = market.merge(outcomes(world, truth, spec), on=["event_id", "player_id", "market"])
    out = out.merge(
        truth[["event_id", "player_id", "market", "line", "true_p_over"]],
        on=["event_id", "player_id", "market", "line"],
    )
    out["y"] = (out["stat"] > out["line"]).astype(float)
    return out.rename(columns={"true_p_over": "p_truth"})[
        ["event_id", "player_id", "market", "line", "y", "p_market", "p_truth", "books"]
    ]


def consensus(quoted: pd.DataFrame, *, last: bool) -> pd.DataFrame:
    """Each book's last (`last`) or first quote of a player's market, de-vigged
    (multiplicative), averaged over the books on the same line: `p_market`, `books`."""
    board = quoted.sort_values("stamp", kind="stable").drop_duplicates(
        ["event_id", "book", "market", "player_id"], keep="last" if last else "first"
    )
    p_over, p_under = implied_probability(board["over"]), implied_probability(board["under"])
    board = board.assign(p=p_over / (p_over + p_under))
    return (
        board.groupby(["event_id", "player_id", "market", "line"], as_index=False)
        .agg(p_market=("p", "mean"), books=("book", "size"), line_books=("line", "size"))
        .drop(columns="line_books")
    )


def outcomes(world: Path, truth: pd.DataFrame, spec: LeagueSpec = NBA) -> pd.DataFrame:
    """(event_id, player_id, market, stat): every boxscore stat as its prop market's outcome."""
    box = boxscores(world)
    columns = {s.column: s.market for s in spec.stats}
    long = box.melt(
        id_vars=["game_id", "player_id"], value_vars=list(columns), var_name="column",
        value_name="stat",
    )  # fmt: skip
    long["market"] = long.pop("column").map(columns)
    events = truth[["game_id", "event_id"]].drop_duplicates()
    return long.merge(events, on="game_id").drop(columns="game_id")


def total_quotes(world: Path) -> pd.DataFrame:
    """Every oddsapi game total of the world: (stamp, event_id, book, line, over, under)."""
    rows = []
    for path in sorted((Path(world) / "feeds" / "oddsapi" / "prop_odds").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for event in doc["data"]:
            for book in event["bookmakers"]:
                for market in book["markets"]:
                    if market["key"] == ODDSAPI_TOTAL_MARKET:
                        over, under = market["outcomes"]
                        rows.append((doc["timestamp"], event["id"], book["key"], over["point"],
                                     over["price"], under["price"]))  # fmt: skip
    return pd.DataFrame(rows, columns=["stamp", "event_id", "book", "line", "over", "under"])


def total_closing_lines(world: Path) -> pd.DataFrame:
    """The game totals' close against the truth (as `closing_lines` for props): one row per
    (event, consensus closing line, the line most books close on, the lower on a tie):
    `market` (game_total), `y`, `p_market` (de-vigged close averaged over the books on that
    line), `p_truth` (truth/game_total_truth.csv), `books`. Postponed games are left out."""
    world = Path(world)
    quoted = total_quotes(world)
    if quoted.empty:
        raise ValueError(f"no oddsapi totals under {world}: generate with vendors=('oddsapi',)")
    board = quoted.sort_values("stamp", kind="stable").drop_duplicates(
        ["event_id", "book"], keep="last"
    )
    p_over, p_under = implied_probability(board["over"]), implied_probability(board["under"])
    board = board.assign(p=p_over / (p_over + p_under))
    lines = board.groupby(["event_id", "line"], as_index=False).agg(
        p_market=("p", "mean"), books=("book", "size")
    )
    lines = lines.sort_values(["event_id", "books", "line"], ascending=[True, False, True])
    lines = lines.drop_duplicates("event_id")
    truth = pd.read_csv(world / "truth" / "game_total_truth.csv", dtype={"game_id": str})
    out = lines.merge(truth[["game_id", "event_id", "line", "true_p_over"]],
                      on=["event_id", "line"])  # fmt: skip
    final = final_games(world)
    out = out.merge(final[["game_id", "home_score", "away_score"]], on="game_id")
    total = out["home_score"].astype(float) + out["away_score"].astype(float)
    out["y"] = (total > out["line"]).astype(float)
    out["market"] = "game_total"
    return out.rename(columns={"true_p_over": "p_truth"})[
        ["event_id", "game_id", "market", "line", "y", "p_market", "p_truth", "books"]
    ]


def final_games(world: Path) -> pd.DataFrame:
    """The world's final games as its league feed last published them: game_id, league,
    game_date (dates), home, away (team codes), home_score, away_score."""
    schedule = pd.concat(
        [pd.read_csv(p, dtype={"game_id": str})
         for p in sorted((Path(world) / "feeds" / "league" / "schedule").glob("*.csv"))],
        ignore_index=True,
    )  # fmt: skip
    final = schedule[schedule["status"] == "final"].drop_duplicates("game_id", keep="last")
    final = final.rename(columns={"home_team": "home", "away_team": "away"})
    return final.assign(game_date=pd.to_datetime(final["game_date"]).dt.date)[
        ["game_id", "league", "game_date", "home", "away", "home_score", "away_score"]
    ].reset_index(drop=True)


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    y = np.asarray(y, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def close_over_truth(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per market: the de-vigged close's log loss, the truth's, their ratio and the rows.

    `ratio` is over the realised outcomes; `expected_ratio` the same ratio with each outcome
    replaced by its truth probability (expected log loss under the truth: cross-entropy over
    entropy), which has no outcome noise, so a short world pins it well.
    """
    out = {}
    for market, rows in frame.groupby("market", sort=True):
        market_ll = log_loss(rows["y"], rows["p_market"])
        truth_ll = log_loss(rows["y"], rows["p_truth"])
        expected_market = log_loss(rows["p_truth"], rows["p_market"])
        expected_truth = log_loss(rows["p_truth"], rows["p_truth"])
        out[str(market)] = {
            "market_logloss": round(market_ll, 5),
            "truth_logloss": round(truth_ll, 5),
            "ratio": round(market_ll / truth_ll, 4),
            "expected_ratio": round(expected_market / expected_truth, 4),
            "n": len(rows),
        }
    return out
