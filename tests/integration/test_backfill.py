"""`propcast backfill` through the real CLI (incident 9: reruns and backfills never duplicate).

The session world (2026-12-20..2027-01-12, all loaded and built) is copied and three of its
dates are unloaded as if never fetched: their inbox files deleted, their payloads' rows removed
from every raw table, their registry rows and inbox signatures dropped, and their
fct_prop_odds slices deleted. The backfill of 2027-01-05..2027-01-09 must plan exactly the files
on disk, stop at its caps with the command that resumes, complete on that command, restore the
raw rows and the marts, and add nothing when run again.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from datetime import date
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.pipeline import table_rows
from propcast.raw_schema import TABLES
from propcast.runs import read_runs
from propcast.settings import Home
from propcast.warehouse import connect

runner = CliRunner()
UNLOADED = (date(2027, 1, 6), date(2027, 1, 7), date(2027, 1, 8))
START, END = "2027-01-05", "2027-01-09"
#: Every raw table that keys its rows by the payload they came from (the registry included).
RAW_TABLES = tuple(t for t, columns in TABLES.items() if "payload_sha256" in columns)


def _game_date(path: str | Path) -> str:
    return Path(path).name.split("__")[0]


def _feed_files(home: Home, days: list[str]) -> int:
    return sum(1 for p in (home.world / "feeds").rglob("*.*") if _game_date(p) in days)


def _dates(first: str, last: str) -> list[str]:
    return [
        date.fromordinal(d).isoformat()
        for d in range(
            date.fromisoformat(first).toordinal(), date.fromisoformat(last).toordinal() + 1
        )
    ]


def _unload(home: Home, days: tuple[date, ...]) -> None:
    """Remove the dates' payloads as if they had never been fetched."""
    names = {d.isoformat() for d in days}
    con = connect(home)
    try:
        hashes = [
            h
            for h, source in con.execute(
                "select payload_sha256, source_file from raw.raw_odds_payloads"
            ).fetchall()
            if _game_date(source) in names
        ]
        assert hashes
        con.execute("create temp table gone as select unnest($1::varchar[]) as h", [hashes])
        for table in RAW_TABLES:
            con.execute(f"delete from raw.{table} where payload_sha256 in (select h from gone)")
        con.execute("delete from main.fct_prop_odds where game_date in ?", [list(days)])
        con.execute("checkpoint")
    finally:
        con.close()
    for path in list(home.inbox.rglob("*")):
        if path.is_file() and _game_date(path) in names:
            path.unlink()


def _snapshot(home: Home) -> dict[str, object]:
    """What a no-op must leave unchanged: table rows, inbox files, run files, payloads."""
    with connect(home) as con:
        payloads = con.execute(
            "select payload_sha256 from raw.raw_odds_payloads order by 1"
        ).fetchall()
    return {
        "tables": table_rows(home),
        "inbox": sorted(
            (str(p.relative_to(home.inbox)), p.stat().st_mtime_ns)
            for p in home.inbox.rglob("*")
            if p.is_file()
        ),
        "runs": sorted(p.name for p in home.runs.glob("*.json")),
        "payloads": payloads,
    }


def _prop_odds_by_date(home: Home) -> dict[str, int]:
    with connect(home) as con:
        rows = con.execute(
            "select game_date, count(*) from main.fct_prop_odds "
            "where game_date between ? and ? group by 1",
            [date.fromisoformat(START), date.fromisoformat(END)],
        ).fetchall()
    return {d.isoformat(): n for d, n in rows}


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = runner.invoke(app, ["backfill", *args, "--json"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def test_backfill_plans_caps_resumes_and_never_duplicates(world_home: Home, tmp_path: Path) -> None:
    home = world_home
    alert = tmp_path / "alert.txt"
    alerting = {"PROPCAST_ALERT_CMD": f"tee {alert}"}
    original_raw = {t: n for t, n in table_rows(home).items() if t.startswith("raw.raw_")}
    original_odds = _prop_odds_by_date(home)
    _unload(home, UNLOADED)
    gone = [d.isoformat() for d in UNLOADED]
    on_disk = {day: _feed_files(home, [day]) for day in _dates(START, END)}
    assert all(on_disk[d] for d in gone)
    assert set(_prop_odds_by_date(home)) == set(on_disk) - set(gone)

    # The dry run plans exactly the files on disk and changes nothing at all.
    before = _snapshot(home)
    warehouse_sha = hashlib.sha256(home.warehouse.read_bytes()).hexdigest()
    code, plan = _invoke("--start-date", START, "--end-date", END, "--dry-run")
    assert code == 0, plan
    totals = plan["plan"]["totals"]
    assert totals["available"] == sum(on_disk.values())
    assert totals["to_fetch"] == sum(on_disk[d] for d in gone)
    assert totals["loaded"] == sum(n for d, n in on_disk.items() if d not in gone)
    assert totals["in_inbox"] == 0
    assert {d["date"]: d["to_fetch"] for d in plan["plan"]["dates"]} == {
        d: (n if d in gone else 0) for d, n in on_disk.items()
    }
    assert _snapshot(home) == before
    assert hashlib.sha256(home.warehouse.read_bytes()).hexdigest() == warehouse_sha

    # A time cap of 0 s fetches nothing: degraded (alerted), resumes at the first date with work.
    code, report = _invoke(
        "--start-date", START, "--end-date", END, "--max-elapsed-seconds", "0", env=alerting
    )  # fmt: skip
    assert code == 3, report
    assert alert.read_text() == f"DEGRADED {report['message']}\nrecover with: {report['recover']}\n"
    alert.unlink()
    assert report["requests"] == 0 and report["rebuild"] is None
    assert report["recover"].startswith(
        f"propcast backfill --start-date {gone[0]} --end-date {END}"
    )
    assert _snapshot(home)["payloads"] == before["payloads"]

    # A request cap: exactly that many files fetched and loaded, stopped mid-date, one rebuild.
    cap = 4
    code, report = _invoke("--start-date", START, "--end-date", END, "--max-requests", str(cap))
    assert code == 3, report
    assert report["requests"] == cap and report["payloads_loaded"] == cap
    assert len(_snapshot(home)["payloads"]) == len(before["payloads"]) + cap
    assert report["resume_from"] == gone[0]
    resume = report["recover"]
    assert (
        resume == f"propcast backfill --start-date {gone[0]} --end-date {END} --max-requests {cap}"
    )
    assert report["rebuild"]["slice_start"] == gone[0]

    # The resume command, as printed, without its cap: the rest loads, the marts are whole.
    args = shlex.split(resume)[2:-2]
    code, report = _invoke(*args)
    assert code == 0, report
    assert report["requests"] == sum(on_disk[d] for d in gone) - cap
    assert report["rebuild"] == {
        "run_date": "2027-01-12",  # the warehouse's newest slate, not the range's end
        "slice_start": gone[0],
        "nodes": report["rebuild"]["nodes"],
    }
    after = _snapshot(home)
    raw = {t: n for t, n in after["tables"].items() if t.startswith("raw.raw_")}
    assert {t: raw[t] for t in original_raw if t != "raw.raw_run_registry"} == {
        t: n for t, n in original_raw.items() if t != "raw.raw_run_registry"
    }
    assert _prop_odds_by_date(home) == original_odds

    # A third run over the whole range: nothing fetched, nothing loaded, nothing rebuilt.
    code, report = _invoke("--start-date", START, "--end-date", END, env=alerting)
    assert code == 0, report
    assert not alert.exists()  # an ok run alerts nobody
    assert report["requests"] == 0 and report["payloads_loaded"] == 0 and report["rows"] == 0
    assert report["rebuild"] is None
    third = _snapshot(home)
    assert third["tables"] == after["tables"] and third["payloads"] == after["payloads"]

    # A vendor down: degraded and named, the rest still checked; resumes that vendor only.
    code, report = _invoke(
        "--start-date", START, "--end-date", END, env={"FORCE_VENDOR_FAILURE": "CSVFEED"}
    )
    assert code == 3, report
    assert "csvfeed" in report["message"] and report["failed_vendors"] == {
        "csvfeed": "FORCE_VENDOR_FAILURE is set for it"
    }
    assert report["recover"] == (
        f"propcast backfill --start-date {START} --end-date {END} --vendor csvfeed"
    )
    assert _snapshot(home)["tables"] == after["tables"]

    runs = [r for r in read_runs(home) if r.command == "backfill"]
    assert [r.status for r in runs] == ["degraded", "degraded", "ok", "ok", "degraded"]
    assert {r.run_date for r in runs} == {END}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-date", "2027-01-09", "--end-date", "2027-01-05"], "is after --end-date"),
        (["--start-date", "2027-01-05", "--end-date", "2027-01-14"], "after today"),
        (["--start-date", "2027-01-05", "--end-date", "Jan 9"], "not a date"),
        (["--start-date", "2027-01-05", "--end-date", "2027-01-09", "--vendor", "x"], "unknown"),
    ],
)
def test_backfill_usage_errors(home: Home, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["backfill", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not any(home.runs.glob("*.json"))


def test_executor_stops_between_files_on_elapsed_time(home: Home) -> None:
    """The package API without the CLI or dbt: a fresh home, nothing ingested, a clock that
    ticks one second per reading. A file already in the inbox is ingested without a request;
    the time cap stops mid-date with what was fetched loaded; progress is reported per date."""
    from propcast.backfill import IN_INBOX, TO_FETCH, Caps, execute_backfill, plan_backfill
    from propcast.world import generate

    first, last = date(2027, 1, 4), date(2027, 1, 6)
    generate(home.world, seed=3, start=first, days=3, books=2)
    waiting = next((home.world / "feeds" / "league" / "boxscores").glob("2027-01-04__*"))
    (home.inbox / "league" / "boxscores").mkdir(parents=True)
    (home.inbox / "league" / "boxscores" / waiting.name).write_bytes(waiting.read_bytes())

    plan = plan_backfill(home, first, last)
    day1, day2 = plan.dates[0], plan.dates[1]
    assert day1.count(IN_INBOX) == 1 and day1.count(TO_FETCH) == len(day1.files) - 1
    assert day2.count(TO_FETCH) > 3
    ticks = iter(range(10_000))
    seen: list[tuple[int, int]] = []
    # The clock is read once per date with work and once before each request: day 1 reads
    # 1 + n1 ticks, day 2 one for the date, then its fourth request would read tick n1 + 6.
    budget = day1.count(TO_FETCH) + 6
    outcome = execute_backfill(
        home,
        plan,
        caps=Caps(max_elapsed_s=budget),
        progress=lambda done, total: seen.append((done, total)),
        clock=lambda: float(next(ticks)),
    )
    assert seen == [(1, 3)]
    assert outcome.dates[0].completed and not outcome.dates[1].completed
    assert outcome.stopped_at == day2.day and "time cap" in (outcome.stop_reason or "")
    assert outcome.dates[1].fetched == 3
    assert outcome.requests == day1.count(TO_FETCH) + 3
    assert outcome.ingest.payloads_loaded == len(day1.files) + 3
    with connect(home) as con:
        (loaded,) = con.execute("select count(*) from raw.raw_odds_payloads").fetchone()
    assert loaded == outcome.ingest.payloads_loaded
    assert not (home.root / ".partial").exists()
    again = plan_backfill(home, first, last)
    assert [d.count(TO_FETCH) for d in again.dates[:2]] == [0, day2.count(TO_FETCH) - 3]
