"""What every vendor adapter returns: the payload's rows in the vendor's own field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
