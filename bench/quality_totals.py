"""bench/quality.py's game totals: one family per league (`game_total_nba`, `game_total_nhl`),
judged like the props on the same worlds.

Per season's world: the consensus close of each game's total (the line most books close at,
the lower on a tie; `propcast.world.closing.total_closing_lines`: its de-vigged P(over) and the
truth's), the consensus open (each book's first quote) for the line's move, and the league's
final scores. The team columns are fct_game_total_features' as-of ones over every season's
final games (`propcast.totals_frames`, the dbt models' pandas twin), so a team's last games
of a season count for the next. The product's totals predictor (`propcast.totals.
fit_totals_model`, TotalsConfig defaults) trains on every season but the last and scores the
last; pushes (whole lines) are left out of the log losses, as the product settles them.
Like the props' bench rows, the features stand at the close (the product prices the totals at
the 14:00 snapshot; the close is the benchmark both here and there).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from market_strength import LEARNED_OFF, VARIANTS  # a sibling: bench/ is on sys.path
from market_strength import learnt_close as learnt_close_ratios

from propcast.totals import baseline, fit_totals_model
from propcast.totals_frames import settle, with_team_features
from propcast.world.closing import (
    close_over_truth,
    final_games,
    log_loss,
    total_closing_lines,
    total_quotes,
)
from propcast.world.market import ErrorModel
from propcast.world.totals import MARKET

#: The error model of `learnt_close`'s world: the books' learnable terms (the shade and the
#: minutes lag) switched off, as market_strength.py --decompose's learnt close.
LEARNT_ERRORS = dataclasses.replace(ErrorModel(), **VARIANTS[LEARNED_OFF])


def opening_lines(world: Path) -> pd.DataFrame:
    """Per event: the consensus of each book's first quote (the lower line on a tie)."""
    first = total_quotes(world).sort_values("stamp", kind="stable")
    first = first.drop_duplicates(["event_id", "book"], keep="first")
    counts = first.groupby(["event_id", "line"], as_index=False).size()
    counts = counts.sort_values(["event_id", "size", "line"], ascending=[True, False, True])
    return counts.drop_duplicates("event_id")[["event_id", "line"]].rename(
        columns={"line": "open_line"}
    )


def season_totals(worlds: list[Path]) -> pd.DataFrame:
    """fct_game_total_features-shaped rows of every season (game ids `s<k>:<id>`, column
    `season`), with `true_p_over` and the game's `true_mean` total."""
    games, lines = [], []
    for k, world in enumerate(worlds):
        games.append(final_games(world).assign(game_id=lambda f, k=k: f"s{k}:" + f["game_id"]))
        truth = pd.read_csv(world / "truth" / "game_total_truth.csv", dtype={"game_id": str})
        close = total_closing_lines(world).merge(opening_lines(world), on="event_id", how="left")
        close = close.merge(truth[["event_id", "true_mean"]].drop_duplicates("event_id"),
                            on="event_id", how="left")  # fmt: skip
        lines.append(close.assign(game_id=f"s{k}:" + close["game_id"], season=k))
    featured = with_team_features(pd.concat(games, ignore_index=True))
    rows = featured.merge(pd.concat(lines, ignore_index=True), on="game_id", validate="1:1")
    rows = rows.rename(columns={"p_market": "market_prob_over", "p_truth": "true_p_over"})
    rows["line_move"] = rows["line"] - rows["open_line"]
    return settle(rows)


def logloss_result(y: np.ndarray, model: np.ndarray, market: np.ndarray, truth: np.ndarray,
                   ece) -> dict[str, float]:  # fmt: skip
    """A family's bench row: log losses of the model, the market and the truth on the
    outcomes `y`, their ratios, the model's ECE (`ece(y, p)`) and n."""
    m, k, t = log_loss(y, model), log_loss(y, market), log_loss(y, truth)
    return {
        "model_logloss": round(m, 5),
        "market_logloss": round(k, 5),
        "truth_logloss": round(t, 5),
        "model_over_market": round(m / k, 4),
        "model_over_truth": round(m / t, 4),
        "ece": round(ece(y, model), 4),
        "n": len(y),
    }


def evaluate_totals(worlds: list[Path], league: str, ece) -> tuple[str, dict, dict]:
    """(family, result, diagnostics) of one league's seasons. Diagnostics: the truth's ECE on
    the same rows, the model's ratios in expected log loss (free of the outcomes' noise), and
    the error sd of the model's forecast total and of the close's implied mean
    (`propcast.totals.baseline`) against the game's true mean."""
    rows = season_totals(worlds)
    last = rows["season"].max()
    model = fit_totals_model(rows[rows["season"] < last].reset_index(drop=True))
    scored = rows[(rows["season"] == last) & rows["went_over"].notna()].reset_index(drop=True)
    predicted = model.predict(scored)
    prob = predicted["prob_over"].to_numpy(dtype=float)
    y = scored["went_over"].to_numpy(dtype=float)
    truth = scored["true_p_over"].to_numpy(dtype=float)
    market = scored["market_prob_over"].to_numpy(dtype=float)
    result = logloss_result(y, prob, market, truth, ece)
    true_mean = scored["true_mean"].to_numpy(dtype=float)
    close_mean = baseline(model.league, scored, model.config)
    expected = log_loss(truth, prob)  # each outcome replaced by the truth's probability
    diagnostics = {
        "truth_ece": round(ece(y, truth), 4),
        "model_expected_over_market": round(expected / log_loss(truth, market), 4),
        "model_expected_over_truth": round(expected / log_loss(truth, truth), 4),
        "model_mean_error_sd": round(float(np.std(predicted["predicted_total"] - true_mean)), 3),
        "close_mean_error_sd": round(float(np.std(close_mean - true_mean)), 3),
    }
    return f"game_total_{league.lower()}", result, diagnostics


def learnt_close(world: Path, learnt_world: Path) -> dict[str, float]:
    """Where the totals close lands with the books' learnable errors taken out exactly:
    `learnt_world` is `world`'s season generated again with LEARNT_ERRORS (the same games,
    truth and market draws, bench/market_strength.py's module doc), read as market_strength.py
    reads its learnt close, on the events both worlds close: over the close and over the truth,
    on the realised outcomes and in expected log loss (`expected`: each outcome replaced by the
    truth's probability, free of the outcomes' noise, which on ~1,200 games is ~0.01)."""
    full, learnt = total_closing_lines(world), total_closing_lines(learnt_world)
    both = set(full["event_id"]) & set(learnt["event_id"])
    variants = {name: close_over_truth(frame[frame["event_id"].isin(both)])
                for name, frame in (("full", full), (LEARNED_OFF, learnt))}  # fmt: skip
    return {**learnt_close_ratios(variants, MARKET), "n": len(both)}
