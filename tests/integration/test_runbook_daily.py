"""The morning job's runbooks through the real CLI: status n/m, recover, run-day's switches,
the wrong-slate warning and alerts (DESIGN §7 incidents 3, 4, 6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from time import perf_counter

import pytest
from typer.testing import CliRunner

from propcast.phases import PHASES
from propcast.settings import Home
from propcast.warehouse import connect

from .conftest import DemoWorld

runner = CliRunner()


def cli(*args: str):
    from propcast.cli.main import app

    return runner.invoke(app, list(args))


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def scalar(home: Home, sql: str, params: list | None = None):
    with connect(home) as con:
        return con.execute(sql, params or []).fetchone()[0]


def test_a_half_built_slate_shows_n_of_m_and_recover_completes_it(
    demo_world: DemoWorld, demo_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = str(demo_world.slate)
    rows_before = scalar(
        demo_home, "select count(*) from fct_predictions where game_date = ?", [day]
    )
    boosters = scalar(demo_home, "select count(*) from ml_model_registry")
    with connect(demo_home) as con:  # the registered model stops loading: scoring fails
        con.execute("create table saved_registry as select * from ml_model_registry")
        con.execute("update ml_model_registry set booster_over = 'not a model'")
    alert_file = tmp_path / "alert.txt"
    monkeypatch.setenv("PROPCAST_ALERT_CMD", f"tee {alert_file}")

    failed = cli("run-day", "--date", day, "--json")
    assert failed.exit_code == 1, failed.output
    assert f"recover with: propcast recover --date {day}" in failed.output
    alert = alert_file.read_text()
    assert alert.startswith("FAILED run-day") and f"propcast recover --date {day}" in alert

    status = cli("status", "--date", day, "--json")
    assert status.exit_code == 1, status.output
    ledger = last_json(status.output)
    assert ledger["first_incomplete"] == "predictions"
    predictions = ledger["phases"]["predictions"]
    assert predictions["selected"] > 0 and predictions["built"] < predictions["selected"]
    assert any(m.startswith("fct_predictions ") for m in predictions["missing"])
    for phase in PHASES[:-1]:
        done = ledger["phases"][phase]
        assert done["complete"] and done["built"] == done["selected"] > 0, (phase, done)
    assert f"{predictions['built']}/{predictions['selected']}" in status.output

    assert [r["status"] for r in ledger["runs"]][-1] == "failed"  # the run history
    earlier = str(demo_world.slate - timedelta(days=3))
    with connect(demo_home) as con:  # the model is fixed; an earlier date's row is marked
        con.execute("delete from ml_model_registry")
        con.execute("insert into ml_model_registry select * from saved_registry")
        con.execute("drop table saved_registry")
        con.execute(
            "update fct_predictions set prob_over = 0.123456 where game_date = ? and player_id ="
            " (select min(player_id) from fct_predictions where game_date = ?)",
            [earlier, earlier],
        )
    alert_file.unlink()
    recovered = cli("recover", "--date", day)
    assert recovered.exit_code in (0, 3), recovered.output
    assert "rerunning from phase predictions (its first incomplete phase)" in recovered.output
    assert not alert_file.exists() or recovered.exit_code == 3
    marked = "select count(*) from fct_predictions where game_date = ? and prob_over = 0.123456"
    assert scalar(demo_home, marked, [earlier]) > 0  # that date only: D-3 was not rebuilt

    after = last_json(cli("status", "--date", day, "--json").output)
    assert after["first_incomplete"] is None
    assert all(after["phases"][p]["complete"] for p in PHASES)
    assert after["model_version"]
    assert [(r["command"], r["status"]) for r in after["runs"]][-2:] == [
        ("run-day", "failed"), ("recover", after["runs"][-1]["status"]),
    ]  # fmt: skip
    assert after["runs"][-1]["status"] in ("ok", "degraded")
    assert scalar(demo_home, "select count(*) from ml_model_registry") == boosters
    rows_after = scalar(
        demo_home, "select count(*) from fct_predictions where game_date = ?", [day]
    )
    assert rows_after == rows_before > 0
    assert cli("recover", "--date", day).exit_code == 0  # complete: nothing to do


def test_run_day_switches_skip_what_they_name_and_a_missing_slate_is_named(
    demo_world: DemoWorld, demo_home: Home
) -> None:
    """One morning with every switch off, on the suite's today: the world has no odds for it,
    only for the day before (the scheduler-processed-old-dates incident)."""
    today = demo_world.slate + timedelta(days=1)
    odds_payloads = (
        "select count(*) from raw.raw_odds_payloads where vendor in ('oddsapi', 'csvfeed', "
        "'decimalfeed')"
    )
    payloads = scalar(demo_home, odds_payloads)
    done = cli(
        "run-day", "--no-run-odds-ingestion", "--no-run-ev", "--no-run-diagnostics", "--json"
    )  # fmt: skip
    assert done.exit_code == 3, done.output
    assert f"run-day for slate {today} (today in US/Eastern)" in done.output
    assert "skipping odds ingestion, EV pricing, diagnostics (as asked)" in done.output
    assert f"no odds for slate {today} by the cutoff; the odds found are for: " in done.output
    assert str(demo_world.slate) in done.output.split("the odds found are for:")[1]
    assert scalar(demo_home, odds_payloads) == payloads  # the league's results still load
    results = json.loads((demo_home.dbt_target / "run_results.json").read_text())["results"]
    built = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    assert "fct_predictions" in built and "fct_prop_odds" in built
    assert "fct_bet_recommendations" not in built
    assert not any(name.endswith("_daily") or name == "fct_run_registry" for name in built)
    reports = last_json(done.output)["reports"]
    assert [Path(r).name for r in reports] == [f"daily_run_{today}.md"]
    status = cli("status", "--json")
    assert last_json(status.output)["run_date"] == str(today)


def test_recover_names_a_bad_phase_and_a_date_without_runs(demo_home: Home) -> None:
    bad = cli("recover", "--date", "2027-01-12", "--from-phase", "pricing")
    assert bad.exit_code == 2 and "not a phase" in bad.output
    none = cli("recover", "--date", "2026-01-01")
    assert none.exit_code == 1
    assert "recover with: propcast run-day --date 2026-01-01" in none.output
    nothing = cli("status", "--date", "2026-01-01")
    assert nothing.exit_code == 1 and "no run recorded for slate 2026-01-01" in nothing.output


def test_validate_golden_holds_on_the_demo_and_names_a_broken_invariant(
    demo_world: DemoWorld, demo_home: Home
) -> None:
    held = cli("validate-golden", "--existing", "--json")
    assert held.exit_code == 0, held.output
    checks = {c["name"]: c for c in last_json(held.output)["checks"]}
    assert checks["grain fct_predictions"]["passed"]
    assert checks["grain fct_bet_recommendations"]["passed"]
    freshness = [c for name, c in checks.items() if name.startswith("freshness at")]
    assert freshness and freshness[0]["passed"] and checks["recommendations"]["passed"]
    assert checks[f"predictions vary on {demo_world.slate}"]["passed"]

    with connect(demo_home) as con:  # a rerun that doubled a prediction (DESIGN §7.9)
        con.execute("insert into fct_predictions select * from fct_predictions limit 1")
    broken = cli("validate-golden", "--existing", "--json")
    assert broken.exit_code == 1
    failing = [c["name"] for c in last_json(broken.output)["checks"] if not c["passed"]]
    assert failing == ["grain fct_predictions"], failing
    assert "1 duplicated (game_id, player_id, subject_id, market, line) keys" in broken.output


def test_odds_ingestion_off_fetches_no_odds_and_still_fetches_results(
    demo_world: DemoWorld, demo_home: Home
) -> None:
    from propcast.daily import fetch_for_day
    from propcast.timeutil import default_cutoff

    day = demo_world.slate
    odds_files = list(demo_home.inbox.glob(f"*/prop_odds/{day}__*"))
    league_files = list(demo_home.inbox.glob("league/*/*"))
    assert odds_files and league_files
    for path in odds_files + league_files:
        path.unlink()
    cutoff = default_cutoff(day)
    vendors = fetch_for_day(demo_home, day, cutoff, say=lambda _line: None, odds=False)
    assert vendors == {"league": "ok"}
    assert not list(demo_home.inbox.glob(f"*/prop_odds/{day}__*"))
    assert list(demo_home.inbox.glob("league/*/*"))
    vendors = fetch_for_day(demo_home, day, cutoff, say=lambda _line: None)
    assert set(vendors) == {"league", "oddsapi", "csvfeed", "decimalfeed"}
    assert len(list(demo_home.inbox.glob(f"*/prop_odds/{day}__*"))) == len(odds_files)


HOLD_THE_WAREHOUSE = """
import sys
from pathlib import Path
from propcast.locking import writer_lock
from propcast.settings import Home
from propcast.warehouse import connect
home = Home(Path(sys.argv[1]))
with writer_lock(home, sys.argv[2]), connect(home) as con:  # DuckDB's own file lock too
    con.execute("select count(*) from main.fct_predictions").fetchone()
    print("held", flush=True)
    sys.stdin.read()
"""


def test_status_answers_while_another_process_holds_the_warehouse(
    demo_world: DemoWorld, demo_home: Home
) -> None:
    """Another process holds the writer lock and DuckDB's write lock on the file: `propcast
    status`, a process of its own, still answers for the slate, within seconds."""
    day = str(demo_world.slate)
    exe = Path(sys.executable).with_name("propcast")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WAREHOUSE, str(demo_home.root), f"run-day {day}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = perf_counter()
        status = subprocess.run(
            [str(exe), "status", "--date", day, "--json"],
            capture_output=True, text=True, env=os.environ.copy(), timeout=120, check=False,
        )  # fmt: skip
        seconds = perf_counter() - started
    finally:
        holder.communicate("", timeout=60)
    assert status.returncode in (0, 3), status.stdout + status.stderr
    body = last_json(status.stdout)
    assert body["run_date"] == day and body["first_incomplete"] is None
    assert body["model_version"] and all(p["complete"] for p in body["phases"].values())
    print(f"status while the warehouse is held: {seconds:.2f}s")
    assert seconds < 30


@pytest.mark.slow
def test_validate_golden_runs_a_fresh_demo_season_beside_the_live_home(home: Home) -> None:
    """The default path: a new demo season in PROPCAST_HOME/golden, every invariant holding,
    and nothing written to the live warehouse."""
    held = cli("validate-golden", "--days", "12", "--json")
    assert held.exit_code == 0, held.output
    body = last_json(held.output)
    assert body["checks"] and all(c["passed"] for c in body["checks"]), body["checks"]
    names = {c["name"] for c in body["checks"]}
    assert {
        "grain fct_predictions",
        "recommendations",
        f"predictions vary on {body['slate']}",
    } <= names
    assert (home.root / "golden" / "warehouse.duckdb").exists()
    assert not home.warehouse.exists()
