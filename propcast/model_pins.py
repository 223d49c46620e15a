"""Which model scores: the newest eligible one, unless a version is pinned.

The pin lives in PROPCAST_HOME/model_pin.json, so it is readable while a run holds the
warehouse; run-day passes it to dbt as the var `model_version`.
"""

from __future__ import annotations

import json

from propcast.settings import Home


def pin_path(home: Home):
    return home.root / "model_pin.json"


def pinned_version(home: Home) -> str | None:
    """The pinned model_version, or None when the newest eligible model scores."""
    path = pin_path(home)
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("model_version") or None
