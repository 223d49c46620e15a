"""Train the prop predictors on fct_prop_line_features and append them to the registry.

Tag `train` (not in daily builds). History: incremental append with full_refresh disabled; a
version already registered is skipped (training is deterministic), so rerunning adds nothing.
Vars arrive through config meta (_python_models__models.yml; dbt finds the keys only in literal
`dbt.config.meta_get("...")` calls); the logic is propcast.predictions.
"""

from datetime import UTC, datetime

from propcast.predictions import (
    default_train_end,
    meta_date,
    meta_list,
    meta_mapping,
    to_pandas,
    train_registry_rows,
)


def model(dbt, session):
    run_date = dbt.config.meta_get("run_date")
    existing = []
    if dbt.is_incremental:
        existing = [
            row[0] for row in session.sql(f"select model_version from {dbt.this}").fetchall()
        ]
    return train_registry_rows(
        to_pandas(dbt.ref("fct_prop_line_features")),
        markets=meta_list(dbt.config.meta_get("prop_markets")),
        feature_columns=meta_list(dbt.config.meta_get("feature_columns")),
        train_end=default_train_end(run_date, dbt.config.meta_get("train_end")),
        created_for_run_date=meta_date(run_date, "run_date"),
        overrides=meta_mapping(dbt.config.meta_get("train_overrides"), "train_overrides"),
        existing_versions=existing,
        registered_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
    )
