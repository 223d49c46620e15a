"""Fetch what each vendor had published by a cutoff: here, from the demo world's feed folders.

A real deployment replaces the source folder with vendor clients; everything after the inbox is
the same. `FORCE_VENDOR_FAILURE=ODDSAPI[,LEAGUE,...]` makes a vendor's fetch fail, to rehearse
outages.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from propcast.settings import Home
from propcast.timeutil import parse_compact


class VendorUnavailable(RuntimeError):
    def __init__(self, vendor: str, reason: str) -> None:
        super().__init__(f"vendor {vendor} unavailable: {reason}")
        self.vendor = vendor


@dataclass
class FetchReport:
    copied: int = 0
    already_there: int = 0
    failed_vendors: dict[str, str] = field(default_factory=dict)


def forced_failures() -> set[str]:
    raw = os.environ.get("FORCE_VENDOR_FAILURE", "")
    return {v.strip().lower() for v in raw.split(",") if v.strip()}


def published_at(path: Path) -> tuple[date, datetime]:
    """`<game_date>__<fetched_at>.<ext>` → (game_date, fetched_at)."""
    day, stamp = path.stem.split("__")
    return date.fromisoformat(day), parse_compact(stamp)


def fetch_from_feeds(
    home: Home,
    feeds_dir: Path,
    *,
    cutoff: datetime,
    game_dates: set[date] | None = None,
    vendors: set[str] | None = None,
) -> FetchReport:
    """Copy feed files published at or before `cutoff` (naive UTC) into the inbox."""
    report = FetchReport()
    forced = forced_failures()
    for vendor_dir in sorted(p for p in feeds_dir.iterdir() if p.is_dir()):
        vendor = vendor_dir.name
        if vendors is not None and vendor not in vendors:
            continue
        if vendor in forced:
            report.failed_vendors[vendor] = "FORCE_VENDOR_FAILURE is set for it"
            continue
        for path in sorted(vendor_dir.rglob("*.*")):
            day, stamp = published_at(path)
            if stamp > cutoff or (game_dates is not None and day not in game_dates):
                continue
            target = home.inbox / path.relative_to(feeds_dir)
            if target.exists():
                report.already_there += 1
                continue
            copy_into_inbox(home, path, target)
            report.copied += 1
    return report


def copy_into_inbox(home: Home, source: Path, target: Path) -> Path:
    """Copy a vendor file into the inbox atomically: written beside the inbox, then renamed, so
    a process killed mid-copy never leaves half a file where ingest (and the next fetch, which
    skips files already there) would take it for the whole one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = home.root / ".partial"
    scratch.mkdir(exist_ok=True)
    partial = scratch / f"{os.getpid()}-{target.name}"
    shutil.copyfile(source, partial)
    partial.replace(target)
    return target
