"""`propcast report` and `propcast export` through the real CLI on a copy of the demo home.

One module-scoped copy of the demo home (trained, walk-forward scored 2027-01-03..01-11,
morning run-day of the slate) runs every command once, in an order that leaves the slate's
files last: a date before the world (no data), the eve doctored to zero bets (export), then
the slate (report, export). Before the slate's report, every recommended bet settled up to
the slate is entered in fct_bet_ledger as placed at its recommended price and stake (the rows
`propcast bets import` would build for a file copying them; the real import and build are
tests/integration/test_ledger_cli.py's, marked slow), so the page has the ledger's charts.
The HTML page is rendered by headless Chromium and each chart's region of the screenshot
(the ledger's too) is checked for ink, extent and colour; the same check is shown to flag a
chart whose image is removed, one drawn without data and one that lost its id.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from time import perf_counter

import duckdb
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image
from propcast.cli.main import app
from typer.testing import CliRunner

from propcast.reporting import LEDGER_PLOT_IDS, PLOT_IDS
from propcast.reporting import data as report_data
from propcast.settings import Home
from propcast.warehouse import copy_warehouse
from tests.integration.conftest import DemoWorld

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (`make chromium`); in CI this test runs",
)


@dataclass
class Invocation:
    exit_code: int
    output: str

    @property
    def json(self) -> dict:
        return json.loads(self.output.strip().splitlines()[-1])


@dataclass
class Reported:
    home: Home
    day: date
    report: Invocation
    export: Invocation
    empty_day: date
    empty_report: Invocation
    empty_export: Invocation
    no_bets_day: date
    no_bets_export: Invocation
    no_bets_rows: list[tuple]  # the workbook's rows (header first) when D-1 had no bets

    @property
    def monitoring(self) -> Path:
        return self.home.outputs / "monitoring"

    def query(self, sql: str, params: list) -> pd.DataFrame:
        with duckdb.connect(str(self.home.warehouse), read_only=True) as con:
            return con.execute(sql, params).df()


def _invoke(*args: str) -> Invocation:
    result = CliRunner().invoke(app, list(args))
    return Invocation(result.exit_code, result.output)


def _copy_home(src: Home, root: Path) -> Home:
    root.mkdir(parents=True)
    copy_warehouse(src, root / "warehouse.duckdb")
    for entry in src.root.iterdir():
        if entry.is_dir() and entry.name not in ("target", "logs"):
            shutil.copytree(entry, root / entry.name)
    return Home(root).ensure()


def _no_bets(home: Home, day: date) -> None:
    """Make `day` a slate whose scored lines all fall below the EV threshold."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "update main.fct_bet_recommendations set is_recommended = false, stake = 0,"
            " stake_fraction = 0, reason_code = 'below_threshold' where game_date = ?",
            [day],
        )
        con.execute(
            "update main.fct_slate_summary_daily set bets_recommended = 0, total_stake = 0,"
            " no_bet_reason = 'no_value' where game_date = ?",
            [day],
        )


def _placed_bets(home: Home, day: date) -> int:
    """Enter every recommended bet settled up to `day` in fct_bet_ledger as placed (taken at
    the recommended price and stake): the ledger of a user who followed the slate."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "insert into main.fct_bet_ledger by name"
            " select 'placed:' || game_id || ':' || subject_id || ':' || market || ':' || line"
            " as ledger_entry_id, 'taken' as entry_status, true as is_placed,"
            " true as is_matched, 'matched' as match_status, league, game_date, market_family,"
            " market, game_id, player_id, side, line, book_id, book_id as vendor_book,"
            " true as is_book_known, price_decimal, price_american, price_implied_prob, stake,"
            " side_prob as recommended_side_prob, result, units_won, profit,"
            " clv_prob as clv_prob_book, clv_price as clv_price_book,"
            " clv_prob as clv_prob_best_book"
            " from main.fct_bet_settlements where game_date <= ?",
            [day],
        )
        return con.execute(
            "select count(*) from main.fct_bet_ledger where is_placed and game_date <= ?", [day]
        ).fetchone()[0]


@pytest.fixture(scope="module")
def reported(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> Reported:
    home = _copy_home(demo_world.home, tmp_path_factory.mktemp("report") / "home")
    day = demo_world.slate
    empty_day, no_bets_day = day - timedelta(days=400), day - timedelta(days=1)
    _no_bets(home, no_bets_day)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROPCAST_HOME", str(home.root))
        patch.setenv("PROPCAST_RETRAIN_EVERY_DAYS", "0")
        empty_report = _invoke("report", "--date", str(empty_day), "--json")
        empty_export = _invoke("export", "--date", str(empty_day), "--json")
        no_bets_export = _invoke("export", "--date", str(no_bets_day), "--json")
        sheet = load_workbook(home.outputs / "ev_analysis" / "MultiBookBestBets.xlsx").worksheets[0]
        no_bets_rows = list(sheet.iter_rows(values_only=True))
        assert _placed_bets(home, day) > 0, "the demo world has settled recommendations"
        report = _invoke("report", "--date", str(day), "--json")
        export = _invoke("export", "--date", str(day), "--json")
    return Reported(
        home, day, report, export, empty_day, empty_report, empty_export,
        no_bets_day, no_bets_export, no_bets_rows,
    )  # fmt: skip


def test_report_writes_every_file_and_exits_ok(reported: Reported) -> None:
    day = reported.day
    assert reported.report.exit_code == 0, reported.report.output
    body = reported.report.json
    assert body["verdict"] == "ok" and body["missing"] == {}
    names = {Path(p).name for p in body["paths"]}
    assert names == {
        f"daily_run_{day}.md", f"daily_report_{day}.md", "rolling_report.md", f"report_{day}.html",
    }  # fmt: skip
    for name in names:
        assert (reported.monitoring / name).stat().st_size > 0
    placed = reported.query(
        "select count(*) as n from main.fct_bet_ledger where is_placed and game_date <= ?", [day]
    ).n[0]
    assert f"ledger: {placed} placed bets up to {day} charted" in body["notes"]


def test_the_ledger_section_reports_the_placed_bets(reported: Reported) -> None:
    """The section's numbers are fct_bet_ledger's placed bets up to D, recomputed here."""
    page = (reported.monitoring / f"report_{reported.day}.html").read_text()
    section = re.search(r'<section id="ledger">(.*?)</section>', page, re.S)
    assert section, "no ledger section"
    bets = reported.query(
        "select * from main.fct_bet_ledger where is_placed and game_date <= ?", [reported.day]
    )
    settled = bets[bets.result.isin(["won", "lost", "push"])]
    pnl, staked = bets.profit.fillna(0).sum(), settled.stake.sum()
    summary = re.sub(r"<[^>]+>", "", section.group(1))
    assert f"{len(bets)} placed bets" in summary
    assert f"P&amp;L {pnl:+.2f} on {staked:.2f} staked, ROI {pnl / staked:+.1%}" in summary
    months = {d.strftime("%Y-%m") for d in bets.game_date}
    month_caption = re.search(r'id="plot-ledger-month".*?<figcaption>(.*?)</figcaption>', page,
                              re.S).group(1)  # fmt: skip
    assert all(f"{m}: ROI" in month_caption for m in months), month_caption


def test_html_is_self_contained_with_every_plot(reported: Reported) -> None:
    page = (reported.monitoring / f"report_{reported.day}.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import|<script|<link", page, re.I)
    for plot_id in PLOT_IDS + LEDGER_PLOT_IDS:
        figure = re.search(rf'<figure id="{plot_id}"[^>]*>(.*?)</figure>', page, re.S)
        assert figure, f"{plot_id} missing"
        assert 'data-has-data="true"' in figure.group(0), f"{plot_id} says it has no data"
        assert 'src="data:image/png;base64,' in figure.group(1)
        assert "<figcaption>" in figure.group(1) and "No chart" not in figure.group(1)


# --- the screenshot check: each chart's element, pinned to its own slot on the page --------

SLOT_W, SLOT_H, SLOT_GAP = 900, 400, 20
CHART_IDS = PLOT_IDS + LEDGER_PLOT_IDS


def _slot_top(i: int) -> int:
    return i * (SLOT_H + SLOT_GAP)


def _pinned(page: str) -> str:
    """The report with only the charts shown, each figure (found by its id) in its slot;
    a figure that lost its id lands off-screen, so its slot stays blank."""
    slots = " ".join(f"#{pid} {{ top: {_slot_top(i)}px; }}" for i, pid in enumerate(CHART_IDS))
    style = (
        "<style>body { margin: 0; } body > header, #slate, #missing { display: none; }"
        " #ledger > h2, #ledger > p { display: none; }"
        f" figure.plot {{ position: absolute; left: 0; top: 100000px; margin: 0; padding: 0;"
        f" border: 0; width: {SLOT_W}px; height: {SLOT_H}px; overflow: hidden; }}"
        f" figure.plot h2, figure.plot figcaption {{ display: none; }} {slots}</style>"
    )
    return page.replace("</head>", style + "</head>", 1)


def _screenshot(html: Path, width: int, height: int) -> tuple[Image.Image, float]:
    assert CHROMIUM, "chromium is required in CI: `make chromium` installs it"
    png = html.with_suffix(".png")
    started = perf_counter()
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--force-device-scale-factor=1", f"--user-data-dir={html.parent / 'chromium'}",
         f"--screenshot={png}", f"--window-size={width},{height}", html.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    elapsed = perf_counter() - started
    assert png.exists(), f"chromium wrote no screenshot of {html}"
    return Image.open(png).convert("RGB"), elapsed


def chart_problem(shot: Image.Image, top: int) -> str | None:
    """Why the slot at `top` does not hold a drawn chart, or None: a chart has ink (non-white
    pixels) over 1 % of its area, spanning most of its width and height (axes, not a line of
    text), and coloured pixels (data series, not just a black frame)."""
    pixels = np.asarray(shot.crop((0, top, SLOT_W, top + SLOT_H)), dtype=np.int16)
    ink = (255 - pixels).max(axis=2) > 40
    colour = (pixels.max(axis=2) - pixels.min(axis=2)) > 60
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if ink.mean() < 0.01:
        return f"blank ({ink.mean():.2%} ink)"
    if np.ptp(rows) < SLOT_H / 2 or np.ptp(cols) < SLOT_W / 2:
        return f"no chart-sized drawing ({np.ptp(cols)}x{np.ptp(rows)} px of ink)"
    if colour.mean() < 0.002:
        return f"no data drawn ({colour.mean():.2%} coloured pixels)"
    return None


def _empty_chart_png() -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4), dpi=100)
    FigureCanvasAgg(fig)
    fig.add_subplot().set(xlabel="predicted P(over)", ylabel="observed over rate")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def _sabotaged(page: str) -> str:
    """The page with plot-roi's and plot-ledger-month's images removed, plot-clv drawn
    without data and plot-mapping stripped of its id."""
    for plot_id in ("plot-roi", "plot-ledger-month"):
        page = re.sub(rf'(<figure id="{plot_id}"[^>]*>.*?)<img [^>]*>', r"\1", page, count=1,
                      flags=re.S)  # fmt: skip
    page = re.sub(
        r'(<figure id="plot-clv"[^>]*>.*?src="data:image/png;base64,)[^"]*',
        lambda m: m.group(1) + _empty_chart_png(), page, count=1, flags=re.S,
    )  # fmt: skip
    return page.replace('<figure id="plot-mapping"', '<figure id="plot-mapping-renamed"', 1)


@needs_chromium
def test_every_chart_renders_in_chromium(reported: Reported, tmp_path: Path) -> None:
    page = (reported.monitoring / f"report_{reported.day}.html").read_text()
    height = _slot_top(len(CHART_IDS))

    copy = tmp_path / "report.html"  # the page as written, screenshot outside the home
    copy.write_text(page)
    whole, whole_s = _screenshot(copy, 1200, 3000)
    assert np.asarray(whole).std() > 10, "the full page rendered blank"

    good = tmp_path / "pinned.html"
    good.write_text(_pinned(page))
    shot, good_s = _screenshot(good, SLOT_W, height)
    problems = {pid: chart_problem(shot, _slot_top(i)) for i, pid in enumerate(CHART_IDS)}
    assert problems == dict.fromkeys(CHART_IDS), problems

    bad = tmp_path / "sabotaged.html"
    bad.write_text(_pinned(_sabotaged(page)))
    shot, bad_s = _screenshot(bad, SLOT_W, height)
    flagged = {pid for i, pid in enumerate(CHART_IDS) if chart_problem(shot, _slot_top(i))}
    assert flagged == {"plot-roi", "plot-clv", "plot-mapping", "plot-ledger-month"}
    print(f"chromium screenshots: page {whole_s:.2f}s, charts {good_s:.2f}s, "
          f"sabotaged {bad_s:.2f}s")  # fmt: skip


def test_rolling_report_covers_every_date_up_to_d(reported: Reported) -> None:
    text = (reported.monitoring / "rolling_report.md").read_text()
    for heading in ("Forecast accuracy", "ROI and CLV", "Odds coverage", "mapping quality"):
        assert heading in text
    assert "_No data" not in text
    dates = {date.fromisoformat(d) for d in re.findall(r"^\| (\d{4}-\d\d-\d\d) \|", text, re.M)}
    settled = reported.query(
        "select min(game_date) as first from main.fct_forecast_accuracy_daily", []
    )
    assert max(dates) <= reported.day and settled["first"][0].date() in dates


def test_workbook_holds_the_recommended_bets_of_d(reported: Reported) -> None:
    assert reported.export.exit_code == 0, reported.export.output
    book = load_workbook(reported.home.outputs / "ev_analysis" / "MultiBookBestBets.xlsx")
    assert book.sheetnames == [f"Best bets {reported.day}", "Notes"]
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    for name in ("Player", "Line", "Side", "Best book", "EV per unit", "Stake", "Game ID"):
        assert name in header
    books = [h for h in header if "(American" in h and not h.startswith("Best price")]
    assert len(books) >= 2, header
    got = pd.DataFrame(rows[1:], columns=header)
    want = reported.query(  # the stake of the run's staking policy (fct_bet_stakes)
        "select r.game_id, r.player_id, r.market, r.line, r.side, s.stake, r.price_american,"
        " r.book_id, r.side_model_prob, r.side_prob, s.staking"
        " from main.fct_bet_recommendations as r inner join main.fct_bet_stakes as s"
        " on r.game_id = s.game_id and r.player_id = s.player_id and r.market = s.market"
        " and r.line = s.line where r.game_date = ? and r.is_recommended",
        [reported.day],
    )
    assert len(want) > 0 and len(got) == len(want)
    keys = ["game_id", "player_id", "market", "line", "side"]
    got = got.rename(columns={"Game ID": "game_id", "Player ID": "player_id", "Market": "market",
                              "Line": "line", "Side": "side", "Stake": "stake"})  # fmt: skip
    merged = want.merge(got, on=keys, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert np.allclose(merged.stake_x, merged.stake_y) and (merged.Staking == merged.staking).all()
    # "Model prob" is the raw model's; "Priced prob" the one EV and the stake use
    assert np.allclose(merged["Model prob"], merged.side_model_prob)
    assert np.allclose(merged["Priced prob"], merged.side_prob)
    names = dict(reported.query("select book_id, book_name from main.sportsbooks", []).values)
    for _, bet in merged.iterrows():  # the best book's column holds the price taken, in bold
        column = next(h for h in books if h.startswith(f"{names[bet.book_id]} ("))
        assert bet[column] == bet.price_american
    bold = [c.font.bold for c in sheet[2] if c.value is not None]
    assert sum(bold) >= 1


def test_audit_has_one_row_per_scored_line(reported: Reported) -> None:
    audits = reported.home.outputs / "audits"
    scored = reported.query(
        "select count(*) as n, count(case when is_recommended then 1 end) as bets"
        " from main.fct_bet_recommendations where game_date = ?",
        [reported.day],
    ).iloc[0]
    predictions = reported.query(
        # The audit is of every priced line: the props and the game totals.
        "select count(*) as n from main.fct_predictions where game_date = ?",
        [reported.day],
    ).n[0]
    frame = pd.read_csv(audits / f"ev_prob_audit_{reported.day}.csv")
    lines = (audits / f"ev_prob_audit_{reported.day}.jsonl").read_text().splitlines()
    assert len(frame) == len(lines) == scored.n == predictions > 0
    assert (frame.decision == "bet").sum() == scored.bets
    row = json.loads(lines[0])
    for column in ("prob_over", "market_prob_over", "best_over_price_american", "ev_over",
                   "ev_under", "decision", "reason_code"):  # fmt: skip
        assert column in row
    assert row["game_date"] == str(reported.day)
    assert (
        f"{scored.n} lines scored, {scored.bets} bets"
        in (audits / f"ev_prob_audit_{reported.day}.md").read_text()
    )


def test_zero_bets_is_not_an_error(reported: Reported) -> None:
    day, result = reported.no_bets_day, reported.no_bets_export
    assert result.exit_code == 0, result.output
    assert result.json["bets"] == 0 and result.json["no_bet_reason"] == "no_value"
    assert len(reported.no_bets_rows) == 1 and "Stake" in reported.no_bets_rows[0]
    audits = reported.home.outputs / "audits"
    assert len(pd.read_csv(audits / f"ev_prob_audit_{day}.csv")) == result.json["lines_scored"]
    assert "No bets: no_value" in (audits / f"ev_prob_audit_{day}.md").read_text()


def test_a_date_without_data_is_degraded_and_says_why(reported: Reported) -> None:
    day, result = reported.empty_day, reported.empty_report
    assert result.exit_code == 3, result.output
    assert f"recover with: propcast run-day --date {day}" in " ".join(result.output.split())
    assert set(result.json["missing"]) >= {"slate", "calibration", "roi", "clv"}
    page = (reported.monitoring / f"report_{day}.html").read_text()
    for plot_id in PLOT_IDS:
        assert f'<figure id="{plot_id}" class="plot" data-has-data="false">' in page
    assert page.count('<p class="no-data">No chart:') == len(PLOT_IDS)
    ledger = re.search(r'<section id="ledger">(.*?)</section>', page, re.S).group(1)
    assert "<figure" not in ledger and ledger.count("<p") == 1, ledger  # one line, no chart
    assert f"No placed bet up to {day} in the ledger" in ledger
    export = reported.empty_export
    assert export.exit_code == 3 and export.json["lines_scored"] == 0
    csv = reported.home.outputs / "audits" / f"ev_prob_audit_{day}.csv"
    assert csv.read_text().startswith("game_date,game_id,player_id")


def test_a_home_without_warehouse_fails_with_the_recovery(home: Home) -> None:
    for command in ("report", "export"):
        result = _invoke(command, "--date", "2027-01-12", "--json")
        assert result.exit_code == 1, result.output
        assert result.json["recover"] == "propcast run-day --date 2027-01-12"
        assert "recover with: propcast run-day --date 2027-01-12" in result.output
    assert not home.warehouse.exists()


def test_monitoring_marts_are_read_once_built() -> None:
    """fct_ev_summary_daily and fct_odds_coverage_daily (declared columns) are preferred when
    present; absent, their sections say so or fall back."""
    day = date(2027, 1, 12)
    with duckdb.connect() as con:
        assert report_data.accuracy(con, day).missing == "fct_forecast_accuracy_daily not built yet"
        assert "not built yet" in (report_data.ev_summary(con, day).missing or "")
        con.execute(
            "create table fct_ev_summary_daily as select * from (values"
            " (date '2027-01-11', 'player_points', 10, 4, 8.0, 0.4, 4, 3, 1, 0, 2.0, 0.25, 0.02),"
            " (date '2027-01-11', 'player_rebounds', 5, 2, 2.0, 0.1, 2, 0, 2, 0, -2.0, -1.0,"
            " -0.01)) as t(game_date, market, lines_priced, recommendations, total_stake,"
            " expected_profit, settled_bets, bets_won, bets_lost, bets_pushed, profit, roi,"
            " mean_clv)"
        )
        con.execute(
            "create table fct_odds_coverage_daily as select * from (values"
            " (date '2027-01-11', 'oddsapi', 'fanduel', 10, 9, 100, 80, 400, 0.9, 0.8),"
            " (date '2027-01-11', 'oddsapi', 'betmgm', 10, 10, 100, 90, 450, 1.0, 0.9))"
            " as t(game_date, vendor, book_id, games_scheduled, games_offered,"
            " players_expected, players_offered, lines_offered, game_coverage, player_coverage)"
        )
        ev = report_data.ev_summary(con, day)
        coverage = report_data.coverage(con, day)
        con.execute(  # the mart's extra columns, when it has them, are used as they are
            "alter table fct_ev_summary_daily add column settled_stake double;"
            " alter table fct_ev_summary_daily add column bets_with_clv bigint;"
            " update fct_ev_summary_daily set settled_stake = total_stake - 1, bets_with_clv = 1"
        )
        exact = report_data.ev_summary(con, day).frame.iloc[0]
    assert ev.source == "fct_ev_summary_daily" and ev.has_data
    row = ev.frame.iloc[0]
    assert row.settled_stake == pytest.approx(10.0) and row.roi == pytest.approx(0.0)
    assert row.mean_clv == pytest.approx((0.02 * 4 - 0.01 * 2) / 6)
    assert exact.settled_stake == pytest.approx(8.0) and exact.mean_clv == pytest.approx(0.005)
    assert coverage.source == "fct_odds_coverage_daily"
    assert coverage.frame.player_coverage.iloc[0] == pytest.approx(0.85)
