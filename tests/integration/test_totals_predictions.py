"""The game-totals family end to end (issue 9, docs/imports.md): generated NBA and NHL seasons
→ `propcast import totals` (a copy of the imported world, tests/support/imported_world.py) →
`propcast train --date D` (ml_model_registry gains a game_total model per league) → the
walk-forward scoring build of the demo (vars score_start/score_end) → totals rows in
fct_predictions; a rerun of both adds nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.dbt_runner import Dbt
from propcast.settings import Home
from propcast.timeutil import default_cutoff
from propcast.training import dbt_vars
from tests.support.imported_world import VENDORS_DOWN, ImportedWorld, copy_imported_home

runner = CliRunner()
START = date(2022, 10, 22)
TRAIN_DATE = START + timedelta(days=45)  # trains on outcomes through the day before
SCORE_END = START + timedelta(days=59)


def cli(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stdout
    return json.loads(result.stdout.strip().splitlines()[-1])


def score(home: Home) -> None:
    """The demo's walk-forward build: score and price TRAIN_DATE..SCORE_END in one build."""
    run_vars = dbt_vars(
        SCORE_END, default_cutoff(SCORE_END),
        score_start=TRAIN_DATE.isoformat(), score_end=SCORE_END.isoformat(),
    )  # fmt: skip
    result = Dbt(home).invoke(
        ["build", "--exclude", "tag:train", "--select", "tag:phase_predictions+"],
        run_vars=run_vars,
    )
    problems = [f"{n.status} {n.unique_id}: {n.message}" for n in result.failed]
    assert result.success and not problems, problems or result.error


def rows(home: Home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home.warehouse)) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def home(imported_world: ImportedWorld, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A copy of the imported world (its NBA and NHL totals imported and built), trained for
    TRAIN_DATE and scored through SCORE_END."""
    home = copy_imported_home(
        imported_world, tmp_path_factory.mktemp("totals_predictions") / "home"
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("PROPCAST_HOME", str(home.root))
    mp.setenv("FORCE_VENDOR_FAILURE", VENDORS_DOWN)
    cli("train", "--date", TRAIN_DATE.isoformat())
    score(home)
    yield home
    mp.undo()


PREDICTIONS = (
    "select game_date, game_id, subject_id, player_id, line, prob_over, prob_push, "
    "predicted_mean, train_end, model_version from main.fct_predictions "
    "where market = 'game_total' and league = 'NHL' order by all"
)


def test_training_registers_a_totals_model(home: Home) -> None:
    got = rows(home, "select model_family, market_family, train_end, booster_mean is not null "
                     "from main.ml_model_registry order by market_family")  # fmt: skip
    assert got == [
        ("game_total", f"game_total_{league}", TRAIN_DATE - timedelta(days=1), True)
        for league in ("nba", "nhl")
    ]


def test_totals_are_scored_after_train_end_with_pushes(home: Home) -> None:
    got = rows(home, PREDICTIONS)
    assert len(got) > 50
    assert all(r[0] >= TRAIN_DATE and r[8] < r[0] for r in got)
    assert all(r[2] == r[1] and r[3] is None for r in got)
    assert all(0 < r[5] < 1 for r in got)
    assert all(3.0 < r[7] < 9.0 for r in got)  # a forecast of an NHL total
    whole = [r for r in got if r[4] == int(r[4])]
    half = [r for r in got if r[4] != int(r[4])]
    assert whole and half
    assert all(r[6] > 0 for r in whole) and all(r[6] == 0 for r in half)
    nba = rows(home, "select count(*), min(predicted_mean) from main.fct_predictions "
                     "where market = 'game_total' and league = 'NBA'")  # fmt: skip
    assert nba[0][0] > 50 and nba[0][1] > 150  # NBA's own model prices NBA games
    # imported closes have no bettable price: scored and priced, never a bet
    priced = rows(home, "select market, reason_code, bool_or(is_recommended), count(*) "
                        "from main.fct_bet_recommendations group by all")  # fmt: skip
    assert [r[:3] for r in priced] == [("game_total", "no_bettable_price", False)], priced


def test_a_rerun_adds_nothing(home: Home) -> None:
    before = rows(home, PREDICTIONS)
    registry = rows(home, "select model_version from main.ml_model_registry")
    cli("train", "--date", TRAIN_DATE.isoformat())
    score(home)
    assert rows(home, "select model_version from main.ml_model_registry") == registry
    assert rows(home, PREDICTIONS) == before
