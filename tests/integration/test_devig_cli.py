"""`propcast evaluate --devig` through the real CLI on the session's demo world (a copy):
every method per league x family x book, multiplicative agreeing with the warehouse's own
de-vigged closes, and exit 3 on a range with nothing settled."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
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


FAIR_PROBS = """
select league, market, game_date, vendor, book_id, vendor_event_id, vendor_player_name, line,
       fetched_at, devig_method, fair_prob_over, fair_prob_under, fair_prob_over_power
from main.int_prop_odds_devigged
where is_two_sided
order by all
"""


@pytest.mark.slow
def test_a_stored_choice_changes_its_family_from_its_date_only(
    demo_home: Home, demo_world: DemoWorld
) -> None:
    """--choose stores the best method per family effective the day after the range; a
    choice of power for NBA player_points from the slate on, once the de-vig models are
    rebuilt, changes that family's fair probabilities on the slate and nothing else."""
    from propcast.dbt_runner import Dbt
    from propcast.devig_choices import current_choices, record_choices
    from propcast.timeutil import utc_now

    slate, day_before = demo_world.slate, demo_world.slate - timedelta(days=1)
    code, out, body = cli(demo_home, "--choose", "--end-date", str(day_before))
    assert code == 0, out
    [best] = [b for b in body["best"] if b["market_family"] == "player_points"]
    with connect(demo_home) as con:
        stored = {(c["league"], c["market_family"]): c for c in current_choices(con)}
        before = con.execute(FAIR_PROBS).df()
        chosen = {"method": "power", "n_lines": 1, "first_date": day_before,
                  "last_date": day_before, "log_losses": {"power": 0.7, "multiplicative": 0.7}}  # fmt: skip
        record_choices(con, {("NBA", "player_points"): chosen}, slate, utc_now())
    assert stored["NBA", "player_points"]["devig_method"] == best["best_method"]
    assert str(stored["NBA", "player_points"]["chosen_on"])[:10] == str(slate)
    assert f"applies once rebuilt: propcast build --from {slate}" in out

    selection = (
        "stg_propcast_raw__devig_method_choices int_devig_method_periods int_prop_odds_devigged"
    )
    result = Dbt(demo_home).invoke(
        ["build", "--select", selection, "--full-refresh"], run_vars={"run_date": str(slate)}
    )
    assert result.success, [(n.unique_id, n.message) for n in result.failed]
    with connect(demo_home) as con:
        after = con.execute(FAIR_PROBS).df()
    assert len(after) == len(before)
    changed = (
        (after["league"] == "NBA")
        & (after["market"] == "player_points")
        & (after["game_date"].dt.date >= slate)
    )
    assert changed.sum() > 100
    assert (after.loc[changed, "devig_method"] == "power").all()
    assert np.allclose(
        after.loc[changed, "fair_prob_over"], after.loc[changed, "fair_prob_over_power"]
    )
    assert np.allclose(after["fair_prob_over"] + after["fair_prob_under"], 1.0)
    assert (
        before.loc[changed, "fair_prob_over"] != after.loc[changed, "fair_prob_over"]
    ).mean() > 0.5
    unchanged = ~changed
    assert unchanged.sum() > 100
    pd.testing.assert_frame_equal(before[unchanged], after[unchanged])


def test_nothing_settled_in_the_range_exits_3(demo_home: Home, demo_world: DemoWorld) -> None:
    later = demo_world.slate + timedelta(days=3)
    code, out, body = cli(demo_home, "--start-date", str(later), "--end-date", str(later))
    assert code == 3 and body["verdict"] == "degraded", out
    assert "no settled closing quote with real prices" in body["message"]
