"""The edge gate on the demo home (README "The edge gate").

The session worlds run with the gate off (tests/conftest.py): `status` and the daily report
still state the evidence per family. Switched on (slow: one run-day), the 24-day demo world's
model is not shown better than the de-vigged close, so the slate's bets are withheld, and
run-day's verdict (exit 0), the slate summary, `status` and the report say why in the gate's
words. The gate's arithmetic (interval, opening, shrink weight) is unit-tested in dbt
(_predictions__models.yml), propcast.edge_gate in tests/unit/test_edge_gate.py.
"""

from __future__ import annotations

import json
import re

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.edge_gate import GATE_ENV
from propcast.reporting.data import load
from propcast.reporting.page import _slate as slate_section
from propcast.reports import write_daily_report
from propcast.settings import Home
from propcast.warehouse import connect

from .conftest import DemoWorld

EVIDENCE = r"Δ [+-]\d\.\d{4} \[[+-]\d\.\d{4}, [+-]\d\.\d{4}\] over \d+ days, [\d,]+ lines"
GATE_OFF = re.compile(
    r"gate off \(var edge_gate false\): bets priced on the raw model for NBA player_points; "
    r"the model is not shown better than the market: " + EVIDENCE
)
NO_BETS = re.compile(
    r"no bets: the model is not shown better than the market for NBA player_points: " + EVIDENCE
)


def cli(home: Home, *args: str) -> tuple[int, str, dict]:
    result = CliRunner().invoke(app, [*args, "--json"], env={"PROPCAST_HOME": str(home.root)})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    body = json.loads(result.output.strip().splitlines()[-1])
    return result.exit_code, " ".join(result.output.split()), body


def test_status_and_report_state_the_gate_per_family(
    demo_home: Home, demo_world: DemoWorld
) -> None:
    slate = demo_world.slate
    code, out, body = cli(demo_home, "status", "--date", str(slate))
    assert code == 0, out
    assert GATE_OFF.search(out), out
    (gate,) = body["edge_gate"]
    assert (gate["gate_open"], gate["is_edge_shown"], gate["shrink_weight"]) == (True, False, 1.0)
    assert gate["market_family"] == "player_points" and gate["n_days"] >= 7
    report = write_daily_report(demo_home, slate).read_text()
    assert "## Edge gate" in report and GATE_OFF.search(report), report
    # the slate's past recommendations: claimed EV against realised ROI
    assert "### Claimed EV vs realised ROI of past recommendations" in report
    assert re.search(r"\| NBA \| player_points \| \d+ \| [\d,.]+ \| [+-]\d", report), report
    # the HTML report's slate section
    with connect(demo_home) as con:
        html = slate_section(load(con, slate))
    assert "Edge gate:" in html and GATE_OFF.search(html), html


@pytest.mark.slow
def test_gate_on_withholds_the_demo_slate_and_run_day_says_so(
    demo_home: Home, demo_world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    slate = demo_world.slate
    monkeypatch.setenv(GATE_ENV, "on")
    code, out, body = cli(demo_home, "run-day", "--date", str(slate))
    # a decision, not a fault: exit 0, and the verdict names the family and the evidence
    assert code == 0, out
    assert NO_BETS.search(body["message"]), body["message"]
    assert "withheld on purpose, not a failure" in body["message"]
    assert [g["gate_open"] for g in body["edge_gate"]] == [False]
    with connect(demo_home) as con:
        gate = con.execute(
            "select gate_open, is_edge_shown, shrink_weight, n_days, ci_high, reason "
            "from main.fct_edge_evidence_daily where game_date = ? and market_family = ?",
            [slate, "player_points"],
        ).fetchall()
        reasons = dict(
            con.execute(
                "select reason_code, count(*) from main.fct_bet_recommendations "
                "where game_date = ? group by reason_code",
                [slate],
            ).fetchall()
        )
        summary = con.execute(
            "select bets_recommended, no_bet_reason from main.fct_slate_summary_daily "
            "where game_date = ?",
            [slate],
        ).fetchone()
        weights = con.execute(
            "select min(edge_weight), max(edge_weight), "
            "max(abs(side_prob - side_market_prob)) "
            "from main.fct_bet_recommendations where game_date = ? and side_market_prob "
            "is not null",
            [slate],
        ).fetchone()
    ((is_open, shown, weight, days, ci_high, reason),) = gate
    assert (is_open, shown, weight) == (False, False, 0.0)
    assert days >= 7 and ci_high > 0 and reason.startswith("model ")
    # the raw model EV cleared min_ev on many lines; none is recommended, none is staked
    assert reasons.get("edge_not_shown", 0) > 0 and "value" not in reasons
    assert summary == (0, "edge_not_shown")
    # closed gate: every line is priced at the market's probability (w = 0; rounded to 1e-6)
    assert weights[:2] == (0.0, 0.0) and weights[2] < 1e-6

    code, out, body = cli(demo_home, "status", "--date", str(slate))
    assert code == 0 and NO_BETS.search(out), out
    report = write_daily_report(demo_home, slate).read_text()
    assert NO_BETS.search(report), report
    assert "**No bets: edge_not_shown** — the edge gate withheld them" in report
