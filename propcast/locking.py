"""One writer at a time: DuckDB allows a single writing process, so say who holds it.

Two files under PROPCAST_HOME/runs make the lock:

- `writer.lock`: an OS file lock (flock). The kernel releases it when its process ends, however
  it ends, so on one host a killed writer never leaves it held.
- `writer.holder.json`: who holds it (pid, host, purpose, since, command line), created whole and
  exclusively (a hard link of a finished file: atomic, also on NFS) once the file lock is taken,
  removed before it is released. Other processes read it (`status`, `health`, a second writer),
  and it is the lock between hosts that share a home, where a file lock cannot be trusted.

A holder file naming this host whose process holds no file lock is stale (the process was
killed, or the machine stopped): the next writer removes it and says so. A holder file naming
another host is never removed: that host's process may be alive, and only someone on that host
can tell. A second writer refuses at once, or waits up to `wait_s` seconds (a duration on the
monotonic clock) printing whom it waits for, then runs or refuses naming the holder.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from propcast.settings import Home
from propcast.timeutil import utc_now

LOCK_FILE = "writer.lock"
HOLDER_FILE = "writer.holder.json"
#: How often a waiting writer tries again (seconds).
POLL_S = 0.25
#: Names of environment variables whose values are secrets (never written to the holder file).
SECRET_ENV = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)


class WarehouseBusy(RuntimeError):
    """Another propcast process is writing the warehouse."""


def this_host() -> str:
    return socket.gethostname()


@dataclass(frozen=True)
class Holder:
    """The holder file's record; fields are None when the file did not say."""

    pid: int | None = None
    host: str | None = None
    purpose: str | None = None
    since: str | None = None

    @property
    def here(self) -> bool:
        """Held on this host (a record without a host predates hosts: written here)."""
        return self.host in (None, this_host())

    def describe(self) -> str:
        where = f" on host {self.host}" if self.host else ""
        since = f", since {self.since} UTC" if self.since else ""
        return f"pid {self.pid}{where} ({self.purpose}{since})"


def holder_path(home: Home) -> Path:
    return home.runs / HOLDER_FILE


def read_holder(home: Home) -> Holder | None:
    """The holder file's record, None when there is none (an unreadable one: all fields None)."""
    try:
        info = json.loads(holder_path(home).read_text() or "{}")
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return Holder()
    if not isinstance(info, dict):
        return Holder()
    pid = info.get("pid")
    return Holder(
        pid=pid if isinstance(pid, int) else None,
        host=info.get("host"),
        purpose=info.get("purpose"),
        since=info.get("since"),
    )


def current_holder(home: Home) -> Holder | None:
    """Who writes the warehouse now, or None. A holder on this host holds the file lock (a
    holder file without it is stale); one on another host holds until its file goes."""
    holder = read_holder(home)
    if holder is None or not holder.here:
        return holder
    lock = FileLock(str(home.runs / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return holder
    lock.release()
    return None


def pid_alive(pid: int | None) -> bool:
    """Whether a process of this host has that pid (a zombie counts as gone)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def redacted_argv(argv: list[str]) -> list[str]:
    """The command line with every argument that holds a secret from the environment (the value
    of a variable named like *KEY*, *TOKEN*, *SECRET*, ...) replaced by '***'."""
    secrets = [
        value
        for name, value in os.environ.items()
        if SECRET_ENV.search(name) and len(value.strip()) >= 4
    ]
    return ["***" if any(s in arg for s in secrets) else arg for arg in argv]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def writer_lock(
    home: Home,
    purpose: str,
    wait_s: float = 0.0,
    say: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block; refuse (WarehouseBusy, naming the
    holder) when another process holds it after waiting up to `wait_s` seconds."""
    home.ensure()
    say = say or _stderr
    lock = FileLock(str(home.runs / LOCK_FILE))
    deadline = time.monotonic() + max(wait_s, 0.0)
    announced: Holder | None = None
    while (busy := _try_take(home, lock, purpose, say)) is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WarehouseBusy(busy_message(home, busy, wait_s))
        if busy != announced:
            say(f"waiting up to {wait_s:g}s for the warehouse: held by {busy.describe()}")
            announced = busy
        time.sleep(min(POLL_S, left))
    try:
        yield
    finally:
        close_dbt_duckdb()
        _drop_holder_file(home)
        lock.release()


def _drop_holder_file(home: Home) -> None:
    mine = read_holder(home)
    if mine is not None and mine.pid == os.getpid() and mine.here:
        holder_path(home).unlink(missing_ok=True)


def close_dbt_duckdb() -> None:
    """Close the warehouse that dbt-duckdb keeps open in this process after dbt returns (by
    default until the process ends): once the writer lock is released, the next writer must
    not meet DuckDB's own file lock, held by a process that is only printing its verdict or
    running its alert command."""
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    manager = getattr(connections, "DuckDBConnectionManager", None)
    if manager is None:
        return
    env = getattr(manager, "_ENV", None)
    manager.close_all_connections()
    if env is not None:
        with contextlib.suppress(Exception):
            env.close()


def file_holder(home: Home) -> Holder | None:
    """A process holding DuckDB's own lock on the warehouse file (a program outside propcast,
    a notebook, a writer not yet exited), or None when the file opens."""
    if not home.warehouse.exists():
        return None
    import duckdb

    try:
        duckdb.connect(str(home.warehouse)).close()
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" not in text.lower():
            return None
        held = re.search(r"held in (.+?) \(PID (\d+)\)", text)
        program = held.group(1) if held else text.splitlines()[0]
        return Holder(
            pid=int(held.group(2)) if held else None,
            host=this_host(),
            purpose=f"{program} has the warehouse file open",
        )
    except duckdb.Error:  # e.g. open in this very process with another configuration
        return None
    return None


def busy_message(home: Home, holder: Holder, wait_s: float = 0.0) -> str:
    waited = f" (still, after waiting {wait_s:g}s)" if wait_s > 0 else ""
    if not holder.here:
        return (
            f"the warehouse {home.warehouse} is being written by {holder.describe()}{waited}: "
            f"another host, so this one never takes the lock over. If that process has ended "
            f"without releasing it, check on {holder.host}, then delete {holder_path(home)}."
        )
    return (
        f"the warehouse {home.warehouse} is being written by {holder.describe()}{waited}. "
        "Wait for it to finish (`propcast status` shows progress), then run this again, "
        "or pass --wait SECONDS to wait for it."
    )


def _try_take(home: Home, lock: FileLock, purpose: str, say: Callable[[str], None]):
    """Take the lock (None) or return who holds it."""
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return read_holder(home) or Holder(purpose="starting or finishing")
    try:
        busy = _claim(home, purpose, say)
        if busy is None and (busy := file_holder(home)) is not None:
            _drop_holder_file(home)
    except BaseException:
        lock.release()
        raise
    if busy is not None:
        lock.release()
    return busy


def _claim(home: Home, purpose: str, say: Callable[[str], None]) -> Holder | None:
    """With the file lock held: write the holder file (None), clearing a stale one of this
    host, or return the other host's holder that keeps it."""
    record = {
        "pid": os.getpid(),
        "host": this_host(),
        "purpose": purpose,
        "since": str(utc_now()),
        "argv": redacted_argv(sys.argv),
    }
    path = holder_path(home)
    tmp = path.with_name(f"writer.holder.{this_host()}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record))
    try:
        for _ in range(3):
            if _link_exclusive(tmp, path):
                return None
            existing = read_holder(home)
            if existing is None:
                continue  # removed meanwhile: try again
            if not existing.here:
                return existing
            say(_stale_note(home, existing))
            path.unlink(missing_ok=True)
        return read_holder(home) or Holder()
    finally:
        tmp.unlink(missing_ok=True)


def _link_exclusive(tmp: Path, path: Path) -> bool:
    """Publish `tmp` as `path` unless `path` exists (False)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: exclusive create, then write
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as out:
            out.write(tmp.read_text())
    return True


def _stale_note(home: Home, holder: Holder) -> str:
    why = (
        "runs but does not hold the lock (its pid was reused)"
        if pid_alive(holder.pid)
        else "is gone (killed or crashed)"
    )
    return (
        f"cleared a stale writer lock: {holder.describe()} {why}. If it was a run, "
        "`propcast status` shows where it stopped and `propcast recover` completes it."
    )
