"""propcast.alerts: PROPCAST_ALERT_CMD runs with the summary on stdin; an alert that cannot be
sent is reported (never with the command line, which may hold a token) and never raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from propcast import alerts
from propcast.alerts import ALERT_ENV, send_alert

SUMMARY = (
    "FAILED run-day 2027-01-12: scoring failed\nrecover with: propcast recover --date 2027-01-12\n"
)


def test_no_command_configured_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALERT_ENV, raising=False)
    assert send_alert(SUMMARY) is None
    monkeypatch.setenv(ALERT_ENV, "   ")
    assert send_alert(SUMMARY) is None


def test_the_summary_arrives_on_stdin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sink = tmp_path / "alert file.txt"  # a quoted argument survives the command's parsing
    monkeypatch.setenv(ALERT_ENV, f"tee '{sink}'")
    assert send_alert(SUMMARY) == alerts.AlertResult(True)
    assert sink.read_text() == SUMMARY


def test_a_failing_command_is_reported_with_its_last_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALERT_ENV, "sh -c 'echo first; echo webhook refused >&2; exit 4'")
    result = send_alert(SUMMARY)
    assert result is not None and not result.sent
    assert result.problem == f"{ALERT_ENV} exited 4: webhook refused"


def test_a_missing_command_is_reported_without_echoing_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ALERT_ENV, "pc-no-such-notifier --token s3cr3t-token")
    result = send_alert(SUMMARY)
    assert result is not None and not result.sent
    assert result.problem.startswith(f"{ALERT_ENV} could not run: ")
    assert "s3cr3t-token" not in result.problem


def test_a_hung_command_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alerts, "ALERT_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setenv(ALERT_ENV, "sleep 5")
    result = send_alert(SUMMARY)
    assert result is not None and not result.sent
    assert result.problem == f"{ALERT_ENV} timed out after 0.3s"
