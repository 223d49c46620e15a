"""One writer at a time: DuckDB allows a single writing process, so say who holds it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from propcast.settings import Home
from propcast.timeutil import utc_now


class WarehouseBusy(RuntimeError):
    """Another propcast process is writing the warehouse."""


@contextmanager
def writer_lock(home: Home, purpose: str, wait_s: float = 0.0) -> Iterator[None]:
    home.ensure()
    lock = FileLock(str(home.runs / "writer.lock"))
    holder_file = home.runs / "writer.holder.json"
    try:
        lock.acquire(timeout=wait_s)
    except Timeout:
        holder = "unknown"
        if holder_file.exists():
            info = json.loads(holder_file.read_text() or "{}")
            holder = f"pid {info.get('pid')} ({info.get('purpose')}, since {info.get('since')} UTC)"
        raise WarehouseBusy(
            f"the warehouse {home.warehouse} is being written by {holder}. "
            "Wait for it to finish (`propcast status` shows progress), then run this again."
        ) from None
    try:
        holder = {"pid": os.getpid(), "purpose": purpose, "since": str(utc_now()), "argv": sys.argv}
        holder_file.write_text(json.dumps(holder))
        yield
    finally:
        holder_file.unlink(missing_ok=True)
        lock.release()
