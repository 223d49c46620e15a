"""Print libfaketime's FAKETIME offset that moves the wall clock to a US/Eastern time of day.

`make test-clock` runs the suite under libfaketime (Debian's faketime package) at a night and
an afternoon instant: `FAKETIME=$(env -u LD_PRELOAD python -m tests.tools.faketime_offset 01:50)`
(computed on the real clock, even when the caller's clock is already faked). The offset is
relative ("+N" seconds), so the faked clock still runs, every process agrees on it, and files
keep the real clock's mtimes. The target is that time today in US/Eastern, or yesterday's when
today's lies ahead: the offset is negative then, never a jump into the future.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")


def offset_seconds(clock: time, now: datetime) -> int:
    """Seconds to add to `now` (aware) to reach `clock` in US/Eastern, at most a day back."""
    local = now.astimezone(EASTERN)
    target = datetime.combine(local.date(), clock, EASTERN)
    if target > local:
        target = datetime.combine(local.date() - timedelta(days=1), clock, EASTERN)
    return round((target - now).total_seconds())


def faked_clock_reads(clock: time, now: datetime) -> bool:
    """Whether `now` (this process's clock) reads `clock` in US/Eastern, within two minutes."""
    local = now.astimezone(EASTERN)
    minutes = local.hour * 60 + local.minute - (clock.hour * 60 + clock.minute)
    return min(minutes % 1440, -minutes % 1440) <= 2


def main(argv: list[str]) -> int:
    check = argv[:1] == ["--check"]
    args = argv[1:] if check else argv
    if len(args) != 1:
        print(
            "usage: python -m tests.tools.faketime_offset [--check] HH:MM   (US/Eastern)",
            file=sys.stderr,
        )
        return 2
    clock, now = time.fromisoformat(args[0]), datetime.now(UTC)
    if check:  # run under LD_PRELOAD: proves the clock really is faked before the suite runs
        local = now.astimezone(EASTERN)
        if not faked_clock_reads(clock, now):
            print(f"the wall clock reads {local:%H:%M} US/Eastern, not {args[0]}: is "
                  "libfaketime preloaded?", file=sys.stderr)  # fmt: skip
            return 1
        print(f"wall clock faked to {local:%Y-%m-%d %H:%M %Z}")
        return 0
    print(f"{offset_seconds(clock, now):+d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
