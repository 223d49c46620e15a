"""Alerts: PROPCAST_ALERT_CMD runs after every failed or degraded run, the summary on stdin.

Any command a team already uses to page itself fits (`mail -s propcast oncall@...`, a webhook
script, `logger -t propcast`). An alert that cannot be sent is reported but never changes the
run's own verdict: the run's exit code stays the truth.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass

ALERT_ENV = "PROPCAST_ALERT_CMD"
ALERT_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class AlertResult:
    sent: bool
    problem: str | None = None


def send_alert(summary: str) -> AlertResult | None:
    """Run the alert command with the summary on stdin (None when no command is configured)."""
    command = os.environ.get(ALERT_ENV, "").strip()
    if not command:
        return None
    try:
        done = subprocess.run(
            shlex.split(command),
            input=summary,
            text=True,
            capture_output=True,
            timeout=ALERT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return AlertResult(False, f"{ALERT_ENV} timed out after {ALERT_TIMEOUT_SECONDS}s")
    except (OSError, ValueError) as exc:
        # Not the command line itself: it may carry a token (a webhook URL, a header).
        return AlertResult(False, f"{ALERT_ENV} could not run: {exc}")
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return AlertResult(False, f"{ALERT_ENV} exited {done.returncode}: {detail[0]}")
    return AlertResult(True)
