"""`propcast import totals --format sbr` through the real CLI on a real DuckDB file (issue 16):
per-workbook games read, loaded and quarantined; a re-import adds nothing; a folder or a glob
works; an unknown layout is refused whole. With the real SBR workbooks (../shared/data/real,
skipped when absent): every game is accounted for and the backtest runs on them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.settings import Home
from propcast.warehouse import connect
from tests.support.sbr_books import NBA_HEADER, NHL_HEADER_15, nba_game, nhl_game, write_book

runner = CliRunner()
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
REAL_BOOKS = ("nba odds 2016-17.xlsx", "nhl odds 2016-17.xlsx")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    root = tmp_path / "home"
    monkeypatch.setenv("PROPCAST_HOME", str(root))
    monkeypatch.setenv("FORCE_VENDOR_FAILURE", "ODDSAPI,CSVFEED,DECIMALFEED,LEAGUE")
    return Home(root)


def run(*args: str) -> tuple[int, dict, str]:
    result = runner.invoke(app, [*args, "--json"])
    lines = result.stdout.strip().splitlines()
    return result.exit_code, json.loads(lines[-1]), result.stdout


def books(folder: Path) -> list[Path]:
    nba = [*nba_game(1230, 501, "LAClippers", "GoldenState"), *nba_game(102, 503, "Utah", "Miami")]
    nba += nba_game(103, 505, "Boston", "NewYork", total=None)  # blank total: quarantined
    nhl = [*nhl_game(1012, 1, "NYRangers", "St.Louis", layout=15)]
    nhl += nhl_game(1013, 3, "Arizona", "Chicago", layout=15)[:1]  # a row without its partner
    return [
        write_book(folder / "nba odds 2016-17.xlsx", NBA_HEADER, nba),
        write_book(folder / "nhl odds 2021.xlsx", NHL_HEADER_15, nhl),
    ]


def test_import_counts_reimport_and_glob(home: Home, tmp_path: Path) -> None:
    nba, nhl = books(tmp_path / "books")
    code, out, text = run("import", "totals", "--format", "sbr", str(nba), str(nhl), "--no-build")
    assert code == 3, text  # games quarantined: degraded
    assert [(f["games_read"], f["games_loaded"], f["games_quarantined"]) for f in out["files"]] == [
        (3, 2, 1),
        (2, 1, 1),
    ]
    assert out["files"][0]["quarantine_reasons"] == {"open total missing (a blank open cell)": 1}
    assert re.search(r"nba odds 2016-17\.xlsx: 3 games read, 2 loaded, 1 quarantined", text)
    with connect(home) as con:
        seasons = con.execute(
            "select league, season, min(game_date)::varchar from raw.raw_imports__sbr_games "
            "group by all order by 1"
        ).fetchall()
    assert seasons == [("nba", "2016-17", "2016-12-30"), ("nhl", "2020-21", "2020-10-12")]

    code, out, text = run("import", "totals", "--format", "sbr", str(tmp_path / "books" / "*.xlsx"))
    assert code == 0 and out["games_loaded"] == 0, text  # a re-import adds nothing (builds)
    assert all(f["already_imported"] for f in out["files"])
    with connect(home) as con:
        assert con.execute("select count(*) from raw.raw_imports__sbr_games").fetchone() == (3,)
        lines = con.execute(
            "select league, count(*), count(open_line), sum(prices_assumed::int) "
            "from main.fct_game_total_features group by 1 order by 1"
        ).fetchall()
    assert lines == [("NBA", 2, 2, 2), ("NHL", 1, 1, 0)]


def test_unknown_layout_is_refused_whole(home: Home, tmp_path: Path) -> None:
    good, _ = books(tmp_path)
    odd = write_book(tmp_path / "mlb odds 2016.xlsx", NBA_HEADER, nba_game(401, 901, "A", "B"))
    code, out, _ = run("import", "totals", "--format", "sbr", str(good), str(odd))
    assert code == 1
    assert "MLB workbook; only nba and nhl are known" in out["message"]
    assert not (home.inbox / "imports" / "sbr_games").exists()  # nothing written
    code, out, _ = run("import", "totals", str(good), str(odd))
    assert code == 1 and "--format csv takes one FILE.csv" in out["message"]


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason="the real SBR workbooks (../shared/data/real)")
def test_real_workbooks_every_game_accounted_and_backtest(home: Home) -> None:
    code, out, text = run("import", "totals", "--format", "sbr", str(REAL))
    assert code in (0, 3), text
    by_name = {Path(f["file"]).name: f for f in out["files"]}
    assert set(REAL_BOOKS) <= set(by_name)
    for name in REAL_BOOKS:
        f = by_name[name]
        assert f["games_read"] == f["games_loaded"] + f["games_quarantined"]
        assert f["games_quarantined"] <= 5 and not f["unmapped_teams"]
    assert by_name["nba odds 2016-17.xlsx"]["games_read"] == 1309
    assert by_name["nhl odds 2016-17.xlsx"]["games_read"] == 1317
    code, out, _ = run("import", "totals", "--format", "sbr", str(REAL), "--no-build")
    assert out["games_loaded"] == 0

    code, result, text = run(
        "backtest", "--league", "nhl", "--market", "game_total", "--train-until", "2016-12-15",
        "--start-date", "2016-12-16", "--end-date", "2017-06-11", "--retrain-every-days", "30",
    )  # fmt: skip
    assert code == 0, text
    assert result["n"] > 800 and result["market_logloss"] < 0.6931  # the workbook's own prices
    assert result["model_logloss"] - result["market_logloss"] <= 0.002


def test_workbook_path_with_dotdot_writes_only_into_the_inbox(home: Home, tmp_path: Path) -> None:
    """A workbook may be any path (`..`, absolute, an odd name): it is read, and the only thing
    written is its converted copy in inbox/imports/sbr_games/ under a sanitised hashed name."""
    (tmp_path / "fresh").mkdir()
    outside = tmp_path / "outside"
    nba_rows = nba_game(1230, 501, "LAClippers", "GoldenState")
    write_book(outside / "nba odds 2016-17;rm -rf.xlsx", NBA_HEADER, nba_rows)
    path = tmp_path / "fresh" / ".." / "outside" / "nba odds 2016-17;rm -rf.xlsx"
    code, out, text = run("import", "totals", "--format", "sbr", str(path), "--no-build")
    assert code == 0 and out["games_loaded"] == 1, text
    copies = [p for p in home.inbox.rglob("*") if p.is_file()]
    assert [p.relative_to(home.inbox).parts[:2] for p in copies] == [("imports", "sbr_games")]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", copies[0].name), copies[0].name
    assert sorted(p.name for p in outside.iterdir()) == ["nba odds 2016-17;rm -rf.xlsx"]
