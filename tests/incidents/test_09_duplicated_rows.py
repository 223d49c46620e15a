"""Incident 9: reruns and backfills duplicated rows.

On the replayed morning (`bad_morning`) a legacy loader appends some of yesterday's odds rows
to fct_prop_odds again. `propcast validate-golden --existing` checks every model at its
declared grain and names the duplicated keys; the 14:00 rerun of the morning job
(`propcast run-day`) replaces yesterday's and today's slices whole and loads each payload
once: validate-golden passes and every table equals the demo's (docs/runbooks/09-duplicated-rows.md).
"""

from __future__ import annotations

import csv
from datetime import datetime

from propcast.settings import Home
from tests.reliability.tally import record
from tests.tools.compare_warehouses import table_checksums, table_columns

from .conftest import (
    CLOCK_COLUMNS,
    PRICED,
    RUN_TABLES,
    SLATE,
    BadMorning,
    cli,
    differing,
    release_dbt_connection,
    scalar,
)

#: What prices a slate, from its lines to the stakes of its bets.
PRICING_CHAIN = (
    "main.fct_prop_line_features",
    "main.fct_game_total_features",
    "main.fct_predictions",
    "main.fct_bet_recommendations",
    "main.fct_bet_stakes",
)


def test_validate_golden_names_duplicates_and_a_rerun_leaves_none(
    bad_morning: BadMorning,
) -> None:
    shown = bad_morning.doubled_golden
    assert shown.code == 1, shown
    checks = {c["name"]: c for c in shown.body["checks"]}
    grain = checks["grain fct_prop_odds"]
    assert not grain["passed"], grain
    assert grain["detail"].startswith(f"{bad_morning.doubled} duplicated (vendor, book_id"), grain
    assert "failing: " in shown.body["message"] and "grain fct_prop_odds" in shown.body["message"]
    others = [n for n, c in checks.items() if n.startswith("grain ") and not c["passed"]]
    assert others == ["grain fct_prop_odds"]

    assert bad_morning.priced.code == 0, bad_morning.priced
    held = bad_morning.golden
    assert held.code == 0, held
    assert all(c["passed"] for c in held.body["checks"])
    assert bad_morning.differs == {}, bad_morning.differs  # nothing doubled anywhere
    record("incidents", 1, 1)


def game_date_tables(home: Home) -> dict[str, set[str]]:
    """The dbt tables with a game_date column, and their columns less the clock's."""
    skip = CLOCK_COLUMNS["*"] | {"scored_at", "status_loaded_at", "now_utc"}
    columns = table_columns(str(home.warehouse))
    return {
        table: names - skip
        for table, names in columns.items()
        if table.startswith("main.") and "game_date" in names and table not in RUN_TABLES
    }


def slate_rows(home: Home, tables: dict[str, set[str]]) -> dict[str, int]:
    return {t: scalar(home, f"select count(*) from {t} where game_date = ?", SLATE) for t in tables}


def postpone_the_slate(home: Home, published: datetime) -> int:
    """The league feed publishes every game of the slate as postponed: a schedule file in the
    world's feed, as the league would send it. Returns the games postponed."""
    schedule = home.world / "feeds" / "league" / "schedule"
    rows: dict[str, list[str]] = {}
    for path in sorted(schedule.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            for row in reader:
                if row[header.index("game_date")] == SLATE.isoformat():
                    rows[row[header.index("game_id")]] = row
    assert rows, f"the world schedules no game on {SLATE}"
    fetched = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = schedule / f"{SLATE}__{published:%Y%m%dT%H%M%SZ}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows.values():
            status = header.index("status")
            row[status : status + 3] = ["postponed", "", ""]
            row[header.index("fetched_at")] = fetched
            writer.writerow(row)
    return len(rows)


def test_a_rerun_that_finds_the_slate_postponed_keeps_no_prediction_or_bet_on_it(
    incident_home: Home,
) -> None:
    """Every game of the priced slate is postponed at 13:00; the 14:00 rerun builds the slate
    empty. dbt's delete+insert replaced only the dates its new rows held, so the slate's old
    lines, predictions and bets stayed, recommending bets on games that will not be played
    (macros/incremental/replace_game_dates.sql empties every date a run rebuilds). Every other
    date is left exactly as it was."""
    home = incident_home
    tables = game_date_tables(home)
    priced = slate_rows(home, tables)
    for table in PRICING_CHAIN:
        assert priced[table] > 0, (table, priced)
    others = f"where game_date <> date '{SLATE}'"
    before = table_checksums(str(home.warehouse), set(), tables, where=others)
    postponed = postpone_the_slate(home, datetime(2027, 1, 12, 18, 0))  # 13:00 ET, naive UTC

    rerun = cli("run-day", **PRICED)
    assert rerun.code == 0, rerun
    assert f"NOT priced: all {postponed} of its games are postponed" in rerun.out, rerun
    release_dbt_connection()
    after = slate_rows(home, tables)
    assert {t: after[t] for t in PRICING_CHAIN} == dict.fromkeys(PRICING_CHAIN, 0), after
    reason = "select no_bet_reason from main.fct_slate_summary_daily where game_date = ?"
    assert scalar(home, reason, SLATE) == "no_games"
    report = (home.outputs / "monitoring" / f"daily_report_{SLATE}.md").read_text()
    assert "**0 bets**" in report and report.count("| postponed |") == postponed
    assert "every game listed on it is postponed" in report
    verified = cli("verify", "--date", str(SLATE), **PRICED)
    assert verified.code == 0 and "nothing to predict" in verified.out, verified
    unchanged = table_checksums(str(home.warehouse), set(), tables, where=others)
    assert differing(before, unchanged) == {}
