"""Times: stored as naive UTC; slates dated in US/Eastern.

`utc_now()` is the product's one clock. Every "now" — a run's default slate date and cutoff,
the demo world's end, load and run timestamps, run ids, and (through the dbt var `now_utc`)
freshness and the Python models — comes from it, so setting PROPCAST_NOW replays a morning
exactly and tests never read the wall clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from propcast.settings import SLATE_TZ, SettingsError

NOW_ENV = "PROPCAST_NOW"


def parse_now(text: str, given_as: str = NOW_ENV) -> datetime:
    """A PROPCAST_NOW value → naive UTC. ISO-8601 with an offset or Z is that instant; without
    one it is a wall-clock time in the slate time zone (US/Eastern), as `--cutoff HH:MM` is."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SettingsError(
            f"{given_as}={text!r} is not a time: give ISO-8601 such as 2026-12-06T08:00-05:00 "
            "(without an offset it is read as US/Eastern), or unset it to use the wall clock"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SLATE_TZ)
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def pinned_now() -> datetime | None:
    """The instant PROPCAST_NOW pins the clock to (naive UTC), or None for the wall clock."""
    text = os.environ.get(NOW_ENV, "").strip()
    return parse_now(text) if text else None


def utc_now() -> datetime:
    """Now as naive UTC, the warehouse's timestamp convention: PROPCAST_NOW when set (a frozen
    instant: a replayed morning gives the same dates, cutoffs and verdicts), else the wall
    clock."""
    return pinned_now() or datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Pin the product clock (naive UTC) for a block, e.g. to judge freshness as a past run's
    cutoff saw it; the previous setting comes back afterwards."""
    before = os.environ.get(NOW_ENV)
    os.environ[NOW_ENV] = f"{moment:%Y-%m-%dT%H:%M:%S}+00:00"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(NOW_ENV, None)
        else:
            os.environ[NOW_ENV] = before


def parse_utc(value: object) -> datetime | None:
    """ISO-8601 text (with Z or an offset) → naive UTC; None when missing or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def slate_date(utc_times: pd.Series) -> pd.Series:
    """The US/Eastern calendar date of naive-UTC timestamps (a game's slate date)."""
    stamps = pd.to_datetime(utc_times).dt.tz_localize("UTC").dt.tz_convert(SLATE_TZ)
    return stamps.dt.date


def today_in_slate_tz(now: datetime | None = None) -> date:
    """The slate date (US/Eastern) at `now` (naive UTC; default the product clock)."""
    moment = (now if now is not None else utc_now()).replace(tzinfo=UTC)
    return moment.astimezone(SLATE_TZ).date()


# The clock time (US/Eastern) at which a past slate is priced when no cutoff is given: after the
# midday snapshot, before any evening game starts.
PRICING_CLOCK = time(14, 0)


def default_cutoff(day: date, now: datetime | None = None) -> datetime:
    """Now for today's slate; the pricing clock for any other date (naive UTC)."""
    now = now or utc_now()
    return now if day >= today_in_slate_tz(now) else slate_time_to_utc(day, PRICING_CLOCK)


def latest_priced_slate(now: datetime | None = None) -> date:
    """The latest slate whose pricing clock has passed: today after 14:00 ET, else yesterday."""
    now = now or utc_now()
    today = today_in_slate_tz(now)
    return today if now >= slate_time_to_utc(today, PRICING_CLOCK) else today - timedelta(days=1)


def slate_time_to_utc(day: date, clock: time) -> datetime:
    """A wall-clock time on a slate date in US/Eastern → naive UTC."""
    return datetime.combine(day, clock, SLATE_TZ).astimezone(UTC).replace(tzinfo=None)


def compact(moment: datetime) -> str:
    """File-name form of a naive-UTC time: YYYYMMDDTHHMMSSZ."""
    return moment.strftime("%Y%m%dT%H%M%SZ")


def parse_compact(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ")


def parse_utc_series(values: pd.Series) -> pd.Series:
    """Column-wise `parse_utc`: ISO-8601 text → naive UTC timestamps (NaT when malformed)."""
    parsed = pd.to_datetime(values.replace("", None), utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_localize(None)
