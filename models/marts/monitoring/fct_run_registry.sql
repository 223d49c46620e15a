{#-
    Every run the CLI recorded (run-day, recover, …), newest facts first: target date, cutoff,
    outcome, duration, and whether it is the latest run for its date (the one phase status per
    date is judged by).
-#}
{{ config(tags=['phase_analytics']) }}

with

runs as (
    select * from {{ ref('stg_propcast_raw__run_registry') }}
)

select
    run_id,
    run_date,
    command,
    status,
    cutoff_utc,
    started_at,
    finished_at,
    {{ dbt.datediff('started_at', 'finished_at', 'second') }} as duration_seconds,
    current_phase,
    phases_json,
    vendors_json,
    counts_json,
    model_version,
    message,
    pid,
    row_number() over (
        partition by run_date order by started_at desc, run_id desc
    ) = 1 as is_latest_for_run_date
from runs
