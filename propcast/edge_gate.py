"""The edge gate in words: per (league, market family) whether a slate's bets are published.

The gate itself is SQL (models/marts/predictions/fct_edge_evidence_daily.sql, README "The edge
gate"): a family's recommendations are published only while the settled lines of the window
before the slate show the model's log loss below the market's (var edge_gate_benchmark: the
de-vigged market at the priced snapshot by default, or the de-vigged close) with the 95 %
day-clustered interval below zero. This module reads that mart for the reports, `status`,
run-day's verdict and positive-control, and sets claimed EV against realised ROI of past
recommendations (fct_bet_settlements) per family.

Every family the pricing bets is stated: the player props and each league's game totals.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from propcast.settings import Home, SettingsError

GATE_SQL = """
    select league, market_family, gate_open, is_edge_shown, n_lines, n_days, window_days,
           logloss_diff, ci_low, ci_high, shrink_weight, reason
    from main.fct_edge_evidence_daily
    where game_date = ?
    order by league, market_family
"""

SETTLED_BETS_SQL = """
    select league, market_family, ev, stake, profit
    from main.fct_bet_settlements
    where game_date between ? and ? and is_settled and stake > 0
"""

GATE_OFF_PREFIX = "gate off"
#: The setting that switches the gate off for every dbt invocation of a process (dbt var
#: edge_gate false): `off` for a world where pricing mechanics, not the evidence, are the subject
#: (the test suite's session worlds); unset or `on`: the project's var (default on).
GATE_ENV = "PROPCAST_EDGE_GATE"
GATE_VALUES = {"on": True, "off": False}


def edge_gate_vars() -> dict[str, bool]:
    """{"edge_gate": False} when PROPCAST_EDGE_GATE is off, {} when unset or on (the dbt var
    decides); SettingsError for any other value."""
    raw = os.environ.get(GATE_ENV, "").strip().lower()
    if not raw or raw == "on":
        return {}
    if raw not in GATE_VALUES:
        raise SettingsError(
            f"{GATE_ENV}={os.environ.get(GATE_ENV)!r} must be on or off (off: bets are priced "
            "on the raw model probability, no evidence required); unset it for the default on"
        )
    return {"edge_gate": False}


@dataclass(frozen=True)
class GateState:
    """One family's gate on one slate (a row of fct_edge_evidence_daily)."""

    league: str
    market_family: str
    gate_open: bool
    is_edge_shown: bool
    n_lines: int
    n_days: int
    window_days: int
    logloss_diff: float | None
    ci_low: float | None
    ci_high: float | None
    shrink_weight: float
    reason: str

    @property
    def family(self) -> str:
        return f"{self.league} {self.market_family}"

    @property
    def gate_off(self) -> bool:
        """Built with var edge_gate false: open whatever the evidence says."""
        return self.reason.startswith(GATE_OFF_PREFIX)

    @property
    def withheld(self) -> bool:
        """The gate, switched on, would withhold this family's bets on the slate."""
        return not self.is_edge_shown

    def evidence(self) -> str:
        """`Δ -0.0042 [-0.0061, -0.0023] over 58 days, 12,345 lines` (model - market log loss,
        95 % day-clustered interval, the window's settled days and lines)."""
        if self.logloss_diff is None:
            return f"no settled line in the {self.window_days} days before the slate"
        interval = (
            f" [{_signed(self.ci_low)}, {_signed(self.ci_high)}]"
            if self.ci_low is not None and self.ci_high is not None
            else " [no interval: one day]"
        )
        return (
            f"Δ {_signed(self.logloss_diff)}{interval} over {self.n_days} "
            f"day{'s' if self.n_days != 1 else ''}, {self.n_lines:,} lines"
        )

    def sentence(self) -> str:
        """The gate line of the reports, status and run-day."""
        if self.gate_off:
            shown = "shown" if self.is_edge_shown else "not shown"
            return (
                f"gate off (var edge_gate false): bets priced on the raw model for {self.family}; "
                f"the model is {shown} better than the market: {self.evidence()}"
            )
        if self.gate_open:
            return (
                f"bets published: the model is shown better than the market for {self.family}: "
                f"{self.evidence()}; priced at {self.shrink_weight:.2f} of the way from the "
                "market to the model"
            )
        return (
            f"no bets for {self.family}: the model is not shown better than the market: "
            f"{self.evidence()} ({self.reason})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sentence": self.sentence()}


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.4f}"


def _opt_float(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def gate_states(frame: pd.DataFrame) -> list[GateState]:
    """GateState per row of a GATE_SQL result."""
    return [
        GateState(
            league=str(row.league),
            market_family=str(row.market_family),
            gate_open=bool(row.gate_open),
            is_edge_shown=bool(row.is_edge_shown),
            n_lines=int(row.n_lines),
            n_days=int(row.n_days),
            window_days=int(row.window_days),
            logloss_diff=_opt_float(row.logloss_diff),
            ci_low=_opt_float(row.ci_low),
            ci_high=_opt_float(row.ci_high),
            shrink_weight=float(row.shrink_weight),
            reason=str(row.reason),
        )
        for row in frame.itertuples(index=False)
    ]


def read_gate(con: duckdb.DuckDBPyConnection, day: date) -> list[GateState] | None:
    """The slate's gate per priced family; None when the warehouse has no evidence mart (built
    before the gate existed)."""
    try:
        frame = con.execute(GATE_SQL, [day]).df()
    except duckdb.CatalogException:
        return None
    return gate_states(frame)


def gate_summary(states: list[GateState] | None) -> str | None:
    """One clause for run-day's verdict: which families publish and which are withheld."""
    if not states:
        return None
    closed = [s for s in states if not s.gate_open]
    if not closed:
        return "; ".join(s.sentence() for s in states)
    return "; ".join(s.sentence() for s in closed) + (
        f" (edge gate: {len(closed)} of {len(states)} families withheld on purpose, not a failure)"
    )


def claims_vs_results(bets: pd.DataFrame) -> pd.DataFrame:
    """Per league x family over settled recommended bets (won, lost or push): the number of
    bets, the stake, the stake-weighted mean EV the pricing claimed, and the realised ROI
    (profit / stake); `gap` = ROI - claimed EV (negative: the claims were over-confident)."""
    columns = ["league", "market_family", "bets", "staked", "claimed_ev", "realised_roi", "gap"]
    if bets.empty:
        return pd.DataFrame(columns=columns)
    frame = bets.assign(
        league=bets["league"].fillna("?"),
        ev_stake=bets["ev"] * bets["stake"],
    )
    grouped = frame.groupby(["league", "market_family"], sort=True).agg(
        bets=("stake", "size"),
        staked=("stake", "sum"),
        ev_stake=("ev_stake", "sum"),
        profit=("profit", "sum"),
    )
    grouped["claimed_ev"] = grouped["ev_stake"] / grouped["staked"]
    grouped["realised_roi"] = grouped["profit"] / grouped["staked"]
    grouped["gap"] = grouped["realised_roi"] - grouped["claimed_ev"]
    return grouped.reset_index()[columns]


def read_claims(con: duckdb.DuckDBPyConnection, day: date, window_days: int) -> pd.DataFrame:
    """claims_vs_results over the bets settled in [day - window_days, day - 1]."""
    try:
        bets = con.execute(
            SETTLED_BETS_SQL, [day - timedelta(days=window_days), day - timedelta(days=1)]
        ).df()
    except duckdb.CatalogException:
        bets = pd.DataFrame(columns=["league", "market_family", "ev", "stake", "profit"])
    return claims_vs_results(bets)


def markdown_section(
    states: list[GateState] | None, claims: pd.DataFrame, day: date, window_days: int
) -> str:
    """The reports' "Edge gate" section: one line per family, then claimed EV vs ROI."""
    lines = ["", "## Edge gate (is the model shown better than the market?)"]
    if states is None:
        lines.append(
            "_Not available: this warehouse has no fct_edge_evidence_daily (built before the "
            "gate); recover with `propcast build`._"
        )
        return "\n".join(lines) + "\n"
    if not states:
        lines.append(f"No priced family on {day}.")
    lines += [f"- **{s.sentence()}**" for s in states]
    lines += [
        "",
        "Δ = model - market log loss per settled line (negative: the model is better), 95 % "
        "interval from a day-clustered standard error; the market is the de-vigged price of "
        "`edge_gate_benchmark` (the priced snapshot by default, or the close). "
        'README "The edge gate".',
        "",
        "### Claimed EV vs realised ROI of past recommendations "
        f"({day - timedelta(days=window_days)} to {day - timedelta(days=1)}, settled bets)",
    ]
    if claims.empty:
        lines.append("No settled recommendation in the window.")
    else:
        lines.append("| league | family | bets | staked | claimed EV | realised ROI | ROI - EV |")
        lines.append("|---|---|---:|---:|---:|---:|---:|")
        for row in claims.itertuples(index=False):
            lines.append(
                f"| {row.league} | {row.market_family} | {int(row.bets)} | {row.staked:,.2f} | "
                f"{row.claimed_ev:+.2%} | {row.realised_roi:+.2%} | {row.gap:+.2%} |"
            )
    return "\n".join(lines) + "\n"


def read_gate_for_status(home: Home, day: date) -> tuple[list[GateState] | None, str | None]:
    """The slate's gate for `propcast status`, which must work while a run holds the
    warehouse: (states, None), or (None, why it could not be read)."""
    from propcast.health import writer_holder
    from propcast.warehouse import connect

    if not home.warehouse.exists():
        return None, f"no warehouse at {home.warehouse}"
    holder = writer_holder(home)
    if holder:
        return None, f"the warehouse is held by a run ({holder}); the run's message states it"
    try:
        with connect(home) as con:
            states = read_gate(con, day)
    except duckdb.Error as exc:
        return None, f"the warehouse could not be read ({str(exc).splitlines()[0]})"
    if states is None:
        return None, "no fct_edge_evidence_daily in this warehouse (propcast build makes it)"
    return states, None


DEFAULT_WINDOW_DAYS = 60  # dbt var edge_gate_window_days' default (a slate without evidence)


def report_section(con: duckdb.DuckDBPyConnection, day: date) -> str:
    """markdown_section for slate `day`, read from the warehouse."""
    states = read_gate(con, day)
    window = states[0].window_days if states else DEFAULT_WINDOW_DAYS
    return markdown_section(states, read_claims(con, day, window), day, window)


__all__ = [
    "GATE_ENV",
    "GateState",
    "claims_vs_results",
    "edge_gate_vars",
    "gate_states",
    "gate_summary",
    "markdown_section",
    "read_claims",
    "read_gate",
    "read_gate_for_status",
    "report_section",
]
