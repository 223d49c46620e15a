"""Times: stored as naive UTC; slates dated in US/Eastern."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

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


def slate_time_to_utc(day: date, clock: time) -> datetime:
    """A wall-clock time on a slate date in US/Eastern → naive UTC."""
    return datetime.combine(day, clock, SLATE_TZ).astimezone(UTC).replace(tzinfo=None)


def compact(moment: datetime) -> str:
    """File-name form of a naive-UTC time: YYYYMMDDTHHMMSSZ."""
    return moment.strftime("%Y%m%dT%H%M%SZ")


def parse_compact(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ")
