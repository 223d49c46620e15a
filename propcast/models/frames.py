"""DataFrame plumbing shared by training and scoring: column checks, dates, feature matrices.

Frames come from `dbt.ref(...).df()` on DuckDB (dates as datetime64[us], nullable integers and
booleans in several dtypes) or from tests (datetime.date objects); everything is normalised here
so training and scoring see identical matrices for identical rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import pandas as pd


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise a ValueError naming every missing column (not just the first)."""
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        have = sorted(map(str, frame.columns))
        shown = ", ".join(have[:30]) + (f", … ({len(have)} columns)" if len(have) > 30 else "")
        raise ValueError(f"{what}: missing column(s) {missing}; frame has {shown}")


def game_days(values: pd.Series, what: str = "game_date") -> np.ndarray:
    """Game dates as numpy `datetime64[D]`; NaT/None is an error (a row without a date cannot
    be placed on the train/score side of `train_end`)."""
    ts = pd.to_datetime(values)
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_localize(None)
    if ts.isna().any():
        raise ValueError(f"{what}: {int(ts.isna().sum())} row(s) have no {what}")
    return ts.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def day(d: date) -> np.datetime64:
    """A date as `datetime64[D]`, comparable with `game_days` output."""
    return np.datetime64(d.isoformat(), "D")


def to_date(d: np.datetime64) -> date:
    """`datetime64[D]` back to a plain date."""
    return date.fromisoformat(str(np.datetime64(d, "D")))


def format_days(days: Iterable[np.datetime64], limit: int = 8) -> str:
    """Comma-separated ISO dates, shortened after `limit` so error messages stay readable."""
    uniq = sorted({np.datetime64(d, "D") for d in days})
    text = ", ".join(str(d) for d in uniq[:limit])
    if len(uniq) > limit:
        text += f", … ({len(uniq)} dates)"
    return text


def numeric_column(col: pd.Series) -> tuple[np.ndarray, object | None]:
    """A column as float64 (missing values NaN) and, when a value is not numeric, the first such
    value (else None)."""
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan), None
    converted = pd.to_numeric(col.astype("object"), errors="coerce")
    newly_null = converted.isna() & col.notna()
    if newly_null.any():
        return np.empty(0), col[newly_null].iloc[0]
    return converted.to_numpy(dtype=np.float64, na_value=np.nan), None


def feature_matrix(
    frame: pd.DataFrame, columns: Sequence[str], what: str, *, order: str = "C"
) -> np.ndarray:
    """Float64 matrix of `columns` in that order; missing values become NaN (LightGBM treats
    NaN as missing). Non-numeric columns are an error naming them rather than a silent cast.
    `order="F"` lays each column out contiguously (LightGBM reads either layout without a
    copy; filling column by column is faster in F order)."""
    require_columns(frame, columns, what)
    out = np.empty((len(frame), len(columns)), dtype=np.float64, order=order)
    bad: list[str] = []
    for j, name in enumerate(columns):
        values, first_bad = numeric_column(frame[name])
        if first_bad is not None:
            bad.append(f"{name} (e.g. {first_bad!r})")
            continue
        out[:, j] = values
    if bad:
        raise ValueError(f"{what}: non-numeric feature column(s): {', '.join(bad)}")
    return out
