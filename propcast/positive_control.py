"""`propcast positive-control --date D`: prove that pricing recommends value and only value.

"0 opportunities" is ambiguous (DESIGN §7, incident 3): no value, or a pricing step that can no
longer recommend anything? The control answers it on a copy of the warehouse — the live file is
copied byte for byte and never opened for writing — by injecting two lines into D's
predictions and re-running the production pricing SQL (`fct_bet_recommendations`, through dbt,
for D) on the copy:

- a value line: a real prediction of D (the model's probability p, its game, market and line)
  offered at a single book at decimal price (1 + 5 %) / p, so the model sees +5 % EV on the Over;
  its Under is priced fairly with vig;
- a fair line: the same kind of line priced at the model's fair price with vig on both sides
  (1 / (p (1 + vig))), whose EV is negative whichever side is taken.

It passes only if the first is recommended (side Over) and the second is not.

The control tests the pricing path, not the evidence: it prices with the edge gate off (dbt var
edge_gate false: the raw model probability, README "The edge gate"), and says whether the gate
would have withheld the value line's family on the live warehouse (fct_edge_evidence_daily of
the slate, read on the copy before it is re-priced).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from propcast.edge_gate import GateState, read_gate
from propcast.settings import Home
from propcast.warehouse import connect

VALUE_EV = 0.05  # the mispriced line's EV per unit stake against the model
VIG = 0.045  # the fair line's overround per side (about -110 / -110)
VALUE_PLAYER = "positive-control-value"
FAIR_PLAYER = "positive-control-fair"

Say = Callable[[str], None]


class ControlError(RuntimeError):
    """The control could not run (no predictions for D, a locked warehouse, dbt failed)."""


@dataclass(frozen=True)
class ControlLine:
    label: str  # value | fair
    player_id: str
    game_id: str
    market: str
    line: float
    prob_over: float
    side: str | None
    book_id: str | None
    price_decimal: float | None
    price_american: float | None
    ev: float | None
    is_recommended: bool
    reason_code: str
    stake: float | None
    expected_recommended: bool

    @property
    def as_expected(self) -> bool:
        return self.is_recommended == self.expected_recommended and (
            not self.expected_recommended or self.side == "over"
        )

    def describe(self) -> str:
        decision = "RECOMMENDED" if self.is_recommended else "not recommended"
        price = f"{self.price_decimal:.3f}" if self.price_decimal is not None else "-"
        ev = f"{self.ev:+.2%}" if self.ev is not None else "-"
        expected = "recommended" if self.expected_recommended else "not recommended"
        return (
            f"{self.label:<5} line {self.game_id} {self.market} {self.line:g} (model p_over "
            f"{self.prob_over:.3f}): {self.side or '-'} at {price} ({self.book_id or '-'}), "
            f"EV {ev}: {decision} [{self.reason_code}], expected {expected}"
        )


@dataclass
class ControlOutcome:
    day: date
    lines: list[ControlLine] = field(default_factory=list)
    copy_path: str | None = None
    slate_recommended: int = 0  # the slate's own recommendations on the copy, for context
    gate: GateState | None = None  # the value line's family on the live warehouse

    @property
    def gate_would_withhold(self) -> bool | None:
        """Whether the edge gate, on, would withhold the value line's family on the live
        warehouse (None: no evidence for that family and slate)."""
        return None if self.gate is None else self.gate.withheld

    def gate_line(self) -> str:
        if self.gate is None:
            return (
                "edge gate: no evidence row for the value line's family on this slate in the "
                "live warehouse (propcast build makes fct_edge_evidence_daily)"
            )
        verdict = "WOULD withhold" if self.gate.withheld else "would publish"
        return (
            f"edge gate (off for this control): on the live warehouse it {verdict} "
            f"{self.gate.family} bets: {self.gate.evidence()} ({self.gate.reason})"
        )

    @property
    def passed(self) -> bool:
        return len(self.lines) == 2 and all(line.as_expected for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_date": str(self.day),
            "passed": self.passed,
            "lines": [asdict(line) for line in self.lines],
            "slate_recommended": self.slate_recommended,
            "copy_path": self.copy_path,
            "gate_would_withhold": self.gate_would_withhold,
            "gate": self.gate.as_dict() if self.gate is not None else None,
        }


def american(decimal: float) -> float:
    """Decimal odds as American odds (+150 / -120)."""
    return round((decimal - 1.0) * 100.0 if decimal >= 2.0 else -100.0 / (decimal - 1.0), 2)


def fair_with_vig(prob: float) -> float:
    """The decimal price a book offers on an outcome of probability `prob` with VIG added."""
    return round(1.0 / (prob * (1.0 + VIG)), 4)


def copy_home(home: Home, target: Path) -> Home:
    """A home holding a byte copy of the live warehouse (and its write-ahead log, if any), made
    without opening the live file: nothing is checkpointed or written there."""
    copy = Home(target).ensure()
    shutil.copy2(home.warehouse, copy.warehouse)
    wal = home.warehouse.with_name(home.warehouse.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, copy.warehouse.with_name(copy.warehouse.name + ".wal"))
    return copy


def _injected(base: pd.DataFrame) -> pd.DataFrame:
    """Two prediction rows built from two of D's real predictions: value and fair."""
    value, fair = base.iloc[0].copy(), base.iloc[-1].copy()
    p_value, p_fair = float(value["prob_over"]), float(fair["prob_over"])
    value["player_id"] = VALUE_PLAYER
    value["best_over_price_decimal"] = round((1.0 + VALUE_EV) / p_value, 4)
    value["best_under_price_decimal"] = fair_with_vig(1.0 - p_value)
    fair["player_id"] = FAIR_PLAYER
    fair["best_over_price_decimal"] = fair_with_vig(p_fair)
    fair["best_under_price_decimal"] = fair_with_vig(1.0 - p_fair)
    rows = pd.DataFrame([value, fair])
    for side in ("over", "under"):
        rows[f"best_{side}_price_american"] = rows[f"best_{side}_price_decimal"].map(american)
    return rows.reset_index(drop=True)


def inject(copy: Home, day: date) -> pd.DataFrame:
    """Insert the two control lines into the copy's fct_predictions for `day`."""
    with connect(copy) as con:
        base = con.execute(
            "select * from main.fct_predictions where game_date = ? and prob_over between 0.3 "
            "and 0.7 and best_over_book_id is not null and best_under_book_id is not null "
            "order by game_id, player_id, market, line limit 2",
            [day],
        ).df()
        if base.empty:
            raise ControlError(
                f"no prediction for {day} to take the model's probability from (fct_predictions "
                "holds none with 0.3 <= prob_over <= 0.7 and both sides priced)"
            )
        rows = _injected(base)
        con.register("_control_rows", rows)
        con.execute("insert into main.fct_predictions by name select * from _control_rows")
        con.unregister("_control_rows")
    return rows


def _read_lines(copy: Home, day: date, injected: pd.DataFrame) -> tuple[list[ControlLine], int]:
    with connect(copy) as con:
        priced = con.execute(
            "select * from main.fct_bet_recommendations where game_date = ? and player_id in "
            "(?, ?)",
            [day, VALUE_PLAYER, FAIR_PLAYER],
        ).df()
        slate = con.execute(
            "select count(*) filter (where is_recommended) from main.fct_bet_recommendations "
            "where game_date = ? and player_id not in (?, ?)",
            [day, VALUE_PLAYER, FAIR_PLAYER],
        ).fetchone()[0]
    lines = []
    for label, player, expected in (("value", VALUE_PLAYER, True), ("fair", FAIR_PLAYER, False)):
        got = priced[priced["player_id"] == player]
        src = injected[injected["player_id"] == player].iloc[0]
        if got.empty:
            raise ControlError(
                f"the {label} line was injected but fct_bet_recommendations lacks it"
            )
        row = got.iloc[0]
        lines.append(
            ControlLine(
                label=label,
                player_id=player,
                game_id=str(row["game_id"]),
                market=str(row["market"]),
                line=float(row["line"]),
                prob_over=float(src["prob_over"]),
                side=_opt(row["side"]),
                book_id=_opt(row["book_id"]),
                price_decimal=_num(row["price_decimal"]),
                price_american=_num(row["price_american"]),
                ev=_num(row["ev"]),
                is_recommended=bool(row["is_recommended"]),
                reason_code=str(row["reason_code"]),
                stake=_num(row["stake"]),
                expected_recommended=expected,
            )
        )
    return lines, int(slate or 0)


def live_gate(copy: Home, day: date, injected: pd.DataFrame) -> GateState | None:
    """The edge gate of the value line's family on the slate, as the live warehouse (whose
    byte copy this is, not yet re-priced) holds it."""
    value = injected[injected["player_id"] == VALUE_PLAYER].iloc[0]
    league = _opt(value.get("league"))
    with connect(copy) as con:
        states = read_gate(con, day) or []
    for state in states:
        if state.market_family == str(value["market"]) and (
            league is None or state.league == league.upper()
        ):
            return state
    return None


def _opt(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def run_positive_control(
    home: Home, day: date, *, say: Say = print, keep: bool = False
) -> ControlOutcome:
    """Copy, inject, price with dbt on the copy, read the two decisions back."""
    from propcast.daily import dbt_vars
    from propcast.dbt_runner import Dbt
    from propcast.health import writer_holder
    from propcast.timeutil import default_cutoff

    if not home.warehouse.exists():
        raise ControlError(f"no warehouse at {home.warehouse}")
    holder = writer_holder(home)
    if holder:
        raise ControlError(f"the warehouse is locked by a run ({holder}): a copy could be torn")
    work = Path(tempfile.mkdtemp(prefix="propcast-positive-control-"))
    try:
        copy = copy_home(home, work / "home")
        say(f"copied {home.warehouse} to {copy.warehouse} (the live file is not written)")
        injected = inject(copy, day)
        say(f"injected a +{VALUE_EV:.0%} EV line and a fairly priced line into {day}'s predictions")
        gate = live_gate(copy, day, injected)
        # The project parsed for the live home (dbt's partial parse there: ~1.5 s instead of a
        # 7 s full parse; it writes only dbt's target/ artefacts), then run on the copy.
        live = Dbt(home)
        live.manifest()  # parsed before it is shared: with_home shares what is parsed so far
        result = live.with_home(copy).invoke(
            ["run", "--select", "fct_bet_recommendations"],
            # the gate open: this control tests the pricing path, not the evidence
            run_vars=dbt_vars(day, default_cutoff(day), edge_gate=False),
        )
        if not result.success:
            failed = result.failed[0] if result.failed else None
            why = f"{failed.unique_id}: {failed.message}" if failed else result.error
            raise ControlError(f"pricing failed on the copy: {why}")
        lines, slate = _read_lines(copy, day, injected)
        return ControlOutcome(day, lines, str(copy.root) if keep else None, slate, gate)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


__all__ = [
    "FAIR_PLAYER",
    "VALUE_EV",
    "VALUE_PLAYER",
    "ControlError",
    "ControlLine",
    "ControlOutcome",
    "copy_home",
    "fair_with_vig",
    "run_positive_control",
]
