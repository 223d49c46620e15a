"""The rows training may use, in one canonical order, and their split by date.

Why: a SQL table has no row order, and a random split of autocorrelated props leaks. Labelling
keeps the family's rows up to `train_end` with a known result and sorts them on the business key,
so the same warehouse always trains the same boosters; `time_split` cuts them by distinct dates
into [training | calibration | validation].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from propcast.models.config import MARKET_PROB_COLUMN, STAT_COLUMN, TrainConfig
from propcast.models.frames import day, game_days, numeric_column, require_columns, to_date


@dataclass(frozen=True)
class LabelledRows:
    """The rows training may use, in canonical order, as arrays: where each row sits in the
    input frame, its game day and label, and the numeric columns training reads (line, market
    probability, stat and features, float64)."""

    positions: np.ndarray
    days: np.ndarray
    went_over: np.ndarray
    columns: Mapping[str, np.ndarray]
    counts: Mapping[str, int]
    all_days: np.ndarray

    def frame(self, rows: pd.DataFrame, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Rows [start, stop) of the canonical order as a frame: the input's columns plus
        `_day`, `_pos` (position in the input) and `went_over`."""
        pos = self.positions[start:stop]
        out = rows.iloc[pos].copy()
        out["_day"] = self.days[start:stop]
        out["_pos"] = pos
        out["went_over"] = self.went_over[start:stop]
        return out

    def matrix(self, names: tuple[str, ...], stop: int) -> np.ndarray:
        """Columns `names` of rows [0, stop), laid out column by column (F order)."""
        out = np.empty((stop, len(names)), dtype=np.float64, order="F")
        for j, name in enumerate(names):
            out[:, j] = self.columns[name][:stop]
        return out


@dataclass(frozen=True)
class DateSplit:
    """Training is the first `train_rows` labelled rows (sorted by date); calibration and
    validation (small) are frames."""

    train_rows: int
    calibration: pd.DataFrame
    validation: pd.DataFrame
    train_days: np.ndarray
    calibration_days: np.ndarray
    validation_days: np.ndarray


def labelled_rows(rows: pd.DataFrame, cfg: TrainConfig) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows training may use, with `went_over` added, plus counts of what was dropped.

    Kept: the family's markets, `game_date <= train_end`, known `stat_value` and `line`, and not
    a push (`stat_value == line`, possible only on integer lines).
    """
    labelled = label_rows(rows, cfg)
    return labelled.frame(rows), dict(labelled.counts)


def _codes(values: np.ndarray | pd.Series) -> tuple[np.ndarray, int]:
    """Dense codes ordering `values` (strings as strings sort, numbers as numbers; missing
    values last) and how many codes there can be."""
    if isinstance(values, pd.Series):
        codes, uniques = pd.factorize(values.astype("string"), sort=True)
        return np.where(codes < 0, len(uniques), codes).astype(np.int64), len(uniques) + 1
    uniques, codes = np.unique(values, return_inverse=True)  # NaN sorts last
    return codes.astype(np.int64), len(uniques)


def _combined_key(parts: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int64 key ordering rows as the codes in `parts` do, first part first (dense
    re-coding when the product of the sizes would overflow)."""
    key = np.zeros(len(parts[0][0]), dtype=np.int64)
    size = 1
    for codes, n in parts:
        if size * n >= 2**62:
            uniques, inverse = np.unique(key, return_inverse=True)
            key, size = inverse.astype(np.int64), len(uniques)
        key = key * n + codes
        size *= n
    return key


def _canonical_order(
    keys: list[tuple[np.ndarray, int]], tie_breaks: Callable[[np.ndarray], list[np.ndarray]]
) -> np.ndarray:
    """The stable order by the coded `keys`, then, where rows tie on every key, by the values
    `tie_breaks(rows)` gives for those rows (NaN last). The warehouse's grain (game, player,
    market, line) makes the keys unique; rows that tie on them anyway are ordered among
    themselves only."""
    key = _combined_key(keys)
    order = np.argsort(key, kind="stable")
    if len(order) < 2:
        return order
    ranked = key[order]
    tied = ranked[1:] == ranked[:-1]
    if not tied.any():
        return order
    # Runs of equal keys (contiguous in `order`): sort the rows of runs longer than one by
    # (run, tie breaks) and put them back in their runs' places.
    run = np.concatenate(([0], np.cumsum(~tied)))
    in_tie = np.zeros(len(order), dtype=bool)
    in_tie[1:] |= tied
    in_tie[:-1] |= tied
    where = np.flatnonzero(in_tie)
    rows = order[where]
    inner = np.lexsort([run[where], *tie_breaks(rows)][::-1])
    order[where] = rows[inner]
    return order


def _numeric_columns(
    rows: pd.DataFrame, names: list[str], kept: np.ndarray, known: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Columns `names` of `rows` as float64 arrays aligned with `rows` (`known`: those already
    converted). Numeric columns convert whole, without a copy; others on the `kept` rows only,
    since a bad value that training does not use is no error."""
    full = dict(known)
    bad: list[str] = []
    for name in names:
        if name in full:
            continue
        col = rows[name]
        if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
            full[name] = numeric_column(col)[0]
            continue
        converted, first_bad = numeric_column(col.iloc[kept])
        if first_bad is not None:
            bad.append(f"{name} (e.g. {first_bad!r})")
            continue
        full[name] = np.full(len(rows), np.nan)
        full[name][kept] = converted
    if bad:
        raise ValueError(f"train_prop_model: non-numeric feature column(s): {', '.join(bad)}")
    return full


def label_rows(rows: pd.DataFrame, cfg: TrainConfig) -> LabelledRows:
    """`labelled_rows` as arrays (no copy of the frame): see there."""
    needed = ["game_date", "market", "line", MARKET_PROB_COLUMN, STAT_COLUMN]
    if cfg.calibration == "stack":
        # The market consensus groups the lines of a player-game (and may weight them).
        needed += ["game_id", "player_id"]
        if cfg.consensus_weight_column is not None:
            needed.append(cfg.consensus_weight_column)
    require_columns(rows, [*needed, *cfg.feature_columns], "train_prop_model")
    days = game_days(rows["game_date"])
    in_family = rows["market"].isin(cfg.family_markets).to_numpy()
    in_window = days <= day(cfg.train_end)
    stat = pd.to_numeric(rows[STAT_COLUMN], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    line = pd.to_numeric(rows["line"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(stat) & ~np.isnan(line)
    push = known & (stat == line)
    keep = in_family & in_window & known & ~push
    counts = {
        "input_rows": len(rows),
        "after_train_end_rows": int((~in_window).sum()),
        "other_market_rows": int((in_window & ~in_family).sum()),
        "unlabelled_rows": int((in_family & in_window & ~known).sum()),
        "push_rows": int((in_family & in_window & push).sum()),
        "labelled_rows": int(keep.sum()),
    }
    if cfg.mean_objective == "poisson" and (stat[keep] < 0).any():
        raise ValueError(
            f"{cfg.market_family}: negative stat_value with mean_objective='poisson'; "
            "use mean_objective='regression'"
        )
    kept = np.flatnonzero(keep)
    values = list(dict.fromkeys(["line", MARKET_PROB_COLUMN, STAT_COLUMN, *cfg.feature_columns]))
    full = _numeric_columns(rows, values, kept, {"line": line, STAT_COLUMN: stat})
    # A SQL table has no row order: sort on the business key (then the values, for exact
    # duplicates) so the same rows always train the same boosters, whatever order the warehouse
    # returned them in.
    ids = [c for c in ("game_id", "player_id", "market") if c in rows.columns]
    day_kept = days[kept].astype(np.int64)
    first = int(day_kept.min()) if len(kept) else 0
    keys = [
        (day_kept - first, int(day_kept.max()) - first + 1 if len(kept) else 1),
        *(_codes(rows[c].iloc[kept]) for c in ids),
        _codes(line[kept]),
    ]
    order = _canonical_order(keys, lambda at: [full[v][kept[at]] for v in values[1:]])
    positions = kept[order]
    return LabelledRows(
        positions=positions,
        days=days[positions],
        went_over=(stat[positions] > line[positions]).astype(np.int8),
        columns={name: column[positions] for name, column in full.items()},
        counts=counts,
        all_days=days,
    )


def _span(days: np.ndarray) -> str:
    return f"{to_date(days[0])}..{to_date(days[-1])} ({len(days)} dates)"


def calibration_date_count(n_dates: int, cfg: TrainConfig) -> int:
    """The calibration slice's dates out of `n_dates` labelled ones: the last
    `calibration_share` of the dates before validation, at least `calibration_days`."""
    before = n_dates - cfg.validation_days
    return max(cfg.calibration_days, round(cfg.calibration_share * before))


def time_split(labelled: LabelledRows, rows: pd.DataFrame, cfg: TrainConfig) -> DateSplit:
    """Split by distinct dates up to train_end: [train | calibration | validation_days], the
    calibration slice `calibration_date_count` dates long."""
    counts = labelled.counts
    days = np.unique(labelled.days)
    need_days = cfg.validation_days + cfg.calibration_days + 1
    context = (
        f"{cfg.market_family} up to train_end {cfg.train_end}: {len(labelled.days)} labelled "
        f"rows on {len(days)} distinct game dates (input {counts['input_rows']} rows; dropped "
        f"{counts['after_train_end_rows']} after train_end, {counts['other_market_rows']} of "
        f"markets other than {list(cfg.family_markets)}, {counts['unlabelled_rows']} without "
        f"stat_value/line, {counts['push_rows']} pushes)"
    )
    if len(days) < need_days:
        raise ValueError(
            f"too few game dates to train {context}; need at least {need_days} "
            f"(validation_days={cfg.validation_days} + calibration_days={cfg.calibration_days} "
            "+ 1 training date)"
        )
    n_cal = calibration_date_count(len(days), cfg)
    val_days = days[-cfg.validation_days :]
    cal_days = days[-(cfg.validation_days + n_cal) : -cfg.validation_days]
    train_days = days[: -(cfg.validation_days + n_cal)]
    # The labelled rows are sorted by date: each slice is a contiguous run of them.
    cal_start = int(np.searchsorted(labelled.days, cal_days[0], side="left"))
    val_start = int(np.searchsorted(labelled.days, val_days[0], side="left"))
    split = DateSplit(
        train_rows=cal_start,
        calibration=labelled.frame(rows, cal_start, val_start),
        validation=labelled.frame(rows, val_start),
        train_days=train_days,
        calibration_days=cal_days,
        validation_days=val_days,
    )
    problems = []
    for name, size, outcomes, minimum in (
        ("training", cal_start, labelled.went_over[:cal_start], cfg.min_train_rows),
        (
            "calibration",
            len(split.calibration),
            split.calibration["went_over"].to_numpy(),
            cfg.min_calibration_rows,
        ),
        ("validation", len(split.validation), None, cfg.min_validation_rows),
    ):
        if size < minimum:
            problems.append(f"{name} slice has {size} rows (< {minimum})")
        elif outcomes is not None and len(np.unique(outcomes)) < 2:
            problems.append(f"{name} slice has only one outcome (all Over or all Under)")
    if problems:
        raise ValueError(
            f"not enough data to train {context}: "
            + "; ".join(problems)
            + f" (training {_span(train_days)}, calibration {_span(cal_days)}, "
            f"validation {_span(val_days)})"
        )
    return split
