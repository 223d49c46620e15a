"""`propcast evaluate --devig` on the real SBR workbooks of 2016-17 (../shared/data/real; the
test skips when they are absent): the numbers README "De-vig methods" reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.settings import Home

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
BOOKS = ("nba odds 2016-17.xlsx", "nhl odds 2016-17.xlsx")
runner = CliRunner()


def run(home: Home, *args: str) -> tuple[int, dict, str]:
    result = runner.invoke(app, [*args, "--json"], env={"PROPCAST_HOME": str(home.root)})
    lines = result.output.strip().splitlines()
    return result.exit_code, json.loads(lines[-1]), result.output


@pytest.mark.slow
@pytest.mark.skipif(
    not all((REAL / b).exists() for b in BOOKS), reason="the real SBR workbooks are absent"
)
def test_real_sbr_totals_which_method_wins(home: Home) -> None:
    code, _, text = run(
        home, "import", "totals", "--format", "sbr", *(str(REAL / b) for b in BOOKS)
    )
    assert code in (0, 3), text
    code, body, text = run(home, "evaluate", "--devig")
    assert code == 0, text
    # NBA: the workbook gives no totals prices; every close is -110/-110 and left out.
    assert (
        body["assumed_price_quotes"] == 1292 and "NBA game_total: 1292 closes" in body["notes"][0]
    )
    [best] = body["best"]
    assert (best["league"], best["market_family"], best["n_lines"]) == ("NHL", "game_total", 1151)
    pooled = {r["method"]: r for r in body["rows"] if r["book"] == "all"}
    losses = {m: round(r["log_loss"], 6) for m, r in pooled.items()}
    assert losses == {
        "multiplicative": 0.688884, "additive": 0.688859, "shin": 0.688859,
        "margin_proportional": 0.688859, "odds_ratio": 0.688858, "logarithmic": 0.688858,
        "power": 0.68885,
    }  # fmt: skip
    # power wins, by less than its own 95 % interval: noise
    assert best["best_method"] == "power"
    assert 0 < best["margin_vs_multiplicative"] < best["margin_ci95"]
    assert best["walk_forward_n"] == 1050
