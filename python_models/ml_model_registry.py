"""Train the predictors and append them to the registry: the prop families on
fct_prop_line_features and, when fct_game_total_features holds settled games through
train_end, one game-totals model per league (column model_family tells them apart).

Tag `train` (not in daily builds; `propcast train` selects it with int_run_parameters).
History: incremental append with full_refresh disabled; a version already registered is
skipped (training is deterministic), so rerunning adds nothing. The run's vars come from
int_run_parameters, the feature list from config meta (dbt finds the key only in a literal
`dbt.config.meta_get("...")` call); the logic is propcast.predictions, the engine boundary
propcast.engine_frames (pandas in and out on BigQuery).
"""

from propcast.engine_frames import for_engine, query_to_pandas
from propcast.predictions import (
    default_train_end,
    meta_date,
    meta_list,
    meta_mapping,
    run_now,
    run_parameters,
    to_pandas,
    train_registry_rows,
)


def model(dbt, session):
    params = run_parameters(dbt.ref("int_run_parameters"))
    now = run_now(params)
    existing = []
    if dbt.is_incremental:
        registered = query_to_pandas(session, f"select model_version from {dbt.this}")
        existing = registered["model_version"].tolist()
    rows = train_registry_rows(
        to_pandas(dbt.ref("fct_prop_line_features")),
        markets=meta_list(params["prop_markets"]),
        feature_columns=meta_list(dbt.config.meta_get("feature_columns")),
        train_end=default_train_end(params["run_date"], params["train_end"], now=now),
        created_for_run_date=meta_date(params["run_date"], "run_date"),
        overrides=meta_mapping(params["train_overrides"], "train_overrides"),
        existing_versions=existing,
        registered_at=now,
        totals=to_pandas(dbt.ref("fct_game_total_features")),
    )
    return for_engine(rows, session)
