"""Runbook checks through the real CLI on the demo world (DESIGN §7, incidents 1, 2, 3, 7, 11):
health [--deep], verify, positive-control, model list|pin|unpin|rollback.

Tests that only read share one module-scoped copy of the demo home; tests that write get
their own `demo_home` copy.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.daily import train
from propcast.locking import writer_lock
from propcast.model_pins import pinned_version, read_history
from propcast.models.calibration import Stacker
from propcast.models.trained import canonical_json, make_model_version, model_content_hash
from propcast.runs import latest_run
from propcast.settings import Home
from propcast.warehouse import connect, copy_warehouse

from .conftest import DemoWorld

runner = CliRunner()


def cli(home: Home, *args: str, **env: str) -> tuple[int, str, dict]:
    """Run `propcast <args> --json` on `home`: exit code, output (whitespace collapsed, so
    rich's line wrapping does not split what is asserted) and the final JSON object."""
    result = runner.invoke(
        app,
        [*args, "--json"],
        env={"PROPCAST_HOME": str(home.root), "PROPCAST_RETRAIN_EVERY_DAYS": "0", **env},
    )
    lines = result.output.strip().splitlines()
    body = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split()), body


def rows(home: Home, sql: str, *params: object) -> list[tuple]:
    with connect(home) as con:
        return con.execute(sql, list(params)).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def checked_home(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """One private copy of the demo home for the tests that do not write the warehouse."""
    root = tmp_path_factory.mktemp("runbook_checks") / "home"
    root.mkdir()
    copy_warehouse(demo_world.home, root / "warehouse.duckdb")
    for folder in ("runs", "outputs"):
        shutil.copytree(demo_world.home.root / folder, root / folder)
    return Home(root).ensure()


# --- health ----------------------------------------------------------------------------------


def test_health_shallow_and_deep_pass_on_the_demo_home(checked_home: Home) -> None:
    code, out, body = cli(checked_home, "health")
    assert code == 0, out
    assert [c["name"] for c in body["checks"]] == [
        "settings", "home_writable", "warehouse", "registry",
    ]  # fmt: skip
    assert body["run_date"] == "2027-01-13"  # the suite's today (US/Eastern)

    code, out, body = cli(checked_home, "health", "--deep")
    assert code == 0, out
    checks = {c["name"]: c for c in body["checks"]}
    assert {"imports", "canary", "latest_predictions"} <= set(checks)
    assert all(c["ok"] for c in checks.values())
    (version,) = rows(checked_home, PROP_MODEL)[0]
    assert version in checks["canary"]["detail"] and "newest" in checks["canary"]["detail"]
    assert "fallback guard passed" in checks["canary"]["detail"]


def test_health_deep_names_the_module_that_does_not_import(
    checked_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pc_health_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "fine.py").write_text("VALUE = 1\n")
    (package / "broken.py").write_text("from propcast.daily import no_such_name\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, body = cli(checked_home, "health", "--deep", "--package", "pc_health_probe")
    assert code == 1, out
    imports = next(c for c in body["checks"] if c["name"] == "imports")
    assert not imports["ok"]
    assert "pc_health_probe.broken: ImportError" in imports["detail"]
    assert "no_such_name" in imports["detail"] and "pc_health_probe.fine" not in imports["detail"]
    assert "pc_health_probe.broken" in body["message"]
    assert "recover with" in out


def test_health_says_locked_by_a_run(checked_home: Home) -> None:
    with writer_lock(checked_home, "run-day 2027-01-12"):
        code, out, body = cli(checked_home, "health")
    assert code == 1, out
    assert "locked by a run" in body["message"] and "run-day 2027-01-12" in body["message"]
    assert "propcast status" in body["recover"]


def test_health_fails_on_a_bad_setting_and_on_a_missing_warehouse(home: Home) -> None:
    code, out, body = cli(home, "health", PROPCAST_RETRAIN_EVERY_DAYS="weekly")
    assert code == 1, out
    assert "settings: PROPCAST_RETRAIN_EVERY_DAYS='weekly'" in body["message"]
    code, out, body = cli(home, "health")
    assert code == 1, out
    assert "warehouse: no warehouse file at" in body["message"]
    code, out, body = cli(home, "model", "list")
    assert code == 1 and "no warehouse at" in body["message"], out
    assert not home.warehouse.exists()  # no check creates an empty warehouse


PROP_MODEL = "select model_version from main.ml_model_registry where model_family = 'player_prop'"


def constant_model_row(home: Home) -> dict:
    """The registered model with its stacker replaced by a constant (expit(0.4) = 0.599 for
    every line), re-fingerprinted so it loads like any registered model, registered later."""
    with connect(home) as con:
        row = (
            con.execute("select * from main.ml_model_registry where model_family = 'player_prop'")
            .df()
            .iloc[0]
            .to_dict()
        )
    stacker = json.loads(row["calibrator"])
    constant = Stacker(
        dispersion=stacker["dispersion"], inputs=(), coef=(), intercept=0.4,
        no_market_inputs=(), no_market_coef=(), no_market_intercept=0.4,
    )  # fmt: skip
    row["calibrator"] = constant.to_json()
    content = model_content_hash(
        canonical_json(json.loads(row["params"])),
        row["booster_over"],
        row["booster_mean"],
        row["calibrator"],
    )
    train_end = pd.Timestamp(row["train_end"]).date()
    row["model_version"] = make_model_version(row["market_family"], train_end, content)
    row["registered_at"] = pd.Timestamp(row["registered_at"]) + timedelta(hours=1)
    return row


def test_health_deep_fails_on_a_constant_model(demo_home: Home) -> None:
    row = constant_model_row(demo_home)
    with connect(demo_home) as con:
        con.register("_constant", pd.DataFrame([row]))
        con.execute("insert into main.ml_model_registry by name select * from _constant")
    code, out, body = cli(demo_home, "health", "--deep")
    assert code == 1, out
    canary = next(c for c in body["checks"] if c["name"] == "canary")
    assert not canary["ok"]
    assert row["model_version"] in canary["detail"] and "FallbackPredictions" in canary["detail"]
    assert "[constant]" in canary["detail"]
    assert "canary" in body["message"] and "propcast model pin" in body["recover"]


def test_health_deep_fails_on_flat_latest_predictions_then_on_an_empty_registry(
    demo_home: Home,
) -> None:
    (latest,) = rows(demo_home, "select max(game_date) from main.fct_predictions")[0]
    with connect(demo_home) as con:  # the latest slate scored flat: the model itself is fine
        con.execute("update main.fct_predictions set prob_over = 0.5 where game_date = ?", [latest])
    code, out, body = cli(demo_home, "health", "--deep")
    assert code == 1, out
    checks = {c["name"]: c for c in body["checks"]}
    assert checks["canary"]["ok"] and not checks["latest_predictions"]["ok"]
    assert "[all_half]" in checks["latest_predictions"]["detail"]
    assert body["message"].startswith(f"health (deep) for {body['run_date']}: failed latest_")
    assert body["recover"] == f"propcast verify --date {latest}"

    with connect(demo_home) as con:
        con.execute("delete from main.ml_model_registry")
    for deep in ([], ["--deep"]):
        code, out, body = cli(demo_home, "health", *deep)
        assert code == 1, out
        assert "registry: ml_model_registry is empty" in body["message"]
        assert body["recover"].startswith("propcast train --date")
        assert "canary" not in {c["name"] for c in body["checks"]}  # nothing to score with


# --- verify ----------------------------------------------------------------------------------


def test_verify_passes_for_the_demo_slate(checked_home: Home, demo_world: DemoWorld) -> None:
    day = demo_world.slate
    code, out, body = cli(checked_home, "verify", "--date", str(day))
    assert code == 0, out
    (version,) = rows(checked_home, PROP_MODEL)[0]
    (totals,) = rows(
        checked_home,
        "select model_version from main.ml_model_registry where model_family = 'game_total'",
    )[0]
    # The props' model and the game totals' (the demo world's vendors quote totals too).
    assert body["model_versions"] == sorted([version, totals])
    # The run records every version that scored (comma-separated).
    assert sorted(body["run_model_version"].split(", ")) == sorted([version, totals])
    (scored_totals,) = rows(
        checked_home,
        "select count(*) from main.fct_predictions where game_date = ? and market = 'game_total'",
        day,
    )[0]
    assert body["lines"] + scored_totals == body["predictions"] > body["lines"] > 0
    assert f"verify {day}" in body["message"]


def test_verify_fails_on_flat_then_missing_predictions(
    demo_home: Home, demo_world: DemoWorld
) -> None:
    day = demo_world.slate
    with connect(demo_home) as con:
        con.execute("update main.fct_predictions set prob_over = 0.5 where game_date = ?", [day])
    code, out, body = cli(demo_home, "verify", "--date", str(day))
    assert code == 1, out
    assert "[all_half]" in body["message"]
    assert body["recover"] == f"propcast recover --date {day} --from-phase predictions"
    assert "recover with: propcast recover" in out

    with connect(demo_home) as con:
        con.execute("delete from main.fct_predictions where game_date = ?", [day])
    code, out, body = cli(demo_home, "verify", "--date", str(day))
    assert code == 1, out
    assert f"no predictions for {day}" in body["message"] and body["predictions"] == 0


# --- positive-control ------------------------------------------------------------------------


def test_positive_control_recommends_value_not_fair_and_leaves_the_live_file(
    checked_home: Home, demo_world: DemoWorld
) -> None:
    live = checked_home.warehouse
    before = (sha256(live), live.stat().st_mtime_ns)
    code, out, body = cli(checked_home, "positive-control", "--date", str(demo_world.slate))
    assert code == 0, out
    value, fair = body["lines"]
    assert value["label"] == "value" and value["is_recommended"] and value["side"] == "over"
    assert value["ev"] == pytest.approx(0.05, abs=0.002) and value["reason_code"] == "value"
    assert fair["label"] == "fair" and not fair["is_recommended"]
    assert fair["ev"] < 0 and fair["reason_code"] == "below_threshold"
    assert "RECOMMENDED [value]" in out and "not recommended [below_threshold]" in out
    # priced with the edge gate off; on the live warehouse the model beats the priced market
    # (the 24-day world: Δ -0.0151 [-0.0250, -0.0053] over 9 days), so the gate would publish
    assert body["gate_would_withhold"] is False and body["gate"]["market_family"] == "player_points"
    assert "on the live warehouse it would publish NBA player_points bets: Δ" in out
    assert (sha256(live), live.stat().st_mtime_ns) == before
    assert not live.with_name(live.name + ".wal").exists()
    injected = rows(
        checked_home,
        "select count(*) from main.fct_predictions where player_id like 'positive-control%'",
    )
    assert injected == [(0,)]


def test_positive_control_fails_without_predictions_for_the_date(checked_home: Home) -> None:
    code, out, body = cli(checked_home, "positive-control", "--date", "2026-12-24")
    assert code == 1, out
    assert "no prediction for 2026-12-24" in body["message"]
    assert body["recover"] == "propcast verify --date 2026-12-24"


# --- model list / pin / unpin / rollback -----------------------------------------------------


def test_model_list_and_refusals_on_a_single_model(checked_home: Home) -> None:
    code, out, body = cli(checked_home, "model", "list", "--date", "2027-01-12")
    assert code == 0, out
    # The props' model (the demo also trains the game totals' own, game_total_nba).
    (model,) = [m for m in body["models"] if not m["model_version"].startswith("game_total")]
    assert model["scores_now"] == "newest trained before 2027-01-12"
    assert model["first_scored"] == "2027-01-03" and model["last_scored"] == "2027-01-12"

    code, out, body = cli(checked_home, "model", "pin", "no-such-version")
    assert code == 1 and "is not in ml_model_registry" in body["message"], out
    code, out, body = cli(checked_home, "model", "rollback")
    assert code == 1 and "nothing to roll back to" in body["message"], out
    assert pinned_version(checked_home) is None and read_history(checked_home) == []


def test_pinned_model_scores_recover_and_verify_follows_the_pin(
    demo_home: Home, demo_world: DemoWorld
) -> None:
    day = demo_world.slate
    (newest,) = rows(demo_home, PROP_MODEL)[0]
    older_end = date(2026, 12, 31)
    trained = train(demo_home, older_end, overrides={"validation_days": 3, "calibration_days": 3})
    assert trained.success, trained.failed
    (older,) = rows(demo_home, PROP_MODEL + " and train_end = ?", older_end)[0]

    code, out, body = cli(demo_home, "model", "list", "--date", str(day))
    assert code == 0, out
    # The props' models (the game totals' family serves beside them).
    serving = {
        m["model_version"]: m["scores_now"]
        for m in body["models"]
        if not m["model_version"].startswith("game_total")
    }
    assert serving == {older: None, newest: f"newest trained before {day}"}

    code, out, body = cli(demo_home, "model", "pin", older, "--reason", "incident drill")
    assert code == 0 and pinned_version(demo_home) == older, out
    code, out, _ = cli(demo_home, "recover", "--date", str(day), "--from-phase", "predictions")
    assert code == 0, out
    scored = rows(
        demo_home,
        "select distinct model_version from main.fct_predictions where game_date = ? "
        "and market != 'game_total'",
        day,
    )
    assert scored == [(older,)]
    assert older in latest_run(demo_home, day).model_version.split(", ")
    code, out, body = cli(demo_home, "verify", "--date", str(day))
    assert code == 0 and body["expected_versions"]["player_points"] == older, out

    code, out, body = cli(demo_home, "model", "unpin")
    assert code == 0 and pinned_version(demo_home) is None, out
    code, out, body = cli(demo_home, "verify", "--date", str(day))
    assert code == 1, out
    assert (
        f"scored by {older}, but {newest} should have (newest trained before {day})"
        in (body["message"])
    )

    # The version serving now is the newest; the one that scored before it is the older one.
    code, out, body = cli(demo_home, "model", "rollback", "--date", str(day))
    assert code == 0 and body["replaced"] == newest, out
    assert pinned_version(demo_home) == older
    history = read_history(demo_home)
    assert [(e.action, e.model_version, e.previous) for e in history] == [
        ("pin", older, None), ("unpin", None, older), ("rollback", older, None),
    ]  # fmt: skip
    assert history[0].why == "incident drill" and all(e.who and e.at for e in history)
