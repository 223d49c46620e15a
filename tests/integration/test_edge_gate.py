"""The edge gate on the demo home (README "The edge gate").

The session worlds run with the gate off (tests/conftest.py): `status` and the daily report
still state the evidence per family. Switched on (slow: one run-day), the 24-day demo world's
model is shown better than the market it is priced against (the de-vigged market at the priced
snapshot, the default `edge_gate_benchmark`), so the slate's bets are published, priced at the
market's probability moved toward the model's by the shrink weight, and `status` and the
report say so in the gate's words. The closed gate's verdict ("withheld on purpose, not a
failure") and its reason code are tested in tests/unit/test_edge_gate.py and in dbt
(_predictions__models.yml: the interval, opening, shrink weight, edge_not_shown).
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
    r"the model is shown better than the market: " + EVIDENCE
)
PUBLISHED = re.compile(
    r"bets published: the model is shown better than the market for NBA player_points: " + EVIDENCE
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
    gates = {g["market_family"]: g for g in body["edge_gate"]}
    assert set(gates) == {"game_total", "player_points"}  # every family the pricing bets
    gate = gates["player_points"]
    assert (gate["gate_open"], gate["is_edge_shown"], gate["shrink_weight"]) == (True, True, 1.0)
    assert gate["n_days"] >= 7
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
def test_gate_on_publishes_the_demo_slate_at_the_shrunk_probability(
    demo_home: Home, demo_world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    slate = demo_world.slate
    monkeypatch.setenv(GATE_ENV, "on")
    code, out, body = cli(demo_home, "run-day", "--date", str(slate))
    assert code == 0, out
    gates = {g["market_family"]: g for g in body["edge_gate"]}
    assert gates["player_points"]["gate_open"], gates
    # the short season's totals have too little evidence: withheld, and said so
    assert not gates["game_total"]["gate_open"], gates
    assert "1 of 2 families withheld on purpose" in body["message"], body["message"]
    with connect(demo_home) as con:
        gate = con.execute(
            "select gate_open, is_edge_shown, shrink_weight, n_days, ci_high "
            "from main.fct_edge_evidence_daily where game_date = ? and market_family = ?",
            [slate, "player_points"],
        ).fetchall()
        reasons = dict(
            con.execute(
                "select reason_code, count(*) from main.fct_bet_recommendations "
                "where game_date = ? and market = 'player_points' group by reason_code",
                [slate],
            ).fetchall()
        )
        priced = con.execute(
            "select min(edge_weight), max(edge_weight), max(abs(side_prob - (side_market_prob "
            "+ edge_weight * (side_model_prob - side_market_prob)))), "
            "max(abs(side_model_prob - side_prob)) "
            "from main.fct_bet_recommendations where game_date = ? and side_market_prob "
            "is not null and market = 'player_points'",
            [slate],
        ).fetchone()
    ((is_open, shown, weight, days, ci_high),) = gate
    assert is_open and shown and 0.0 < weight < 1.0, gate
    assert days >= 7 and ci_high < 0
    # published: value bets, none of the props withheld by the gate
    assert reasons.get("value", 0) > 0 and "edge_not_shown" not in reasons, reasons
    # every line priced at p_market + w (p_model - p_market), not at the raw model (rounded 1e-6)
    assert priced[:2] == (weight, weight) and priced[2] < 2e-6 and priced[3] > 0.01, priced

    code, out, body = cli(demo_home, "status", "--date", str(slate))
    assert code == 0 and PUBLISHED.search(out), out
    report = write_daily_report(demo_home, slate).read_text()
    assert PUBLISHED.search(report), report
