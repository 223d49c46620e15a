"""`propcast bets import|add|report` through the real CLI on a copy of the demo world (trained,
scored and priced walk-forward, settled up to the slate): placed bets copying recommendations
are matched and settled exactly as fct_bet_settlements; the report's numbers are recomputed here
from fct_bet_ledger's rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.settings import Home
from propcast.warehouse import connect

runner = CliRunner()

# Recommended bets already settled won or lost, on players whose name maps to one player.
RECOMMENDED = """
    select r.game_date, r.game_id, r.player_id, r.market, r.line, r.side, r.book_id,
           r.price_decimal, r.price_american, p.player_name, b.book_name,
           s.result as settled_result, s.units_won as settled_units_won
    from main.fct_bet_recommendations as r
    inner join main.dim_player as p on r.player_id = p.player_id
    inner join main.sportsbooks as b on r.book_id = b.book_id
    inner join main.fct_bet_settlements as s
        on r.game_id = s.game_id and r.player_id = s.player_id and r.market = s.market
        and r.line = s.line
    where r.is_recommended and s.result in ('won', 'lost')
      and (select count(*) from main.dim_player as d
           where d.player_name_key = p.player_name_key) = 1
    order by r.game_date, r.game_id, r.player_id, r.market, r.line
    limit 4
"""
# A priced line the model did not recommend, settled over or under.
NOT_RECOMMENDED = """
    select r.game_date, r.game_id, r.player_id, r.market, r.line, p.player_name,
           l.result as line_result
    from main.fct_bet_recommendations as r
    inner join main.dim_player as p on r.player_id = p.player_id
    inner join main.fct_line_settlements as l
        on r.game_id = l.game_id and r.player_id = l.player_id and r.market = l.market
        and r.line = l.line
    where not r.is_recommended and l.result in ('over', 'under')
      and (select count(*) from main.dim_player as d
           where d.player_name_key = p.player_name_key) = 1
    order by r.game_date desc, r.game_id, r.player_id, r.market, r.line
    limit 1
"""


def cli(home: Home, *args: str) -> tuple[int, str, dict]:
    result = runner.invoke(app, ["bets", *args, "--json"], env={"PROPCAST_HOME": str(home.root)})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    lines = result.output.strip().splitlines()
    body = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return result.exit_code, " ".join(result.output.split()), body


def frame(home: Home, sql: str) -> pd.DataFrame:
    with connect(home) as con:
        return con.execute(sql).df()


def write_bets(path: Path, recs: pd.DataFrame, other: pd.Series) -> list[dict]:
    """A generic-shape file: the recommendations copied (the first at the recommended American
    price, the others at a worse decimal price, one market spelled `Points`), a bet on the line
    not recommended at an unknown book, and a bad row (a negative stake)."""
    bets = []
    for i, rec in enumerate(recs.itertuples()):
        price = f"{rec.price_american:+.0f}" if i == 0 else f"{rec.price_decimal - 0.05:.2f}"
        market = "Points" if rec.market == "player_points" and i == 1 else rec.market
        bets.append({"date": str(rec.game_date)[:10], "book": rec.book_name, "league": "nba",
                     "market": market, "subject": rec.player_name, "line": rec.line,
                     "side": rec.side, "price": price, "stake": 10 * (i + 1)})  # fmt: skip
    bets.append({"date": str(other.game_date)[:10], "book": "Corner Shop Bets", "league": "NBA",
                 "market": other.market, "subject": other.player_name, "line": other.line,
                 "side": "over", "price": "1.95", "stake": 20})  # fmt: skip
    bad = {**bets[0], "stake": -5}
    rows = [*bets, bad]
    pd.DataFrame(rows).to_csv(path, index=False)
    return bets


def max_drawdown(profits_by_date: pd.Series) -> float:
    peak = worst = total = 0.0
    for profit in profits_by_date:
        total += profit
        peak = max(peak, total)
        worst = max(worst, peak - total)
    return worst


@pytest.mark.slow  # one dbt parse and build of the ledger: ~20 s alone, ~45 s on a loaded machine
def test_bets_import_matches_settles_and_reports(demo_home: Home, tmp_path: Path) -> None:
    recs, other = frame(demo_home, RECOMMENDED), frame(demo_home, NOT_RECOMMENDED).iloc[0]
    assert len(recs) == 4, "the demo world has settled recommendations"
    path = tmp_path / "my_bets.csv"
    placed = write_bets(path, recs, other)

    code, out, body = cli(demo_home, "import", str(path))
    assert code == 3, out  # one row refused: degraded
    assert body["rows_loaded"] == 5 and body["rows_quarantined"] == 1, body
    assert body["quarantine_reasons"] == {"stake missing or not a positive number": 1}
    refused = pd.read_csv(body["quarantine_file"])
    assert list(refused["row_number"]) == [7] and "-5" in refused["row_text"].iloc[0]
    assert body["match"]["statuses"] == {"matched": 4, "not_recommended": 1}, body
    assert body["match"]["unknown_books"] == {"Corner Shop Bets": 1}

    ledger = frame(demo_home, "select * from main.fct_bet_ledger")
    taken = ledger[ledger["entry_status"] == "taken"].sort_values(
        ["game_date", "game_id", "player_id", "market", "line"]
    )
    assert len(taken) == 4
    for rec, (_, row) in zip(recs.itertuples(), taken.iterrows(), strict=True):
        assert (row["game_id"], row["player_id"], row["side"]) == (
            rec.game_id,
            rec.player_id,
            rec.side,
        )
        assert row["result"] == rec.settled_result  # the same settlement as fct_bet_settlements
        assert row["price_slippage"] == pytest.approx(row["price_decimal"] - rec.price_decimal)
        expected_units = row["price_decimal"] - 1.0 if rec.settled_result == "won" else -1.0
        assert row["units_won"] == pytest.approx(expected_units)
        assert row["profit"] == pytest.approx(expected_units * row["stake"])
    first = taken.iloc[0]
    assert first["units_won"] == pytest.approx(recs["settled_units_won"].iloc[0], abs=1e-9)
    assert (taken["price_slippage"].iloc[1:] < 0).all()  # a worse price than recommended

    own = ledger[ledger["entry_status"] == "not_recommended"].iloc[0]
    assert own["result"] == ("won" if other["line_result"] == "over" else "lost")
    assert not own["is_book_known"] and pd.isna(own["clv_prob_book"])
    skipped = ledger[ledger["entry_status"] == "skipped"]
    assert len(skipped) > 0 and skipped["stake"].isna().all()
    check_clv(demo_home, taken)

    again = cli(demo_home, "import", str(path))
    assert again[0] == 0 and again[2]["already_imported"] and again[2]["rows_loaded"] == 0
    one = {k: str(v) for k, v in placed[-1].items()}
    one["stake"] = "7.5"
    args = [a for k, v in one.items() for a in (f"--{k}", v)]
    added = cli(demo_home, "add", *args, "--no-build")
    assert added[0] == 0 and added[2]["rows_loaded"] == 1, added[1]
    assert cli(demo_home, "add", *args, "--no-build")[2]["rows_loaded"] == 0  # the same bet
    raw = frame(demo_home, "select count(*) as n from raw.raw_ledger__placed_bets")
    assert raw["n"].iloc[0] == 6  # 5 from the file (twice), 1 added (twice)

    check_report(demo_home)


def test_bets_load_refuse_and_add_without_a_build(demo_home: Home, tmp_path: Path) -> None:
    """The cheaper sibling of the test above (no dbt): a file's good rows land in the raw
    ledger, a bad row is refused into the quarantine file (exit 3), a re-import and the same
    `bets add` add nothing, and a report over an unbuilt ledger says it is empty (exit 3)."""
    recs, other = frame(demo_home, RECOMMENDED), frame(demo_home, NOT_RECOMMENDED).iloc[0]
    path = tmp_path / "my_bets.csv"
    placed = write_bets(path, recs, other)
    code, out, body = cli(demo_home, "import", str(path), "--no-build")
    assert code == 3 and body["rows_loaded"] == 5 and body["rows_quarantined"] == 1, out
    assert "stake missing or not a positive number" in out and "not built" in out
    assert pd.read_csv(body["quarantine_file"])["row_number"].tolist() == [7]
    again = cli(demo_home, "import", str(path), "--no-build")
    assert again[0] == 0 and again[2]["already_imported"] and again[2]["rows_loaded"] == 0
    one = {k: str(v) for k, v in placed[0].items()}
    args = [a for k, v in one.items() for a in (f"--{k}", v)]
    assert cli(demo_home, "add", *args, "--no-build")[2]["rows_loaded"] == 0  # in the file
    bad = cli(demo_home, "add", *args[:-2], "--stake", "0", "--no-build")
    assert bad[0] == 3 and bad[2]["rows_loaded"] == 0 and "stake" in bad[1]
    raw = frame(demo_home, "select count(*) as n, count(distinct bet_hash) as k "
                "from raw.raw_ledger__placed_bets")  # fmt: skip
    assert (raw["n"].iloc[0], raw["k"].iloc[0]) == (5, 5)
    empty = cli(demo_home, "report")
    assert empty[0] == 3 and "the ledger is empty" in empty[1], empty[1]
    assert empty[2]["html"] is None and not list((demo_home.outputs / "ledger").glob("*.html"))


def check_clv(home: Home, taken: pd.DataFrame) -> None:
    """clv_prob_book against the same book's de-vigged close, recomputed from the closes."""
    closes = frame(home, "select * from main.int_prop_odds_opening_closing where is_closing_final")
    compared = 0
    for _, bet in taken.iterrows():
        close = closes[(closes["game_id"] == bet["game_id"]) & (closes["player_id"] == bet["player_id"])
                       & (closes["market"] == bet["market"]) & (closes["book_id"] == bet["book_id"])
                       & (closes["closing_line"] == bet["line"])]  # fmt: skip
        if close.empty or pd.isna(close["closing_fair_prob_over"].iloc[0]):
            assert pd.isna(bet["clv_prob_book"])
            continue
        fair = close["closing_fair_prob_over"].iloc[0]
        side_prob = fair if bet["side"] == "over" else 1.0 - fair
        assert bet["clv_prob_book"] == pytest.approx(side_prob - 1.0 / bet["price_decimal"])
        assert bet["clv_prob_best_book"] is not None
        compared += 1
    assert compared >= 1, "no bet's line closed at its book"


def check_report(home: Home) -> None:
    code, out, body = cli(home, "report")
    assert code == 0, out
    ledger = frame(home, "select * from main.fct_bet_ledger")
    bets = ledger[ledger["is_placed"]]
    settled = bets[bets["result"].isin(["won", "lost", "push"])]
    decided = bets[bets["result"].isin(["won", "lost"])]
    assert body["n_placed"] == len(bets) == 5 and body["n_matched"] == 4  # the add: not built
    assert body["pnl"] == pytest.approx(bets["profit"].fillna(0).sum(), abs=0.01)
    assert body["staked"] == pytest.approx(settled["stake"].sum(), abs=0.01)
    assert body["roi"] == pytest.approx(bets["profit"].fillna(0).sum() / settled["stake"].sum())
    assert body["clv"] == pytest.approx(bets["clv_prob_book"].dropna().mean())
    assert body["hit_rate"] == pytest.approx((decided["result"] == "won").mean())
    assert body["expected_hit_rate"] == pytest.approx(decided["price_implied_prob"].mean())
    daily = bets.groupby("game_date")["profit"].sum().sort_index()
    assert body["max_drawdown"] == pytest.approx(max_drawdown(daily), abs=0.01)
    assert sum(r["n_placed"] for r in body["by_book"]) == 5
    assert {r["key"] for r in body["by_month"]} == {d.strftime("%Y-%m") for d in bets["game_date"]}
    assert re.search(r"P&L [+-]\d", out) and "by market family" in out
    check_html(Path(body["html"]), body)

    empty = cli(home, "report", "--start-date", "2020-01-01", "--end-date", "2020-01-31")
    assert empty[0] == 3 and "the ledger holds bets from" in empty[1]


def test_bets_import_path_with_dotdot_writes_only_into_outputs(
    demo_home: Home, tmp_path: Path
) -> None:
    """`bets import FILE` reads the user's file wherever it is; a path through `..` with a name
    full of dots writes its quarantine file only under outputs/ledger/, and nothing next to
    the file or elsewhere outside the home."""
    recs, other = frame(demo_home, RECOMMENDED), frame(demo_home, NOT_RECOMMENDED).iloc[0]
    folder = tmp_path / "outside" / "deeper"
    folder.mkdir(parents=True)
    write_bets(folder / "..my..bets...csv", recs, other)
    before = sorted(folder.parent.rglob("*"))
    dotted = f"{tmp_path}/outside/deeper/../deeper/..my..bets...csv"
    code, out, body = cli(demo_home, "import", dotted, "--no-build")
    assert code == 3 and body["rows_quarantined"] == 1, out
    quarantine = Path(body["quarantine_file"]).resolve()
    assert quarantine.parent == (demo_home.outputs / "ledger").resolve(), quarantine
    assert ".." not in quarantine.name and quarantine.exists()
    assert sorted(folder.parent.rglob("*")) == before  # nothing written next to the file


def check_html(page: Path, body: dict) -> None:
    """The page `bets report` wrote: the period's name, every ledger chart drawn with data,
    the summary's P&L and ROI those of the --json line."""
    from propcast.reporting import LEDGER_PLOT_IDS

    assert page.name == f"ledger_report_{body['start_date']}_{body['end_date']}.html"
    html = page.read_text()
    for plot_id in LEDGER_PLOT_IDS:
        figure = re.search(rf'<figure id="{plot_id}"[^>]*>(.*?)</figure>', html, re.S)
        assert figure and 'data-has-data="true"' in figure.group(0), plot_id
        assert 'src="data:image/png;base64,' in figure.group(1)
    assert f"P&amp;L <strong>{body['pnl']:+.2f}</strong>" in html
    assert f"ROI <strong>{body['roi']:+.1%}</strong>" in html
