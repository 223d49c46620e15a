"""`propcast evaluate --devig` through the real CLI on the session's demo world (a copy):
every method per league x family x book, multiplicative agreeing with the warehouse's own
de-vigged closes, and exit 3 on a range with nothing settled."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast import devig
from propcast.evaluate import probability_metrics
from propcast.settings import Home
from propcast.warehouse import connect

from .conftest import DemoWorld

runner = CliRunner()

#: Each book's final closing main line, settled over or under (as devig_evaluation reads it),
#: with the warehouse's own de-vigged P(over) by var devig_method (multiplicative).
WAREHOUSE_CLOSES = """
select closes.closing_fair_prob_over, settled.went_over
from main.int_prop_odds_opening_closing as closes
inner join (
    select distinct game_id, player_id, market, line, went_over
    from main.fct_line_settlements
    where result in ('over', 'under') and market = 'player_points'
) as settled
    on closes.game_id = settled.game_id and closes.player_id = settled.player_id
    and closes.market = settled.market and closes.closing_line = settled.line
where closes.is_closing_final
"""


def cli(home: Home, *args: str) -> tuple[int, str, dict]:
    result = runner.invoke(
        app, ["evaluate", "--devig", *args, "--json"], env={"PROPCAST_HOME": str(home.root)}
    )
    lines = result.output.strip().splitlines()
    body = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split()), body


def test_every_method_is_scored_per_book_and_multiplicative_matches_the_warehouse(
    demo_home: Home,
) -> None:
    code, out, body = cli(demo_home)
    assert code == 0, out
    rows = [
        r for r in body["rows"] if (r["league"], r["market_family"]) == ("NBA", "player_points")
    ]
    books = {r["book"] for r in rows}
    assert "all" in books and len(books) >= 3, books
    for book in books:
        assert sorted(r["method"] for r in rows if r["book"] == book) == sorted(devig.METHODS)
    pooled = {r["method"]: r for r in rows if r["book"] == "all"}
    per_book = sum(r["n_lines"] for r in rows if r["book"] != "all" and r["method"] == "power")
    assert pooled["power"]["n_lines"] == per_book > 300
    # The multiplicative row is the warehouse's own de-vigged closes, scored.
    with connect(demo_home) as con:
        closes = con.execute(WAREHOUSE_CLOSES).df()
    expected = probability_metrics(
        closes["went_over"].to_numpy(), closes["closing_fair_prob_over"].to_numpy()
    )
    assert pooled["multiplicative"]["n_lines"] == len(closes)
    assert pooled["multiplicative"]["log_loss"] == pytest.approx(expected["log_loss"], abs=1e-9)
    assert pooled["multiplicative"]["margin_vs_multiplicative"] == 0
    [best] = [b for b in body["best"] if b["market_family"] == "player_points"]
    assert best["best_method"] in devig.METHODS and best["walk_forward_n"] > 0
    assert "best NBA player_points:" in out
    csv_path, json_path = (Path(p) for p in body["paths"])
    assert csv_path.name == f"devig_{body['start_date']}_{body['end_date']}.csv"
    assert json.loads(json_path.read_text())["best"] == body["best"]


def test_nothing_settled_in_the_range_exits_3(demo_home: Home, demo_world: DemoWorld) -> None:
    later = demo_world.slate + timedelta(days=3)
    code, out, body = cli(demo_home, "--start-date", str(later), "--end-date", str(later))
    assert code == 3 and body["verdict"] == "degraded", out
    assert "no settled closing quote with real prices" in body["message"]
