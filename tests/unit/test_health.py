"""Runbook-check logic without dbt: import walk, writer-lock holder, pin history and rollback
target on a tiny warehouse, the positive control's prices."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest

from propcast.health import check_imports, writer_holder
from propcast.locking import writer_lock
from propcast.model_pins import (
    PinError,
    pin,
    pinned_version,
    read_history,
    rollback,
    rollback_target,
    unpin,
)
from propcast.positive_control import VALUE_EV, VIG, _injected, american
from propcast.settings import Home
from propcast.timeutil import utc_now
from propcast.warehouse import connect


def test_check_imports_names_each_module_that_fails(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "pc_unit_probe"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ok.py").write_text("X = 1\n")
    (pkg / "missing.py").write_text("import pc_no_such_dependency\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "typo.py").write_text("def f(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    check = check_imports(["pc_unit_probe"])
    assert not check.ok
    assert "pc_unit_probe.missing: ModuleNotFoundError" in check.detail
    assert "pc_unit_probe.sub.typo: SyntaxError" in check.detail
    assert "2 module(s)" in check.detail and "pc_unit_probe.ok" not in check.detail
    assert not check_imports(["pc_unit_no_such_package"]).ok


def test_writer_holder_tells_a_held_lock_from_a_stale_file(home: Home) -> None:
    assert writer_holder(home) is None
    with writer_lock(home, "run-day 2027-01-12"):
        assert "run-day 2027-01-12" in writer_holder(home)
    (home.runs / "writer.holder.json").write_text(json.dumps({"pid": 1, "purpose": "x"}))
    assert writer_holder(home) is None  # left by a killed process: the lock is free


def _tiny_warehouse(home: Home) -> None:
    """A registry of two models (A through 01-02, B through 01-08) and their predictions:
    A scored 01-03..01-09, B 01-10..01-12 (B was deployed on 01-10)."""
    registry = pd.DataFrame(
        {
            "model_version": ["A", "B"],
            "market_family": ["player_points"] * 2,
            "train_end": [date(2027, 1, 2), date(2027, 1, 8)],
            "registered_at": [datetime(2027, 1, 2, 12), datetime(2027, 1, 9, 12)],
        }
    )
    days = pd.date_range("2027-01-03", "2027-01-12").date
    predictions = pd.DataFrame(
        {"game_date": days, "model_version": ["A" if d.day <= 9 else "B" for d in days]}
    )
    with connect(home) as con:
        con.register("r", registry)
        con.register("p", predictions)
        con.execute("create table main.ml_model_registry as select * from r")
        con.execute("create table main.fct_predictions as select * from p")


def test_pin_unpin_rollback_and_their_history(home: Home) -> None:
    _tiny_warehouse(home)
    day = date(2027, 1, 13)
    with pytest.raises(PinError, match="not in ml_model_registry"):
        pin(home, "C")
    assert unpin(home) is None and read_history(home) == []
    # B serves (newest); the version that scored before it is A.
    assert rollback_target(home, day) == ("B", "A")
    event, replaced = rollback(home, day, "bad deploy")
    assert (event.model_version, replaced, pinned_version(home)) == ("A", "B", "A")
    # Pinned A serves now; rolling back again goes to the other version that scored: B.
    assert rollback_target(home, day) == ("A", "B")
    pin(home, "B", "drill")
    unpin(home)
    history = read_history(home)
    assert [(e.action, e.model_version, e.previous, e.why) for e in history] == [
        ("rollback", "A", None, "bad deploy"),
        ("pin", "B", "A", "drill"),
        ("unpin", None, "B", None),
    ]
    assert all(e.at == f"{utc_now():%Y-%m-%dT%H:%M:%S}Z" for e in history)  # the product clock


def test_rollback_without_an_earlier_version_is_an_error(home: Home) -> None:
    _tiny_warehouse(home)
    with connect(home) as con:
        con.execute("delete from main.fct_predictions where model_version = 'A'")
    with pytest.raises(PinError, match="nothing to roll back to"):
        rollback(home, date(2027, 1, 13))
    assert pinned_version(home) is None


def test_control_lines_are_priced_at_plus_five_percent_and_fair_with_vig() -> None:
    base = pd.DataFrame(
        {"player_id": ["P1", "P2"], "prob_over": [0.55, 0.42], "best_over_book_id": ["b"] * 2}
    )
    value, fair = _injected(base).to_dict("records")
    assert value["prob_over"] * value["best_over_price_decimal"] - 1 == pytest.approx(
        VALUE_EV, abs=1e-3
    )
    for row, p in ((value, 0.55), (fair, 0.42)):
        assert (1 - p) * row["best_under_price_decimal"] - 1 == pytest.approx(
            1 / (1 + VIG) - 1, abs=1e-3
        )
    assert fair["prob_over"] * fair["best_over_price_decimal"] - 1 < 0
    assert (american(2.5), american(1.8333)) == (150.0, -120.0)
