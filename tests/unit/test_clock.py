"""The product's one clock: PROPCAST_NOW pins every "now" (dates, cutoffs, ids, dbt's var)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from typer.testing import CliRunner

from propcast.dbt_runner import Dbt
from propcast.runs import RunRecorder
from propcast.settings import Home, SettingsError
from propcast.timeutil import (
    default_cutoff,
    latest_priced_slate,
    parse_now,
    pinned_now,
    today_in_slate_tz,
    utc_now,
)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-12-06T08:00:00-05:00", datetime(2026, 12, 6, 13, 0)),
        ("2026-12-06T13:00:00Z", datetime(2026, 12, 6, 13, 0)),
        ("2026-12-06 08:00", datetime(2026, 12, 6, 13, 0)),  # no offset: US/Eastern (EST)
        ("2026-07-06 08:00", datetime(2026, 7, 6, 12, 0)),  # ... and EDT in summer
        ("2026-12-06T08:00:00.75-05:00", datetime(2026, 12, 6, 13, 0)),
    ],
)
def test_parse_now_takes_iso_times_and_reads_naive_ones_as_eastern(
    text: str, utc: datetime
) -> None:
    assert parse_now(text) == utc


@pytest.mark.parametrize("text", ["tomorrow", "2026-13-01T00:00", "08:00", "1733486400"])
def test_a_malformed_clock_is_refused_with_the_setting_named(text: str) -> None:
    with pytest.raises(SettingsError, match=r"PROPCAST_NOW.*ISO-8601"):
        parse_now(text)


def test_the_pinned_clock_drives_every_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # 01:50 US/Eastern on Dec 6: still "yesterday's" priced slate, today is the 6th.
    monkeypatch.setenv("PROPCAST_NOW", "2026-12-06T01:50:00-05:00")
    assert utc_now() == pinned_now() == datetime(2026, 12, 6, 6, 50)
    assert today_in_slate_tz() == date(2026, 12, 6)
    assert latest_priced_slate() == date(2026, 12, 5)
    assert default_cutoff(date(2026, 12, 6)) == datetime(2026, 12, 6, 6, 50)  # now, for today
    assert default_cutoff(date(2026, 12, 5)) == datetime(2026, 12, 5, 19, 0)  # 14:00 ET
    monkeypatch.setenv("PROPCAST_NOW", "2026-12-06T14:01:00-05:00")
    assert latest_priced_slate() == date(2026, 12, 6)


def test_utc_midnight_is_not_the_slates_midnight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROPCAST_NOW", "2026-12-07T03:00:00Z")  # 22:00 on the 6th in New York
    assert today_in_slate_tz() == date(2026, 12, 6)


def test_dbt_gets_the_clock_per_invocation_not_at_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROPCAST_NOW", "2026-12-06T08:00:00-05:00")
    assert Dbt._clock_vars() == {"now_utc": "2026-12-06 13:00:00"}
    monkeypatch.delenv("PROPCAST_NOW")
    assert Dbt._clock_vars() == {}


def test_run_ids_and_timestamps_follow_the_clock(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROPCAST_NOW", "2026-03-08T01:50:00-05:00")
    recorder = RunRecorder(home, "run-day", date(2026, 3, 8), None)
    recorder.finish("ok", "done")
    state = json.loads(recorder.path.read_text())
    assert state["run_id"].startswith("20260308-065000-")
    assert state["started_at"] == state["finished_at"] == "2026-03-08 06:50:00"


def test_the_cli_takes_now_and_refuses_a_bad_one(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    from propcast.cli.main import app

    bad = CliRunner().invoke(app, ["--now", "soon", "status"])
    assert bad.exit_code == 2 and "--now" in bad.output
    monkeypatch.setenv("PROPCAST_NOW", "soon")
    bad_env = CliRunner().invoke(app, ["status"])
    assert bad_env.exit_code == 1 and "PROPCAST_NOW='soon'" in bad_env.output
    monkeypatch.delenv("PROPCAST_NOW")
    run = CliRunner().invoke(app, ["--now", "2026-03-08T01:50-05:00", "build", "--date", "x"])
    assert "now is 2026-03-08 06:50:00 UTC" in run.output


def test_the_faketime_offset_moves_the_wall_clock_back_to_that_eastern_time() -> None:
    from datetime import UTC, time

    from tests.tools.faketime_offset import faked_clock_reads, offset_seconds

    now = datetime(2026, 12, 6, 5, 40, tzinfo=UTC)  # 00:40 EST
    night = offset_seconds(time(1, 50), now)  # today's 01:50 lies ahead: yesterday's
    assert night == -(22 * 3600 + 50 * 60)
    assert faked_clock_reads(time(1, 50), datetime.fromtimestamp(now.timestamp() + night, UTC))
    afternoon = offset_seconds(time(15, 0), datetime(2026, 12, 6, 21, 0, tzinfo=UTC))  # 16:00
    assert afternoon == -3600
    assert not faked_clock_reads(time(15, 0), now)
