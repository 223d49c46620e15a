"""Score the slate (or a walk-forward window of dates) with the registered predictors: the
prop lines of fct_prop_line_features and the game totals of fct_game_total_features.

History: incremental, replaced by game_date (strategy scored_game_dates) with full_refresh
disabled, so a rerun replaces the dates it scores, emptying one that scores nothing, and a
refresh never rescores the past with today's model. Fails loudly when
no model may score the dates, a model does not load, or the output looks like a fallback.
The run's vars come from int_run_parameters; the logic is propcast.predictions, the engine
boundary propcast.engine_frames (pandas in and out on BigQuery).
"""

from propcast.engine_frames import for_engine
from propcast.predictions import (
    NoModelRegistered,
    rows_in_window,
    run_now,
    run_parameters,
    score_window,
    scoring_window,
    to_pandas,
)


def model(dbt, session):
    params = run_parameters(dbt.ref("int_run_parameters"))
    now = run_now(params)
    window = scoring_window(
        run_date=params["run_date"],
        score_start=params["score_start"],
        score_end=params["score_end"],
        model_version=params["model_version"],
        now=now,
    )
    lines = rows_in_window(dbt.ref("fct_prop_line_features"), window)
    try:
        registry = to_pandas(dbt.ref("ml_model_registry"))
    except Exception as exc:  # the table does not exist before the first training
        raise NoModelRegistered(
            f"ml_model_registry cannot be read ({type(exc).__name__}): train a model first "
            f"(propcast train --date {window.score_start})"
        ) from exc
    totals = rows_in_window(dbt.ref("fct_game_total_features"), window)
    scored = score_window(lines, registry, window, scored_at=now, totals=totals)
    return for_engine(scored, session)
