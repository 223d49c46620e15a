"""The chosen staking policy's stake reaches every consumer (README "Staking and simulation").

On a copy of the demo home, the slate is staked again with PROPCAST_STAKING=joint-kelly by one
narrow build through the real CLI (`propcast build --select "int_run_parameters
fct_bet_stakes+"`: the run's parameters, the stakes and everything that reads them), then
exported. fct_bet_settlements, fct_slate_summary_daily, the export's workbook and audit and the
daily report carry fct_bet_stakes' (joint) stakes and say the policy, and so does the ledger's
matching of three placed bets to their recommendations (fct_bet_ledger.recommended_stake); the
recommendations keep their independent Kelly stakes, and at least one bet of the slate is
staked differently.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.export import XLSX_NAME
from propcast.reports import write_daily_report
from propcast.settings import Home
from propcast.staking_setting import STAKING_ENV

from .conftest import DemoWorld

KEYS = ["game_id", "player_id", "market", "line"]


def cli(*args: str) -> tuple[int, str, dict]:
    result = CliRunner().invoke(app, [*args, "--json"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output, json.loads(result.output.strip().splitlines()[-1])


def query(home: Home, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).df()


def place_bets(home: Home, day: object, n: int) -> int:
    """Enter the slate's n highest-EV recommended bets in the ledger's raw table as placed (the
    rows `propcast bets import` lands for a file copying them; the import itself is
    tests/integration/test_ledger_cli.py's): the build then matches them."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "insert into raw.raw_ledger__placed_bets by name"
            " select md5(r.game_id || r.player_id || r.market || r.line) as bet_hash,"
            " 'test' as payload_sha256, 'test.csv' as source_file, 'generic' as book_format,"
            " cast(r.priced_fetched_at as timestamp) as loaded_at,"
            " cast(row_number() over (order by r.ev desc) as integer) as row_number,"
            " r.game_date, lower(g.league) as league, r.book_id as book, r.market,"
            " p.player_name as subject, r.side, r.line, r.price_american, r.price_decimal,"
            " 10.0 as stake"
            " from main.fct_bet_recommendations as r"
            " inner join main.dim_player as p on r.player_id = p.player_id"
            " inner join main.dim_game as g on r.game_id = g.game_id"
            " where r.is_recommended and r.game_date = ? order by r.ev desc limit ?",
            [day, n],
        )
        return con.execute("select count(*) from raw.raw_ledger__placed_bets").fetchone()[0]


def test_joint_kelly_stakes_reach_settlements_summary_export_and_report(
    demo_home: Home, demo_world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    slate = demo_world.slate
    placed = place_bets(demo_home, slate, 3)
    monkeypatch.setenv(STAKING_ENV, "joint-kelly")
    selection = "int_run_parameters fct_bet_stakes+"
    code, out, _ = cli("build", "--date", str(slate), "--select", selection)
    assert code == 0, out
    code, out, body = cli("export", "--date", str(slate))
    assert code == 0 and body["bets"] > 0, out

    stakes = query(demo_home, "select * from main.fct_bet_stakes where game_date = ?", [slate])
    assert len(stakes) == body["bets"] and set(stakes.staking) == {"joint-kelly"}

    # every settled bet (all dates) at its fct_bet_stakes stake, with the policy named
    settled = query(
        demo_home,
        "select b.stake, b.staking, s.stake as chosen, s.staking as chosen_staking,"
        " r.stake as independent, b.game_date"
        " from main.fct_bet_settlements as b"
        " left join main.fct_bet_stakes as s on b.game_id = s.game_id"
        " and b.player_id = s.player_id and b.market = s.market and b.line = s.line"
        " inner join main.fct_bet_recommendations as r on b.game_id = r.game_id"
        " and b.player_id = r.player_id and b.market = r.market and b.line = r.line",
    )
    assert len(settled) > len(stakes) and settled.chosen.notna().all()
    assert np.allclose(settled.stake, settled.chosen, atol=1e-9)
    assert (settled.staking == settled.chosen_staking).all()
    on_slate = settled[settled.game_date.dt.date == slate]
    assert set(on_slate.staking) == {"joint-kelly"}
    assert (np.abs(on_slate.stake - on_slate.independent) > 0.005).any(), "joint = independent"
    assert set(settled[settled.game_date.dt.date < slate].staking) == {"kelly"}

    summary = query(
        demo_home, "select * from main.fct_slate_summary_daily where game_date = ?", [slate]
    ).iloc[0]
    assert summary.total_stake == pytest.approx(stakes.stake.sum(), abs=1e-6)
    assert summary.staking == "joint-kelly"

    # the workbook: the joint stakes, the policy, and the raw model's probability as "Model prob"
    sheet = load_workbook(demo_home.outputs / "ev_analysis" / XLSX_NAME).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    names = {"Game ID": "game_id", "Player ID": "player_id", "Market": "market", "Line": "line"}
    got = pd.DataFrame(rows[1:], columns=rows[0]).rename(columns=names)
    recommended = query(
        demo_home,
        "select game_id, player_id, market, line, side_model_prob, side_prob"
        " from main.fct_bet_recommendations where game_date = ? and is_recommended",
        [slate],
    )
    merged = stakes.merge(recommended, on=KEYS).merge(got, on=KEYS, how="outer", indicator=True)
    assert len(merged) == len(stakes) and (merged["_merge"] == "both").all()
    assert np.allclose(merged["Stake"], merged.stake) and set(merged["Staking"]) == {"joint-kelly"}
    assert np.allclose(merged["Model prob"], merged.side_model_prob)
    assert np.allclose(merged["Priced prob"], merged.side_prob_y)
    audit = pd.read_csv(demo_home.outputs / "audits" / f"ev_prob_audit_{slate}.csv")
    bets = audit[audit.decision == "bet"]
    assert bets.stake.sum() == pytest.approx(stakes.stake.sum(), abs=1e-6)
    assert set(bets.staking) == {"joint-kelly"}

    # the ledger: the placed bets matched, every recommendation at its joint stake
    ledger = query(
        demo_home,
        "select l.entry_status, l.recommended_stake, l.recommended_staking, s.stake"
        " from main.fct_bet_ledger as l inner join main.fct_bet_stakes as s"
        " on l.game_id = s.game_id and l.player_id = s.player_id and l.market = s.market"
        " and l.line = s.line where l.game_date = ?",
        [slate],
    )
    assert placed == 3 and (ledger.entry_status == "taken").sum() == placed
    assert len(ledger) == len(stakes) and np.allclose(ledger.recommended_stake, ledger.stake)
    assert set(ledger.recommended_staking) == {"joint-kelly"}

    report = write_daily_report(demo_home, slate).read_text()
    assert f"(stake {stakes.stake.sum():.2f}, staked with joint-kelly)" in report
