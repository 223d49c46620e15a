"""What every vendor adapter returns, and the column-wise row checks they share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd


class UnparseablePayload(ValueError):
    """The whole payload is unusable (not JSON/CSV, wrong shape): it is quarantined whole."""


@dataclass
class RejectedRow:
    row_number: int
    row_text: str
    reason: str


@dataclass
class ParsedPayload:
    """Rows ready for the raw table (vendor columns + `game_date`) and the rows refused."""

    fetched_at: datetime | None
    rows: pd.DataFrame
    rejected: list[RejectedRow] = field(default_factory=list)


Check = tuple[pd.Series | np.ndarray, str]


def first_failure(length: int, checks: Sequence[Check]) -> pd.Series:
    """Per row, the reason of the first check it fails (None when it passes them all).

    Checks are boolean masks in priority order; evaluating them column-wise is what keeps
    ingestion fast (a Python function per row costs more than the rest of the load).
    """
    reasons = pd.Series([None] * length, dtype=object)
    for mask, reason in reversed(checks):
        reasons[np.asarray(mask, dtype=bool)] = reason
    return reasons


def blank(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip() == ""


def split_rejected(
    frame: pd.DataFrame, reasons: pd.Series, row_text, first_row_number: int = 1
) -> tuple[pd.DataFrame, list[RejectedRow]]:
    """Good rows, and the bad ones as quarantine records (`row_text(i)` renders row i)."""
    bad = reasons.notna().to_numpy()
    rejected = [
        RejectedRow(int(i) + first_row_number, row_text(int(i)), str(reasons.iloc[i]))
        for i in np.flatnonzero(bad)
    ]
    return frame.loc[~bad].reset_index(drop=True), rejected


def numeric(values: pd.Series) -> pd.Series:
    """Numbers stay numbers (as float); text, booleans and missing values become NaN."""
    return pd.Series(
        [v if isinstance(v, int | float) and not isinstance(v, bool) else np.nan for v in values],
        index=values.index,
        dtype="float64",
    )
