"""The prediction layer end to end on a small world: features → train → walk-forward scoring →
recommendations → "why no bets", with real DuckDB and real dbt.

One 45-day world per module (fixed dates, so the calendar cannot change the test: it spans
Thanksgiving, a night without games). Days 1-30 train one model; days 31-45 are scored in ONE
dbt invocation at the pricing clock. One scored slate's odds are withheld from the inbox so it
has games but no odds.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from time import perf_counter

import numpy as np
import pandas as pd
import pytest

from propcast.daily import TRAIN_SELECTION
from propcast.dbt_runner import Dbt, DbtResult
from propcast.fetch import fetch_from_feeds
from propcast.ingest import ingest
from propcast.metadata import column_gaps, run_dbt_bouncer
from propcast.settings import Home
from propcast.warehouse import connect, copy_warehouse
from propcast.world import generate

START = date(2026, 10, 20)
DAYS = 45
TRAIN_END = START + timedelta(days=29)  # day 30
SCORE_START = TRAIN_END + timedelta(days=1)  # day 31
SCORE_END = START + timedelta(days=DAYS - 1)  # day 45
NO_ODDS_DAY = START + timedelta(days=39)  # day 40 (Nov 28): its odds never reach the inbox
THANKSGIVING = date(2026, 11, 26)  # the world schedules no games
EVERYTHING = datetime(2100, 1, 1)
#: 30 dates cannot hold the default 14 validation + 14 calibration dates and a training window.
TRAIN_OVERRIDES = {"validation_days": 7, "calibration_days": 7}


def train_vars(**extra: object) -> dict[str, object]:
    return {
        "run_date": SCORE_START.isoformat(),
        "train_end": TRAIN_END.isoformat(),
        "train_overrides": TRAIN_OVERRIDES,
        **extra,
    }


def score_vars(**extra: object) -> dict[str, object]:
    return {
        "run_date": SCORE_END.isoformat(),
        "score_start": SCORE_START.isoformat(),
        "score_end": SCORE_END.isoformat(),
        **extra,
    }


SCORE = ["build", "--select", "tag:phase_predictions", "--exclude", "tag:train"]
TRAIN = ["run", *TRAIN_SELECTION]


def frame(home: Home, sql: str) -> pd.DataFrame:
    with connect(home) as con:
        return con.execute(sql).df()


def checked(result: DbtResult) -> DbtResult:
    problems = [f"{n.unique_id}: {n.status}: {n.message}" for n in result.failed]
    assert result.success, problems or result.error
    return result


@dataclass
class ScoredWorld:
    home: Home
    dbt: Dbt
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> ScoredWorld:
    home = Home(tmp_path_factory.mktemp("predictions") / "home").ensure()
    seconds: dict[str, float] = {}
    started = perf_counter()
    generate(home.world, seed=11, start=START, days=DAYS, books=5)
    fetch_from_feeds(home, home.world / "feeds", cutoff=EVERYTHING)
    withheld = list(home.inbox.glob(f"*/prop_odds/{NO_ODDS_DAY.isoformat()}__*"))
    assert withheld, "the world has no odds files for the no-odds day"
    for path in withheld:
        path.unlink()
    ingest(home)
    seconds["world"] = perf_counter() - started

    dbt = Dbt(home)
    started = perf_counter()
    checked(
        dbt.invoke(
            ["build", "--exclude", "tag:train", "tag:phase_predictions"],
            run_vars={"run_date": SCORE_END.isoformat()},
        )
    )
    seconds["build"] = perf_counter() - started
    started = perf_counter()
    trained = checked(dbt.invoke(TRAIN, run_vars=train_vars()))
    # Training refreshes fct_outcome_correlations too, even on a warehouse never scored (no
    # fct_line_settlements yet: the prop lines alone).
    assert "model.propcast.fct_outcome_correlations" in {n.unique_id for n in trained.nodes}
    seconds["train"] = perf_counter() - started
    started = perf_counter()
    checked(dbt.invoke(SCORE, run_vars=score_vars()))
    seconds["score"] = perf_counter() - started
    print(
        f"\nprediction-layer timings (s): {json.dumps({k: round(v, 1) for k, v in seconds.items()})}"
    )
    return ScoredWorld(home, dbt, seconds)


PROP_MODELS = "select * from ml_model_registry where model_family = 'player_prop'"


def predictions(home: Home) -> pd.DataFrame:
    return frame(
        home,
        "select game_date, game_id, player_id, market, line, prob_over, predicted_mean, "
        "model_version, train_end from fct_predictions "
        # The prop predictor's rows (the world's game totals are scored by their own family).
        "where market != 'game_total' order by game_id, player_id, market, line",
    )


def dates(values: pd.Series) -> set[date]:
    return set(pd.to_datetime(values).dt.date)


def test_scores_every_date_of_the_window_with_one_model(scored: ScoredWorld) -> None:
    preds = predictions(scored.home)
    registry = frame(
        scored.home,
        "select model_version, train_end from ml_model_registry where model_family = 'player_prop'",
    )
    assert len(registry) == 1 and dates(registry["train_end"]) == {TRAIN_END}
    with_lines = frame(
        scored.home,
        "select distinct game_date from fct_prop_line_features "
        f"where game_date between '{SCORE_START}' and '{SCORE_END}'",
    )["game_date"]
    assert dates(preds["game_date"]) == dates(with_lines)
    assert len(dates(with_lines)) >= 10
    assert set(preds["model_version"]) == set(registry["model_version"])
    # DATE columns stay DATE (not the TIMESTAMP a pandas datetime64 would become).
    types = dict(
        frame(scored.home, "describe fct_predictions")[["column_name", "column_type"]].values
    )
    assert types["game_date"] == "DATE" and types["train_end"] == "DATE"


def test_train_end_is_before_every_game_date(scored: ScoredWorld) -> None:
    preds = predictions(scored.home)
    game_days = pd.to_datetime(preds["game_date"]).dt.date
    train_ends = pd.to_datetime(preds["train_end"]).dt.date
    assert (train_ends < game_days).all()
    assert game_days.min() == SCORE_START


def test_predictions_are_probabilities_that_pass_the_guard(scored: ScoredWorld) -> None:
    preds = predictions(scored.home)
    assert preds["prob_over"].between(0, 1, inclusive="neither").all()
    per_day = preds.groupby("game_date")["prob_over"].std(ddof=0)
    assert (per_day >= 0.005).all(), per_day.to_dict()  # the fallback guard's floor


def test_predictions_vary_on_held_out_dates(scored: ScoredWorld) -> None:
    preds = predictions(scored.home)
    assert preds["prob_over"].std(ddof=0) >= 0.02


def held_out_log_loss(home: Home) -> dict[str, float]:
    """Log loss over every settled scored line (model, market, 0.5) from the monitoring mart."""
    acc = frame(home, "select * from fct_forecast_accuracy_daily")
    n = acc["n_lines"].sum()
    out = {"n_lines": float(n), "dates": float(len(acc))}
    for who in ("model", "market", "constant_0_5"):
        out[who] = float((acc[f"log_loss_{who}"] * acc["n_lines"]).sum() / n)
    return out


def test_forecast_accuracy_is_reported_for_model_market_and_half(scored: ScoredWorld) -> None:
    numbers = held_out_log_loss(scored.home)
    print(
        f"\nheld-out log loss, days 31-45: {json.dumps({k: round(v, 5) for k, v in numbers.items()})}"
    )
    assert numbers["n_lines"] > 1000 and numbers["dates"] >= 10
    assert math.isclose(numbers["constant_0_5"], math.log(2))
    assert all(math.isfinite(numbers[k]) for k in ("model", "market"))


def test_model_beats_a_constant_half_on_held_out_dates(scored: ScoredWorld) -> None:
    """The model must beat a coin flip; against the market it is reported, not asserted."""
    numbers = held_out_log_loss(scored.home)
    assert numbers["model"] < numbers["constant_0_5"], numbers


@pytest.fixture(scope="module")
def rerun(scored: ScoredWorld) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, int, int]]:
    """Shuffle the ground truth, then train and score again exactly as before."""
    truth = scored.home.world / "truth" / "prop_truth.csv"
    original = truth.read_bytes()
    table = pd.read_csv(truth)
    shuffled = table.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled["true_p_over"] = np.random.default_rng(3).permutation(
        shuffled["true_p_over"].to_numpy()
    )
    shuffled.to_csv(truth, index=False)
    try:
        before = predictions(scored.home)
        models_before = len(frame(scored.home, PROP_MODELS))
        checked(scored.dbt.invoke(TRAIN, run_vars=train_vars()))
        checked(scored.dbt.invoke(SCORE, run_vars=score_vars()))
        after = predictions(scored.home)
        models_after = len(frame(scored.home, PROP_MODELS))
        yield before, after, models_before, models_after
    finally:
        truth.write_bytes(original)


def test_rerunning_training_and_scoring_adds_no_rows(
    rerun: tuple[pd.DataFrame, pd.DataFrame, int, int],
) -> None:
    before, after, models_before, models_after = rerun
    assert models_after == models_before == 1  # same data, same version: not registered twice
    assert len(after) == len(before) > 0
    keys = ["game_id", "player_id", "market", "line"]
    assert not after.duplicated(keys).any()


def test_shuffled_ground_truth_changes_no_prediction(
    rerun: tuple[pd.DataFrame, pd.DataFrame, int, int],
) -> None:
    before, after, _, _ = rerun
    pd.testing.assert_frame_equal(before, after)


def test_slate_summary_says_why_there_are_no_bets(scored: ScoredWorld) -> None:
    summary = frame(scored.home, "select * from fct_slate_summary_daily order by game_date")
    by_day = summary.set_index(pd.to_datetime(summary["game_date"]).dt.date)
    assert list(by_day.index) == [SCORE_START + timedelta(days=i) for i in range(DAYS - 30)]
    assert by_day.loc[THANKSGIVING, "no_bet_reason"] == "no_games"
    no_odds = by_day.loc[NO_ODDS_DAY]
    assert no_odds["games_scheduled"] > 0 and no_odds["lines_offered"] == 0
    assert no_odds["no_bet_reason"] == "no_odds"
    scored_days = by_day[by_day["lines_scored"] > 0]
    with_bets = scored_days["bets_recommended"] > 0
    assert scored_days.loc[with_bets, "no_bet_reason"].isna().all()
    assert (scored_days.loc[~with_bets, "no_bet_reason"] == "no_value").all()


def test_recommendations_respect_the_caps(scored: ScoredWorld) -> None:
    recs = frame(scored.home, "select * from fct_bet_recommendations")
    scored_lines = frame(scored.home, "select count(*) as n from fct_predictions")["n"].iloc[0]
    assert len(recs) == scored_lines  # one row per prediction, props and game totals alike
    assert (recs["market"] == "game_total").sum() > 0
    chosen = recs[recs["is_recommended"]]
    assert (chosen["ev"] >= 0.03).all() and (chosen["stake"] > 0).all()
    assert (chosen["stake_fraction"] <= 0.02 + 1e-12).all()
    assert (chosen.groupby("game_id")["stake_fraction"].sum() <= 0.05 + 1e-9).all()
    assert (chosen.groupby("game_date")["stake_fraction"].sum() <= 0.15 + 1e-9).all()
    assert set(recs["reason_code"]) <= {"value", "below_threshold", "no_bettable_price"}


def copy_home(scored: ScoredWorld, target: Path) -> Home:
    """A private copy of the module warehouse (checkpointed first: dbt keeps a connection)."""
    target.mkdir(parents=True)
    copy_warehouse(scored.home, target / "warehouse.duckdb")
    return Home(target).ensure()


def test_fallback_guard_fails_the_build_on_constant_predictions(
    scored: ScoredWorld, tmp_path: Path
) -> None:
    """A model that learnt nothing (no leaf may hold fewer rows than exist, so every tree is a
    single leaf) is trained and registered through the real path, then pinned: the scoring node
    must fail with the guard's message and publish nothing."""
    home = copy_home(scored, tmp_path / "home")
    dbt = Dbt(home)
    before = predictions(home)
    registered = set(frame(home, "select model_version from ml_model_registry")["model_version"])
    degenerate = {**TRAIN_OVERRIDES, "min_data_in_leaf": 1_000_000}
    checked(dbt.invoke(TRAIN, run_vars=train_vars(train_overrides=degenerate)))
    # The new row, found by content (both were registered at the suite's one pinned instant).
    versions = set(frame(home, "select model_version from ml_model_registry")["model_version"])
    (learnt_nothing,) = versions - registered
    result = dbt.invoke(SCORE, run_vars=score_vars(model_version=learnt_nothing))
    assert not result.success
    (failed,) = [n for n in result.failed if n.unique_id == "model.propcast.fct_predictions"]
    assert "fallback guard [constant]" in (failed.message or ""), failed.message
    pd.testing.assert_frame_equal(predictions(home), before)  # nothing published


def test_sql_fallback_guard_catches_a_flat_date(scored: ScoredWorld, tmp_path: Path) -> None:
    """The same guard as a data test: a date whose stored probabilities are all 0.5 (written
    by any path) fails `dbt test` while the market that day is not flat."""
    home = copy_home(scored, tmp_path / "home")
    with connect(home) as con:
        con.execute(f"update fct_predictions set prob_over = 0.5 where game_date = '{SCORE_START}'")
    result = Dbt(home).invoke(
        ["test", "--select", "test_name:predictions_not_fallback"], run_vars=score_vars()
    )
    assert not result.success
    assert [n.status for n in result.nodes] == ["fail"]


RUN_DAY = SCORE_START + timedelta(days=1)  # a scored past slate (run-day refuses future cutoffs)


def table_counts(home: Home) -> dict[str, int]:
    with connect(home) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        ).fetchall()
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}


# make test covers both halves elsewhere: tests/incidents/test_08_vendor_down.py (a vendor down
# degrades, its return loads once) and test_09_duplicated_rows.py (a rerun adds no rows).
@pytest.mark.slow
def test_run_day_rerun_adds_no_rows_and_a_vendor_outage_degrades(
    scored: ScoredWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from propcast.cli.main import app
    from typer.testing import CliRunner

    home = copy_home(scored, tmp_path / "home")
    root = home.root
    for folder in ("world", "inbox"):
        shutil.copytree(scored.home.root / folder, root / folder, dirs_exist_ok=True)
    monkeypatch.setenv("PROPCAST_HOME", str(root))
    runner = CliRunner()

    first = runner.invoke(app, ["run-day", "--date", RUN_DAY.isoformat(), "--cutoff", "14:00"])
    assert first.exit_code in (0, 3), first.output
    assert f"slate {RUN_DAY}" in first.output and "NOT today" in first.output
    after_first = table_counts(home)
    assert after_first["main.fct_predictions"] > 0

    monkeypatch.setenv("FORCE_VENDOR_FAILURE", "ODDSAPI")
    second = runner.invoke(
        app, ["run-day", "--date", RUN_DAY.isoformat(), "--cutoff", "14:00", "--json"]
    )
    assert second.exit_code == 3, second.output
    verdict = json.loads(second.output.strip().splitlines()[-1])
    assert verdict["vendors"]["oddsapi"].startswith("failed")
    assert verdict["vendors"]["csvfeed"] == "ok"
    after_second = table_counts(home)
    # Only the run registry grows (one row per run); every other table is unchanged.
    registry = {"raw.raw_run_registry", "main.fct_run_registry"}
    assert {t: n for t, n in after_second.items() if t not in registry} == {
        t: n for t, n in after_first.items() if t not in registry
    }
    assert after_second["main.fct_run_registry"] == after_first["main.fct_run_registry"] + 1

    reports = sorted((root / "outputs" / "monitoring").glob(f"*_{RUN_DAY}.md"))
    assert [p.name for p in reports] == [f"daily_report_{RUN_DAY}.md", f"daily_run_{RUN_DAY}.md"]
    run_report = reports[1].read_text()
    assert "failed: FORCE_VENDOR_FAILURE" in run_report and "degraded" in run_report
    assert "## Recommended bets" in reports[0].read_text()


# ----------------------------------------------------------------------------- metadata
# The scored world is the suite's one warehouse with every model built (the Python models'
# tables included): its catalog is what the YAML must describe.


def test_every_warehouse_column_is_declared_and_every_declared_column_exists(
    scored: ScoredWorld, tmp_path: Path
) -> None:
    """dbt's catalog against the YAML (propcast.metadata.column_gaps), then dbt-bouncer's
    catalog checks (dbt-project-evaluator's column documentation rules) on the same catalog."""
    home = copy_home(scored, tmp_path / "home")
    result = Dbt(home).invoke(["docs", "generate"], run_vars=score_vars())
    target = home.dbt_target
    assert (target / "catalog.json").exists(), result.error
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    built = set(catalog["nodes"]) | set(catalog["sources"])
    for node in ("model.propcast.fct_predictions", "model.propcast.ml_model_registry"):
        assert node in built  # the Python models' tables are compared too
    gaps = column_gaps(manifest, catalog)
    assert gaps.ok, "\n".join(gaps.lines())

    bouncer = run_dbt_bouncer(target, "catalog_checks")
    assert bouncer.returncode == 0, (bouncer.stdout + bouncer.stderr)[-4000:]


def test_the_column_check_names_an_undeclared_and_a_vanished_column() -> None:
    manifest = {
        "nodes": {
            "model.p.m": {
                "resource_type": "model",
                "columns": {"a": {"description": "A."}, "gone": {"description": "Gone."}},
            }
        },
        "sources": {},
    }
    catalog = {"nodes": {"model.p.m": {"columns": {"A": {}, "new": {}}}}, "sources": {}}
    gaps = column_gaps(manifest, catalog)
    assert gaps.undeclared == {"model.p.m": ["new"]} and gaps.stale == {"model.p.m": ["gone"]}
    assert not gaps.ok


def test_python_models_are_held_to_their_declared_columns_and_types(
    scored: ScoredWorld, tmp_path: Path
) -> None:
    """dbt enforces no contract on Python models: columns_match_declared_types does. A column
    the YAML does not declare, or a type that differs from the declared one, fails it."""
    selection = ["test", "--select", "test_name:columns_match_declared_types"]
    assert checked(scored.dbt.invoke(selection, run_vars=score_vars())).nodes
    home = copy_home(scored, tmp_path / "home")
    with connect(home) as con:
        con.execute("alter table main.fct_predictions add column stray integer")
        con.execute("alter table main.ml_model_registry alter trained_rows type double")
    result = Dbt(home).invoke(selection, run_vars=score_vars())
    assert not result.success
    assert sorted(n.status for n in result.nodes) == ["fail", "fail"]


def test_a_first_build_on_a_slate_without_games_keeps_the_declared_types(
    scored: ScoredWorld, tmp_path: Path
) -> None:
    """fct_predictions created by a slate with nothing to score (a new warehouse whose first
    scored date has no games) is empty but typed as declared: dbt-duckdb hands the Python model
    a wrapper of its cursor, and treating that as another engine turned the empty pyarrow table
    into pandas, whose empty date columns DuckDB types NULL."""
    home = copy_home(scored, tmp_path / "home")
    with connect(home) as con:
        con.execute("drop table main.fct_predictions")
    day = THANKSGIVING.isoformat()
    empty_slate = {"run_date": day, "score_start": day, "score_end": day}
    checked(
        Dbt(home).invoke(
            ["build", "--select", "int_run_parameters", "fct_predictions"], run_vars=empty_slate
        )
    )  # its tests, columns_match_declared_types among them, pass
    with connect(home) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'fct_predictions' and column_name in "
                "('game_date', 'train_end', 'scored_for_run_date', 'scored_at')"
            ).fetchall()
        )
        rows = con.execute("select count(*) from main.fct_predictions").fetchone()[0]
    assert rows == 0
    assert types == {
        "game_date": "DATE", "train_end": "DATE", "scored_for_run_date": "DATE",
        "scored_at": "TIMESTAMP",
    }  # fmt: skip
