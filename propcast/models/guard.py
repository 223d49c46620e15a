"""Refuse to publish fallback predictions (DESIGN §5, incident 7).

A model that failed to load, a feature join that came back empty, or a `fillna(0.5)` somewhere
produces output that looks like predictions: zero rows, one constant, or everything at 0.5.
Downstream EV maths would happily bet on that, so the build must fail loudly instead. The only
excuse for flat predictions is a flat market (e.g. archives whose missing prices are assumed
-110/-110, de-vigged to exactly 0.5): then flatness is what the inputs say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from propcast.models.frames import format_days, game_days

MIN_STD = 0.005
HALF_BAND = 0.001
HALF_SHARE = 0.90
#: "Exactly 0.5" for a group too small for a spread (float noise of a fallback's 0.5).
EXACT = 1e-12


class FallbackPredictions(RuntimeError):
    """Predictions look like a fallback (empty, constant or all 0.5); do not publish them."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class _Flatness:
    rows: int
    std: float
    share_near_half: float
    share_exactly_half: float

    def rule(self, min_rows: int) -> str | None:
        """Which flatness rule these numbers break, if any. Groups smaller than `min_rows` only
        fail when every row is exactly 0.5, a fallback's value: a spread is meaningless on a
        handful of rows, and one game's honest 0.5009 (the NHL demo's one-total slate of
        2026-10-18) is no evidence of a fallback."""
        if self.rows >= min_rows and self.share_near_half >= HALF_SHARE:
            return "all_half"
        if self.rows >= min_rows and self.std < MIN_STD:
            return "constant"
        if 0 < self.rows < min_rows and self.share_exactly_half >= 1.0:
            return "all_half"
        return None


def _flatness(values: np.ndarray) -> _Flatness:
    return _Flatness(
        rows=int(values.size),
        std=float(np.std(values)) if values.size else 0.0,
        share_near_half=float(np.mean(np.abs(values - 0.5) <= HALF_BAND)) if values.size else 0.0,
        share_exactly_half=float(np.mean(np.abs(values - 0.5) <= EXACT)) if values.size else 0.0,
    )


def check_not_fallback(
    scored: pd.DataFrame,
    market_prob_column: str | None = None,
    *,
    prob_column: str = "prob_over",
    date_column: str = "game_date",
    run_date: date | None = None,
    min_rows: int = 10,
) -> dict[str, Any]:
    """Raise `FallbackPredictions` if `scored` looks like fallback output; else return stats.

    Rules, checked on all rows together and on each `game_date` separately:
    - zero_rows: no rows at all (or none for `run_date`, when given);
    - invalid: a probability that is missing, not finite or outside [0, 1];
    - all_half: 90 % or more of rows within 0.001 of 0.5;
    - constant: standard deviation of `prob_column` below 0.005.
    The last two are waived for a group whose market probabilities (`market_prob_column`) are
    flat by the same rules. They apply to groups of at least `min_rows` rows; a smaller group
    fails only if every row is exactly 0.5.
    """
    if prob_column not in scored.columns:
        raise FallbackPredictions("missing_column", f"fallback guard: no {prob_column!r} column")
    if market_prob_column is not None and market_prob_column not in scored.columns:
        raise ValueError(f"fallback guard: no market column {market_prob_column!r} in scored rows")
    frame, days = _rows_to_check(scored, date_column, run_date)
    prob = _valid_probabilities(frame, prob_column, days)
    market = None if market_prob_column is None else _numeric(frame[market_prob_column])

    all_dates = sorted(set(days.tolist())) if days is not None else []
    label_all = format_days(days) if days is not None else "all rows (no game_date column)"
    groups = [(label_all, np.ones(len(prob), dtype=bool))]
    if len(all_dates) > 1:
        groups += [(str(np.datetime64(d, "D")), days == d) for d in all_dates]
    for label, mask in groups:
        group_market = None if market is None else market[mask]
        _refuse_if_flat(prob[mask], group_market, label, prob_column, market_prob_column, min_rows)

    overall = _flatness(prob)
    market_flat: bool | None = None
    if market is not None:
        m = market[~np.isnan(market)]
        market_flat = bool(m.size) and _flatness(m).rule(min_rows) is not None
    return {
        "rows": overall.rows,
        "dates": [str(np.datetime64(d, "D")) for d in all_dates],
        "prob_std": overall.std,
        "share_near_half": overall.share_near_half,
        "prob_min": float(prob.min()),
        "prob_max": float(prob.max()),
        "market_flat": market_flat,
    }


def _numeric(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _rows_to_check(
    scored: pd.DataFrame, date_column: str, run_date: date | None
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The rows to check (those of `run_date`, when given) and their game days; refuses none."""
    days = game_days(scored[date_column]) if date_column in scored.columns else None
    frame = scored
    if run_date is not None and days is not None:
        keep = days == np.datetime64(run_date, "D")
        frame, days = scored.loc[keep], days[keep]
    if len(frame) == 0:
        where = f" for game_date {run_date}" if run_date is not None else " at all"
        raise FallbackPredictions(
            "zero_rows",
            f"fallback guard [zero_rows]: no predictions{where} "
            f"({len(scored)} row(s) in total) — refusing to publish an empty slate",
        )
    return frame, days


def _valid_probabilities(
    frame: pd.DataFrame, prob_column: str, days: np.ndarray | None
) -> np.ndarray:
    """`prob_column` as floats, refused when one is missing, not finite or outside [0, 1]."""
    prob = _numeric(frame[prob_column])
    bad = ~np.isfinite(prob) | (prob < 0) | (prob > 1)
    if bad.any():
        dates = f" on {format_days(days[bad])}" if days is not None else ""
        raise FallbackPredictions(
            "invalid",
            f"fallback guard [invalid]: {int(bad.sum())} of {len(prob)} {prob_column} value(s) "
            f"missing, not finite or outside [0, 1]{dates}",
        )
    return prob


def _refuse_if_flat(
    prob: np.ndarray,
    market: np.ndarray | None,
    label: str,
    prob_column: str,
    market_prob_column: str | None,
    min_rows: int,
) -> None:
    """Raise `FallbackPredictions` when one group's probabilities are flat and its market's
    (when given) are not."""
    stats = _flatness(prob)
    rule = stats.rule(min_rows)
    if rule is None:
        return
    market_note = "no market column given"
    if market is not None:
        m = market[~np.isnan(market)]
        mstats = _flatness(m)
        if m.size and mstats.rule(min_rows) is not None:
            return  # the market is flat too: flat predictions are plausible
        market_note = (
            f"market {market_prob_column} is not flat: std {mstats.std:.4f}, "
            f"{mstats.share_near_half:.0%} within {HALF_BAND} of 0.5"
            if m.size
            else f"market {market_prob_column} has no values to excuse it"
        )
    detail = (
        f"std {stats.std:.5f} < {MIN_STD}"
        if rule == "constant"
        else f"{stats.share_near_half:.1%} of rows within {HALF_BAND} of 0.5 (>= {HALF_SHARE:.0%})"
    )
    raise FallbackPredictions(
        rule,
        f"fallback guard [{rule}]: {prob_column} on game_date {label}: {detail} over "
        f"{stats.rows} row(s) (mean {float(np.mean(prob)):.4f}); {market_note} — "
        "refusing to publish fallback predictions",
    )
