"""Incident 1: a code change breaks a shared import; the morning job crashes for every league.

A package the morning job loads (passed to health as `--package`, the way a plugin or a team's
own module is) has a module importing a name that no longer exists in propcast. Shown by
`propcast health --deep`: it imports every module, naming the one that fails, the one that
imports it, and the error. Recovered by fixing the module: `health --deep` passes again and
`propcast recover --date D` finds the slate complete (docs/runbooks/01-broken-import.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from propcast.settings import Home
from tests.reliability.tally import record

from .conftest import SLATE, cli

PLUGIN = "pc_incident_plugin"


def test_broken_import_is_named_by_health_deep_and_recovers_once_fixed(
    incident_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / PLUGIN
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "pricing.py").write_text(f"from {PLUGIN}.shared import EDGE\n")
    # The change: a shared helper renamed in propcast, its user not updated.
    shared = package / "shared.py"
    shared.write_text("from propcast.daily import dbt_var_of_the_day\n\nEDGE = 0.03\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # the fix is read from source

    broken = cli("health", "--deep", "--package", PLUGIN)
    assert broken.code == 1, broken
    imports = next(c for c in broken.body["checks"] if c["name"] == "imports")
    assert not imports["ok"]
    # Both the broken module and the one that imports it are named, with the error.
    assert f"{PLUGIN}.shared: ImportError" in imports["detail"], imports
    assert f"{PLUGIN}.pricing: ImportError" in imports["detail"], imports
    assert "dbt_var_of_the_day" in imports["detail"]
    assert f"{PLUGIN}.shared" in broken.body["message"] and "recover with" in broken.out

    shared.write_text("from propcast.daily import dbt_vars  # noqa: F401\n\nEDGE = 0.03\n")
    for name in [m for m in sys.modules if m.startswith(PLUGIN)]:
        monkeypatch.delitem(sys.modules, name)
    fixed = cli("health", "--deep", "--package", PLUGIN)
    assert fixed.code == 0, fixed
    assert all(c["ok"] for c in fixed.body["checks"])
    recovered = cli("recover", "--date", str(SLATE))
    assert recovered.code == 0, recovered
    assert cli("status", "--date", str(SLATE)).code == 0
    record("incidents", 1, 1)
