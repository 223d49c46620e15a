"""Vendor outages (issue 12, item 5): each vendor forced down, and every odds vendor at once,
through the real `propcast run-day` on a copy of the demo home whose slate files were withheld
(as if not yet fetched: out of the inbox, their rows out of the raw tables; what the demo
derived from them stays for the outage's run to replace), then the same run with the vendor
back.

What the product documents (README "The CLI"; DESIGN §7 incident 8) and this module holds it to:
- one vendor down (an odds vendor, or the league feed): the run completes with the others and
  exits 3 (DEGRADED) naming the vendor; the run state and `propcast status` record every
  vendor's state; nothing of the vendor's withheld files is loaded;
- every odds vendor down: the slate cannot be priced. The run still completes (results,
  phases, reports), exits 3 and says the slate was built but NOT priced, for want of odds; the
  slate report says why there are no bets, and `propcast verify` accepts the empty slate for
  that reason;
- the vendor back: the next run fetches and loads what was withheld (exit 0) and every raw and
  mart table converges on the warehouse that never saw the outage, by content checksum:
  nothing lost, nothing doubled.

Each case costs two run-days: `make reliability` runs the five, `make test` the one with every
odds vendor down (one vendor down is also in tests/integration/test_predictions.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from propcast.settings import Home
from propcast.warehouse import connect, copy_warehouse
from tests.integration.conftest import DemoWorld
from tests.reliability.tally import full_matrix, record
from tests.tools.compare_warehouses import differs_beyond_float_noise, table_checksums

PROPCAST = Path(sys.executable).with_name("propcast")
ODDS = ("oddsapi", "csvfeed", "decimalfeed")
#: Case -> the vendors forced down.
CASES = {
    "oddsapi": ("oddsapi",),
    "csvfeed": ("csvfeed",),
    "decimalfeed": ("decimalfeed",),
    "league": ("league",),
    "every-odds-vendor": ODDS,
}
SAMPLE = "every-odds-vendor"
#: Left out of the convergence check: each run adds its row to the run registry (and to the
#: phase status built from it); inbox signatures hold the files' new mtimes.
RUN_TABLES = {"raw_run_registry", "fct_run_registry", "fct_phase_status_daily", "raw_inbox_files"}
#: The raw tables a vendor's files load into.
TABLES = {
    "oddsapi": ("raw_oddsapi__prop_odds",),
    "csvfeed": ("raw_csvfeed__prop_odds",),
    "decimalfeed": ("raw_decimalfeed__prop_odds",),
    "league": ("raw_availability", "raw_boxscores", "raw_schedule"),
}


@dataclass
class OutageLab:
    """A pristine copy of the demo home, and one stage path where each case runs (dbt's target/
    is kept there between cases: its partial-parse cache is valid for that path only)."""

    pristine: Path
    stage: Home
    slate: date
    baseline: dict[str, tuple[int, int]]

    def reset(self) -> Home:
        root = self.stage.root
        if root.exists():
            for entry in root.iterdir():
                if entry.name not in ("target", "logs"):
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        root.mkdir(parents=True, exist_ok=True)
        for entry in self.pristine.iterdir():
            (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, root / entry.name)
        return self.stage


def checksums(home: Home) -> dict[str, tuple[int, int]]:
    return table_checksums(str(home.warehouse), RUN_TABLES)


@pytest.fixture(scope="module")
def lab(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> OutageLab:
    base = tmp_path_factory.mktemp("outages")
    pristine = base / "pristine"
    pristine.mkdir()
    source = demo_world.home
    copy_warehouse(source, pristine / "warehouse.duckdb")
    for entry in source.root.iterdir():
        if entry.is_dir() and entry.name not in ("target", "logs"):
            shutil.copytree(entry, pristine / entry.name)
        elif entry.is_file() and entry.suffix == ".json":
            shutil.copy2(entry, pristine / entry.name)
    baseline = checksums(Home(pristine))
    return OutageLab(pristine, Home(base / "stage" / "home"), demo_world.slate, baseline)


def withheld_files(home: Home, vendors: tuple[str, ...], slate: date) -> list[str]:
    """What each vendor publishes for the morning of the slate: its odds, or for the league
    the results (schedule and boxscores) of the day before."""
    day = {v: slate - timedelta(days=1) if v == "league" else slate for v in vendors}
    return sorted(
        str(path.relative_to(home.inbox))
        for vendor in vendors
        for path in (home.inbox / vendor).rglob(f"{day[vendor]}__*")
    )


def withhold(lab: OutageLab, home: Home, vendors: tuple[str, ...]) -> dict[str, int]:
    """Take the vendors' files of the slate's morning back out, as if never fetched: out of the
    inbox, their payloads and rows out of the raw layer. What the demo derived from them stays
    in the models: the outage's run must replace it (a date it rebuilds empty is emptied,
    macros/incremental/replace_game_dates.sql). Returns the rows withheld per raw table."""
    files = withheld_files(home, vendors, lab.slate)
    assert files, f"nothing published for {vendors} on {lab.slate}"
    withheld: dict[str, int] = {}
    with connect(home) as con:
        payloads = con.execute(
            "select payload_sha256 from raw.raw_odds_payloads where source_file in "
            "(select unnest($files))",
            {"files": files},
        ).fetchall()
        assert len(payloads) == len(files)
        hashes = [sha for (sha,) in payloads]
        for table in (t for v in vendors for t in TABLES[v]):
            where = "payload_sha256 in (select unnest($hashes))"
            (rows,) = con.execute(
                f"select count(*) from raw.{table} where {where}", {"hashes": hashes}
            ).fetchone()
            withheld[table] = rows
            con.execute(f"delete from raw.{table} where {where}", {"hashes": hashes})
        for table in ("raw_quarantine", "raw_odds_payloads", "raw_inbox_files"):
            con.execute(
                f"delete from raw.{table} where source_file in (select unnest($files))",
                {"files": files},
            )
    for file in files:
        (home.inbox / file).unlink()
    return withheld


def propcast(home: Home, *args: str, down: tuple[str, ...] = ()) -> tuple[int, str, dict]:
    """`propcast <args> --json` in a subprocess, `down` forced down: exit code, output and the
    JSON verdict (its last line)."""
    env = {k: v for k, v in os.environ.items() if k != "FORCE_VENDOR_FAILURE"}
    env.update(PROPCAST_HOME=str(home.root), PROPCAST_RETRAIN_EVERY_DAYS="0", COLUMNS="200")
    if down:
        env["FORCE_VENDOR_FAILURE"] = ",".join(v.upper() for v in down)
    done = subprocess.run(
        [str(PROPCAST), *args, "--json"], env=env, capture_output=True, text=True, timeout=900
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    return done.returncode, output, json.loads(done.stdout.strip().splitlines()[-1])


def query(home: Home, sql: str, params: list) -> list[tuple]:
    with connect(home) as con:
        return con.execute(sql, params).fetchall()


def check_outage(lab: OutageLab, home: Home, down: tuple[str, ...], withheld: dict) -> str:
    """The run with `down` forced down: degraded, naming them, their files not loaded, every
    vendor's state recorded in the run state and shown by `propcast status`."""
    slate = str(lab.slate)
    code, output, verdict = propcast(home, "run-day", "--date", slate, down=down)
    assert code == 3 and "DEGRADED" in output, output
    states = verdict["vendors"]
    assert set(states) == {*ODDS, "league"}, states
    for vendor, state in states.items():
        assert state.startswith("failed: FORCE_VENDOR_FAILURE") == (vendor in down), (vendor, state)
    assert f"vendors down: {', '.join(sorted(down))}" in verdict["message"]
    for table, rows in withheld.items():
        (loaded,) = query(home, f"select count(*) from raw.{table}", [])[0]
        assert loaded == lab.baseline[f"raw.{table}"][0] - rows, table
    run_id = verdict["run_id"]
    state = json.loads((home.runs / f"{run_id}.json").read_text())
    assert (state["status"], state["vendors"]) == ("degraded", states)
    code, output, status = propcast(home, "status", "--date", slate)
    assert code == 3, output  # the slate's latest run is degraded
    [run] = [r for r in status["runs"] if r["run_id"] == run_id]
    assert (run["status"], run["vendors"]) == ("degraded", states)
    return verdict["message"]


def check_unpriced(home: Home, slate: date, message: str) -> None:
    """Every odds vendor down: the slate is built but not priced, and says why."""
    assert "NOT priced: it has no odds" in message and f"no odds for slate {slate}" in message
    [(predictions,)] = query(
        home, "select count(*) from main.fct_predictions where game_date = ?", [slate]
    )
    assert predictions == 0
    report = home.root / "outputs" / "monitoring" / f"daily_report_{slate}.md"
    assert "no odds were received for this slate by the cutoff" in report.read_text()
    code, output, _ = propcast(home, "verify", "--date", str(slate))
    assert code == 0 and "no odds" in output, output


def check_one_vendor_missing(home: Home, slate: date, vendor: str) -> None:
    """One odds vendor down: the slate is priced from the others' quotes alone."""
    quotes = dict(
        query(
            home,
            "select vendor, count(*) from main.fct_prop_odds where game_date = ? group by all",
            [slate],
        )
    )
    assert vendor not in quotes and set(quotes) == set(ODDS) - {vendor}, quotes
    [(predictions,)] = query(
        home, "select count(*) from main.fct_predictions where game_date = ?", [slate]
    )
    assert predictions > 0


@pytest.mark.parametrize("case", [c for c in CASES if full_matrix() or c == SAMPLE])
def test_a_vendor_outage_degrades_the_run_and_its_return_converges(
    case: str, lab: OutageLab
) -> None:
    down = CASES[case]
    home = lab.reset()
    withheld = withhold(lab, home, down)
    try:
        message = check_outage(lab, home, down, withheld)
        if down == ODDS:
            check_unpriced(home, lab.slate, message)
        elif down[0] in ODDS:
            check_one_vendor_missing(home, lab.slate, down[0])
        code, output, verdict = propcast(home, "run-day", "--date", str(lab.slate))
        assert code == 0 and set(verdict["vendors"].values()) == {"ok"}, output
        after = checksums(home)
        pristine = str(lab.pristine / "warehouse.duckdb")
        differs = {
            t
            for t in lab.baseline.keys() | after.keys()
            if lab.baseline.get(t) != after.get(t)
            and (
                None in (lab.baseline.get(t), after.get(t))
                or differs_beyond_float_noise(pristine, str(home.warehouse), t)
            )
        }
        assert not differs, differs
    except BaseException:
        record("outages", 0)
        raise
    record("outages", 1)
