"""Times: stored as naive UTC; slates dated in US/Eastern."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from propcast.settings import SLATE_TZ


def utc_now() -> datetime:
    """Now as naive UTC, the warehouse's timestamp convention."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


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
    moment = now.replace(tzinfo=UTC) if now is not None else datetime.now(UTC)
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
