"""The vendors' game totals end to end (issue 10): the demo world publishes a total per book,
game and snapshot in all three vendor formats → ingest keeps them in the prop feeds' raw tables
→ int_vendor_game_total_quotes → int_game_total_quotes (beside any imported line) → the totals
chain (int_game_total_lines, fct_game_total_features) → the totals predictor the demo trained
scores them in fct_predictions. The world's truth (truth/game_total_truth.csv) has a row per
offered line and no dbt model reads it. Read-only on the session demo world (no new build)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from tests.integration.conftest import DemoWorld

ROOT = Path(__file__).resolve().parents[2]


def frame(world: DemoWorld, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(world.home.warehouse), read_only=True) as con:
        return con.execute(sql).df()


def test_every_vendor_feeds_the_totals_chain(demo_world: DemoWorld) -> None:
    quotes = frame(
        demo_world,
        "select quote_source, line_type, count(*) as n, count(distinct game_id) as games "
        "from main.int_game_total_quotes group by all order by all",
    )
    by_source = quotes.groupby("quote_source")["n"].sum()
    assert set(by_source.index) == {"oddsapi", "csvfeed", "decimalfeed"}, quotes
    assert set(quotes["line_type"]) == {"open", "close", "priced"}
    lines = frame(
        demo_world,
        "select count(*) as n, min(line) as lo, max(line) as hi, "
        "count(actual_total) as settled from main.fct_game_total_features",
    ).iloc[0]
    assert lines.n >= 100 and lines.lo >= 170 and lines.hi <= 290, lines
    assert lines.settled > 0


def test_the_totals_predictor_scores_the_vendor_totals(demo_world: DemoWorld) -> None:
    models = frame(
        demo_world,
        "select market_family from main.ml_model_registry where model_family = 'game_total'",
    )
    assert "game_total_nba" in set(models["market_family"])
    scored = frame(
        demo_world,
        "select p.game_id, p.line, p.prob_over, p.predicted_mean, f.market_prob_over "
        "from main.fct_predictions p "
        "join main.fct_game_total_features f on p.game_id = f.game_id and p.line = f.line "
        "where p.market = 'game_total'",
    )
    assert len(scored) >= 20
    assert scored["prob_over"].between(0.0, 1.0, inclusive="neither").all()
    # A model, not a constant: on a 24-day season it trains on ~100 games and shrinks hard
    # toward the market (P(over) sd ~0.004), but its predicted totals move with the games.
    assert scored["prob_over"].nunique() > 10
    assert scored["predicted_mean"].std() > 1.0


def test_the_truth_has_every_offered_line_and_no_model_reads_it(demo_world: DemoWorld) -> None:
    truth = pd.read_csv(
        demo_world.home.world / "truth" / "game_total_truth.csv", dtype={"game_id": str}
    )
    assert not truth.duplicated(["game_id", "line"]).any()
    quoted = frame(demo_world, "select distinct game_id, line from main.int_game_total_quotes")
    missing = quoted.merge(truth, on=["game_id", "line"], how="left", indicator=True)
    assert (missing["_merge"] == "both").all(), missing[missing["_merge"] != "both"].head()
    for folder in ("models", "macros", "python_models", "seeds"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".sql", ".py", ".yml", ".csv", ".md"}:
                text = path.read_text(encoding="utf-8", errors="replace")
                assert "game_total_truth" not in text and "true_p_over" not in text, path
