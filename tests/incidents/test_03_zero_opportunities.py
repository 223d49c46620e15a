"""Incident 3: "0 opportunities" nobody can tell from a crash.

On the replayed morning (`bad_morning`) the 09:00 run finds no odds for the slate yet: no bets.
The slate report says which of no games / no odds / no mapped players / no value, and
`propcast positive-control` proves pricing still recommends a mispriced line (and not a fair
one), so the empty slate is the data, not the pipeline. Once the vendors publish, `propcast
run-day` prices the slate and the report lists its bets (docs/runbooks/03-zero-opportunities.md).
"""

from __future__ import annotations

from propcast.settings import Home
from propcast.warehouse import connect
from tests.reliability.tally import record

from .conftest import PRICED, SLATE, BadMorning, before_the_morning, cli, scalar


def test_the_report_says_why_no_bets_and_positive_control_proves_pricing(
    bad_morning: BadMorning,
) -> None:
    early = bad_morning.early_report
    assert "10 games, 0 lines offered" in early and "**0 bets**" in early, early[:400]
    assert "**No bets: no_odds** — no odds were received for this slate by the cutoff" in early

    control = bad_morning.control
    assert control.code == 0, control
    value, fair = control.body["lines"]
    assert value["label"] == "value" and value["is_recommended"] and value["side"] == "over"
    assert fair["label"] == "fair" and not fair["is_recommended"]
    assert "RECOMMENDED [value]" in control.out and "not recommended [below_threshold]" in (
        control.out
    )

    priced = bad_morning.priced
    assert priced.code == 0, priced
    report = bad_morning.priced_report
    assert f"# Slate {SLATE}" in report and "No bets" not in report
    bets = int(report.split("**")[1].split()[0])
    assert bets > 0, report[:400]
    record("incidents", 1, 1)


def test_a_missing_schedule_is_not_an_empty_night(incident_home: Home) -> None:
    """Books quote the slate, but the league schedule lists no game on it (its feed is late, or
    a file was refused): every line is unmapped and the slate would read "0 bets" like a night
    without games. The morning run is degraded and names the cause and the recovery; the
    slate report's reason is no_schedule; `propcast verify` reports a problem."""
    before_the_morning(incident_home)
    with connect(incident_home) as con:
        con.execute("delete from raw.raw_schedule where game_date = ?", [SLATE])
    rerun = cli("run-day", **PRICED)
    assert rerun.code == 3, rerun.body
    assert f"the league schedule lists no game on {SLATE}, yet" in rerun.out, rerun
    assert f"propcast recover --date {SLATE}" in rerun.body["message"], rerun.body
    reason = scalar(
        incident_home,
        "select no_bet_reason from main.fct_slate_summary_daily where game_date = ?",
        SLATE,
    )
    assert reason == "no_schedule"
    report = (incident_home.outputs / "monitoring" / f"daily_report_{SLATE}.md").read_text()
    assert "**No bets: no_schedule** — books quote this slate, but the league schedule" in report
    checked = cli("verify", "--date", str(SLATE), **PRICED)
    assert checked.code != 0 and "the league schedule lists no game on it" in checked.out, checked
