"""Score offered lines with a registered model — the production path of `fct_predictions`.

Guards here are the ones a thin dbt model cannot express: a model never scores the dates it was
trained on (a leak that makes backtests look brilliant), never scores another family's markets,
and never guesses at missing features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from propcast.models.config import KEY_COLUMNS
from propcast.models.frames import day, format_days, game_days, require_columns
from propcast.models.trained import TrainedModel

OUTPUT_COLUMNS: tuple[str, ...] = ("prob_over", "predicted_mean", "model_version", "train_end")


def score_lines(
    model: TrainedModel, rows: pd.DataFrame, *, require_future: bool = True
) -> pd.DataFrame:
    """Return `rows` (key columns first, then every other passed column) with `prob_over`
    (calibrated, clipped to [0.001, 0.999]), `predicted_mean`, `model_version` and `train_end`.

    A stacked model prices each line against the market's consensus over all lines of its
    player-game in `rows`, so pass a slate whole (as `fct_predictions` does), not line by line.

    `game_date` and `train_end` come back as `datetime.date` values so DuckDB writes them as
    DATE (datetime64 would become TIMESTAMP). Raises ValueError, naming what is wrong, for
    missing columns, rows of other markets, rows without a line, and — unless
    `require_future=False` (backtests that know what they do) — rows dated on or before the
    model's `train_end`.
    """
    cfg = model.config
    require_columns(rows, model.input_columns, f"score_lines({model.model_version})")
    days = game_days(rows["game_date"])
    if require_future and len(rows):
        stale = days <= day(cfg.train_end)
        if stale.any():
            raise ValueError(
                f"model {model.model_version} was trained on dates up to train_end "
                f"{cfg.train_end} and must not score them: {int(stale.sum())} of {len(rows)} "
                f"row(s) have game_date <= train_end ({format_days(days[stale])})"
            )
    other = ~rows["market"].isin(cfg.family_markets)
    if other.any():
        found = sorted(map(str, rows.loc[other, "market"].unique()))
        raise ValueError(
            f"model {model.model_version} scores markets {list(cfg.family_markets)}; "
            f"{int(other.sum())} row(s) are for {found}"
        )
    no_line = pd.to_numeric(rows["line"], errors="coerce").isna()
    if no_line.any():
        raise ValueError(
            f"score_lines({model.model_version}): {int(no_line.sum())} row(s) have no numeric line"
        )

    if len(rows):
        prob, mean = model.predict(rows)
    else:
        prob = mean = np.empty(0, dtype=np.float64)
    front = list(KEY_COLUMNS)
    rest = [c for c in rows.columns if c not in front and c not in OUTPUT_COLUMNS]
    out = rows.loc[:, front + rest].reset_index(drop=True)
    out["game_date"] = pd.Series([d.item() for d in days], dtype="object")
    out["prob_over"] = prob
    out["predicted_mean"] = mean
    out["model_version"] = model.model_version
    out["train_end"] = pd.Series([cfg.train_end] * len(out), dtype="object")
    return out
