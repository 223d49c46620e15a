"""One writer (issue 12, item 3; DESIGN §7 incident 12): real processes in pairs.

A first writer holds the warehouse (a helper process that takes `writer_lock` with a writer
command's purpose and holds it until told, or a real `propcast run-day`); the second writer, a
real `propcast` process, refuses at once naming the holder (pid, host, purpose, since; exit 1),
or with `--wait` waits (bounded, naming whom it waits for) and runs once the first releases.
`propcast status` answers meanwhile. A lock left by a `kill -9`ed writer is cleared with a
message; a holder file naming another host is never taken over.

`propcast import totals|props` joins the pair matrix (`second_writers()`, `first_purposes()`): a
second import is refused before it reads its file.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.main import get_command
from typer.testing import CliRunner

from propcast.locking import HOLDER_FILE, pid_alive
from propcast.settings import PROJECT_DIR, Home
from tests.integration.conftest import DemoWorld
from tests.reliability.tally import full_matrix, record

EXE = str(Path(sys.executable).with_name("propcast"))
#: Holds the writer lock with the purpose given, prints "held <pid>", releases on a line or EOF.
HOLDER_SCRIPT = """
import os, sys
from propcast.locking import writer_lock
from propcast.settings import Home
with writer_lock(Home.from_env(), sys.argv[1]):
    print("held", os.getpid(), flush=True)
    sys.stdin.readline()
"""
#: Every command that writes the warehouse (they all take the writer lock and --wait).
WRITER_COMMANDS = {
    "ingest", "build", "train", "demo", "run-day", "backfill", "recover", "report", "export",
    "import",
}  # fmt: skip


def second_writers(slate: date) -> dict[str, list[str]]:
    """Second writers of the pair matrix (arguments of `propcast`)."""
    day = slate.isoformat()
    return {
        "run-day": ["run-day", "--date", day],
        "ingest": ["ingest"],
        "backfill": ["backfill", "--start-date", day, "--end-date", day],
        "import": ["import", "totals", "never-read.csv", "--no-build"],  # the lock comes first
    }


def first_purposes(slate: date) -> dict[str, str]:
    """The purpose each CLI writer records in the holder file."""
    return {
        "run-day": f"run-day {slate}",
        "ingest": "ingest",
        "backfill": f"backfill {slate}",
        "import": "import totals history.csv",
    }


def env_for(home: Home, **extra: str) -> dict[str, str]:
    return {**os.environ, "PROPCAST_HOME": str(home.root), "COLUMNS": "200", **extra}


def propcast(home: Home, *args: str, timeout: float = 120) -> tuple[int, str]:
    done = subprocess.run(
        [EXE, *args], env=env_for(home), capture_output=True, text=True, timeout=timeout
    )
    out = done.stdout + done.stderr
    assert "Traceback" not in out, out
    return done.returncode, " ".join(out.split())


class Holder:
    """A helper process holding the writer lock of `home` with `purpose`."""

    def __init__(self, home: Home, purpose: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER_SCRIPT, purpose],
            env=env_for(home),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        assert line.startswith("held"), f"holder did not take the lock: {line!r}"
        self.pid = int(line.split()[1])

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            assert self.proc.wait(timeout=30) == 0

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)  # reaped: its pid is gone


@pytest.fixture
def holders():
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.proc.poll() is None:
            holder.kill()


def hold(holders: list[Holder], home: Home, purpose: str) -> Holder:
    holder = Holder(home, purpose)
    holders.append(holder)
    return holder


def assert_names_holder(out: str, holder_pid: int, purpose: str) -> None:
    assert f"pid {holder_pid}" in out, out
    assert f"on host {socket.gethostname()}" in out, out
    assert f"({purpose}, since 2027-01-13" in out, out


def in_process(home: Home, *args: str) -> tuple[int, str]:
    """`propcast <args>` in this process (for commands that take no lock: status, usage)."""
    result = CliRunner().invoke(app, list(args), env={"PROPCAST_HOME": str(home.root)})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split())


def assert_status_answers(home: Home, slate: date) -> None:
    """`propcast status` reads run state only: it answers while a writer holds the warehouse
    (run in this process, which holds no lock, so it costs no interpreter start)."""
    code, out = in_process(home, "status", "--date", slate.isoformat())
    assert code in (0, 3), out
    assert "being written" not in out and "locked" not in out, out
    assert f"slate {slate}" in out, out


def test_second_writer_refused_naming_the_holder(
    demo_home: Home, demo_world: DemoWorld, holders
) -> None:
    """Pairs (first, second) over run-day, ingest, backfill: the second exits 1 at once naming
    the holder, the holder's file is untouched, and status answers meanwhile."""
    slate = demo_world.slate
    seconds, purposes = second_writers(slate), first_purposes(slate)
    pairs = [(f, s) for f in purposes for s in seconds]
    if not full_matrix():  # each first and each second writer once
        pairs = [("run-day", "ingest"), ("ingest", "backfill"), ("backfill", "run-day")]
    survived = 0
    for first, second in pairs:
        holder = hold(holders, demo_home, purposes[first])
        holder_file = (demo_home.runs / HOLDER_FILE).read_bytes()
        waits = ["--wait", "1"] if (first, second) == ("ingest", "backfill") else []
        started = time.monotonic()
        code, out = propcast(demo_home, *seconds[second], *waits)
        elapsed = time.monotonic() - started
        assert code == 1, (first, second, out)
        assert elapsed < 30 and (elapsed >= 1 or not waits), elapsed  # bounded
        assert_names_holder(out, holder.pid, purposes[first])
        assert ("after waiting 1s" if waits else "pass --wait SECONDS") in out, out
        assert (demo_home.runs / HOLDER_FILE).read_bytes() == holder_file
        if first == "run-day":
            assert_status_answers(demo_home, slate)
        holder.release()
        assert not (demo_home.runs / HOLDER_FILE).exists()
        survived += 1
    record("locks", survived, len(pairs))


def wait_for_text(path: Path, text: str, proc: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = path.read_text() if path.exists() else ""
        if text in seen:
            return seen
        assert proc.poll() is None, f"exited {proc.returncode} before {text!r}: {seen}"
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not printed within {timeout}s: {path.read_text()}")


def test_second_writer_waits_then_runs(
    demo_home: Home, demo_world: DemoWorld, tmp_path: Path, holders
) -> None:
    """`--wait 120`: the second writer names whom it waits for, is still waiting while the
    first holds, and runs (exit 0) once the first releases."""
    holder = hold(holders, demo_home, f"run-day {demo_world.slate}")
    log = tmp_path / "second.out"
    with log.open("w") as out:
        second = subprocess.Popen(
            [EXE, "ingest", "--wait", "120", "--json"],
            env=env_for(demo_home),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        seen = wait_for_text(log, "waiting up to 120s", second, timeout=60)
        assert_names_holder(" ".join(seen.split()), holder.pid, f"run-day {demo_world.slate}")
        time.sleep(1.0)
        assert second.poll() is None, "the second writer must wait while the first holds"
        holder.release()
        assert second.wait(timeout=120) == 0, log.read_text()
    finally:
        if second.poll() is None:
            second.kill()
    text = log.read_text()
    assert "Traceback" not in text, text
    assert json.loads(text.strip().splitlines()[-1])["verdict"] == "ok"
    assert not (demo_home.runs / HOLDER_FILE).exists()
    record("locks", 1)


@pytest.mark.skipif(not full_matrix(), reason="the sample bounds one pair's wait")
def test_wait_is_bounded_then_refuses(demo_home: Home, demo_world: DemoWorld, holders) -> None:
    """`--wait 2` while the first writer keeps holding: refused after about 2 s, naming it."""
    holder = hold(holders, demo_home, f"backfill {demo_world.slate}")
    started = time.monotonic()
    code, out = propcast(demo_home, "run-day", "--date", str(demo_world.slate), "--wait", "2")
    elapsed = time.monotonic() - started
    assert code == 1, out
    assert 2 <= elapsed < 30, elapsed
    assert "waiting up to 2s" in out and "after waiting 2s" in out, out
    assert_names_holder(out, holder.pid, f"backfill {demo_world.slate}")
    code, out = in_process(demo_home, "ingest", "--wait", "-1")
    assert code == 2, out  # a negative wait is a usage error
    record("locks", 1)


NOTEBOOK = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()
con.close()
"""


def test_a_program_holding_the_file_is_named_and_waited_for(
    demo_home: Home, tmp_path: Path
) -> None:
    """A process outside propcast (a notebook) holds DuckDB's lock on the warehouse file: a
    writer refuses naming it, or with --wait waits for it and runs, never a DuckDB traceback."""
    notebook = subprocess.Popen(
        [sys.executable, "-c", NOTEBOOK, str(demo_home.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    log = tmp_path / "second.out"
    try:
        assert notebook.stdout.readline().startswith("open")
        if full_matrix():
            code, out = propcast(demo_home, "ingest")
            assert code == 1 and f"pid {notebook.pid}" in out, out
            assert "has the warehouse file open" in out, out
        with log.open("w") as out:
            second = subprocess.Popen(
                [EXE, "ingest", "--wait", "120"], env=env_for(demo_home), stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        seen = " ".join(wait_for_text(log, "waiting up to 120s", second, 60).split())
        assert f"pid {notebook.pid}" in seen and "has the warehouse file open" in seen, seen
        notebook.stdin.close()
        assert notebook.wait(timeout=30) == 0
        assert second.wait(timeout=120) == 0, log.read_text()
    finally:
        for proc in (notebook, locals().get("second")):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert "Traceback" not in log.read_text()
    assert not (demo_home.runs / HOLDER_FILE).exists()
    record("locks", 2 if full_matrix() else 1, 2 if full_matrix() else 1)


def test_lock_of_a_killed_writer_is_cleared(
    demo_home: Home, demo_world: DemoWorld, holders
) -> None:
    """kill -9 of the holder leaves its holder file: status answers, health does not call the
    warehouse locked, and the next writer clears it with a message and runs."""
    holder = hold(holders, demo_home, f"run-day {demo_world.slate}")
    holder.kill()
    assert not pid_alive(holder.pid)
    left = json.loads((demo_home.runs / HOLDER_FILE).read_text())
    assert left["pid"] == holder.pid and left["host"] == socket.gethostname()
    assert_status_answers(demo_home, demo_world.slate)
    code, out = propcast(demo_home, "ingest")
    assert code == 0, out
    assert f"cleared a stale writer lock: pid {holder.pid}" in out and "is gone" in out, out
    assert "propcast recover" in out, out
    assert not (demo_home.runs / HOLDER_FILE).exists()
    record("locks", 1)


def test_lock_held_on_another_host_is_never_taken(demo_home: Home, demo_world: DemoWorld) -> None:
    """A holder file naming another host (no local file lock: that host's lock is not visible
    here) stops every writer, with or without --wait; the file stays byte for byte."""
    host = f"elsewhere-{uuid.uuid4().hex[:6]}"
    record_ = {"pid": 4242, "host": host, "purpose": "run-day 2027-01-12", "since": "2027-01-13"}
    path = demo_home.runs / HOLDER_FILE
    path.write_text(json.dumps(record_))
    before = path.read_bytes()
    runs = [["ingest", "--wait", "1"]]
    if full_matrix():
        runs += [["ingest"], ["run-day", "--date", str(demo_world.slate)], ["health"]]
    for args in runs:
        code, out = propcast(demo_home, *args)
        assert code == 1, (args, out)
        assert f"pid 4242 on host {host}" in out, out
        if args[0] != "health":
            assert "another host" in out and "never takes the lock over" in out, out
            assert str(path) in out, out  # says which file to remove once checked on that host
        else:
            assert "locked by a run" in out, out
        assert path.read_bytes() == before
    assert_status_answers(demo_home, demo_world.slate)
    record("locks", len(runs), len(runs))


def test_every_writer_command_takes_wait() -> None:
    """Every registered writer command has --wait, and every `writer_lock` call in cli/
    passes the command's wait (and a printer) through; a group's (`import`) subcommands each."""
    commands = get_command(app).commands
    writers = sorted(set(commands) & WRITER_COMMANDS)
    assert {"ingest", "run-day", "backfill", "recover", "report", "export", "import"} <= set(
        writers
    )
    for name in writers:
        group = getattr(commands[name], "commands", None)
        for leaf in group.values() if group else [commands[name]]:
            options = {o for p in leaf.params for o in getattr(p, "opts", [])}
            assert "--wait" in options, f"propcast {name} {leaf.name} has no --wait"
    calls = 0
    for path in sorted((PROJECT_DIR / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "writer_lock":
                calls += 1
                assert len(node.args) + len(node.keywords) >= 4, (
                    f"{path.name}:{node.lineno}: writer_lock without the --wait value"
                )
    assert calls >= len(writers), "a writer command that takes no writer lock"
    record("locks", 1)


@pytest.mark.skipif(not full_matrix(), reason="a real run-day pair: make reliability")
def test_real_run_day_then_ingest_waits(demo_home: Home, demo_world: DemoWorld, tmp_path) -> None:
    """Both writers real: run-day holds the warehouse; ingest --wait names it and waits; status
    answers meanwhile; ingest runs once run-day releases the lock, while run-day's process is
    still alerting (dbt-duckdb's open warehouse is closed with the lock, not at exit)."""
    slate = str(demo_world.slate)
    first_log, second_log = tmp_path / "first.out", tmp_path / "second.out"
    procs: list[subprocess.Popen] = []

    def start(log: Path, *args: str, **env: str) -> subprocess.Popen:
        with log.open("w") as out:
            procs.append(
                subprocess.Popen(
                    [EXE, *args],
                    env=env_for(demo_home, **env),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        return procs[-1]

    try:
        # Degraded (a vendor down), so it alerts after releasing the lock: for 6 s its process
        # lives on, which must not keep the warehouse file open to the next writer.
        first = start(
            first_log, "run-day", "--date", slate,
            FORCE_VENDOR_FAILURE="CSVFEED", PROPCAST_ALERT_CMD="sleep 6",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        path = demo_home.runs / HOLDER_FILE
        while not (path.exists() and f'"pid": {first.pid}' in path.read_text()):
            assert first.poll() is None and time.monotonic() < deadline, first_log.read_text()
            time.sleep(0.05)
        second = start(second_log, "ingest", "--wait", "300")
        seen = " ".join(wait_for_text(second_log, "waiting up to 300s", second, 60).split())
        assert f"pid {first.pid}" in seen and f"(run-day {slate}, since" in seen, seen
        assert_status_answers(demo_home, demo_world.slate)
        assert second.wait(timeout=300) == 0, second_log.read_text()
        assert first.poll() is None, "the alert outlives the lock, so ingest ran meanwhile"
        assert first.wait(timeout=300) == 3, first_log.read_text()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert "Traceback" not in first_log.read_text() + second_log.read_text()
    record("locks", 1)
