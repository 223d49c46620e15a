"""Shared fixtures: a temporary PROPCAST_HOME per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from propcast.settings import Home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    root = tmp_path / "home"
    monkeypatch.setenv("PROPCAST_HOME", str(root))
    return Home(root).ensure()
