"""The game-totals family end to end (issue 9, docs/imports.md): a generated NHL season →
`propcast import totals` → `propcast train --date D` (ml_model_registry gains a game_total
model) → the walk-forward scoring build of the demo (vars score_start/score_end) → totals rows
in fct_predictions; a rerun of both adds nothing."""

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
from tests.support.history_files import write_history_files

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
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    base = tmp_path_factory.mktemp("totals_predictions")
    mp = pytest.MonkeyPatch()
    mp.setenv("PROPCAST_HOME", str(base / "home"))
    mp.setenv("FORCE_VENDOR_FAILURE", "ODDSAPI,CSVFEED,DECIMALFEED,LEAGUE")
    home = Home(base / "home").ensure()
    (nhl,) = write_history_files(base / "files", "NHL", 5, days=60)
    assert cli("import", "totals", str(nhl))["built"]
    cli("train", "--date", TRAIN_DATE.isoformat())
    score(home)
    yield home
    mp.undo()


PREDICTIONS = (
    "select game_date, game_id, subject_id, player_id, line, prob_over, prob_push, "
    "predicted_mean, train_end, model_version from main.fct_predictions "
    "where market = 'game_total' order by all"
)


def test_training_registers_a_totals_model(home: Home) -> None:
    got = rows(home, "select model_family, market_family, train_end, booster_mean is not null "
                     "from main.ml_model_registry")  # fmt: skip
    assert got == [("game_total", "game_total_nhl", TRAIN_DATE - timedelta(days=1), True)]


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
    assert rows(home, "select count(*) from main.fct_bet_recommendations") == [(0,)]


def test_a_rerun_adds_nothing(home: Home) -> None:
    before = rows(home, PREDICTIONS)
    registry = rows(home, "select model_version from main.ml_model_registry")
    cli("train", "--date", TRAIN_DATE.isoformat())
    score(home)
    assert rows(home, "select model_version from main.ml_model_registry") == registry
    assert rows(home, PREDICTIONS) == before
