{#-
    The run registry (source propcast_raw.run_registry). The raw table exists only once a run
    has loaded the run state files; before that this view is empty with the same columns, so a
    fresh warehouse builds.
-#}
{%- set raw_runs = source('propcast_raw', 'run_registry') -%}
{%- set raw_exists = true -%}
{#- The offline BigQuery check cannot ask whether it exists: it compiles the usual case. -#}
{%- if execute and not bigquery_offline_check() -%}
    {%- set raw_exists = load_relation(raw_runs) is not none -%}
{%- endif -%}

with

source as (
    {% if raw_exists -%}
        select * from {{ raw_runs }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as run_id,
            cast(null as {{ dbt.type_string() }}) as command,
            cast(null as date) as run_date,
            cast(null as {{ dbt.type_timestamp() }}) as cutoff_utc,
            cast(null as {{ dbt.type_timestamp() }}) as started_at,
            cast(null as {{ dbt.type_timestamp() }}) as finished_at,
            cast(null as {{ dbt.type_string() }}) as status,
            cast(null as {{ dbt.type_string() }}) as phase,
            cast(null as {{ dbt.type_string() }}) as phases,
            cast(null as {{ dbt.type_string() }}) as vendors,
            cast(null as {{ dbt.type_string() }}) as model_version,
            cast(null as {{ dbt.type_string() }}) as message,
            cast(null as {{ dbt.type_string() }}) as counts,
            cast(null as {{ dbt.type_int() }}) as pid
        where false
    {%- endif %}
),

renamed as (
    select
        -- ids
        run_id,
        cast(pid as {{ dbt.type_int() }}) as pid,

        -- strings
        command,
        lower(status) as status,
        phase as current_phase,
        model_version,
        message,

        -- json (text)
        phases as phases_json,
        vendors as vendors_json,
        counts as counts_json,

        -- dates and timestamps (naive UTC)
        run_date,
        cutoff_utc,
        started_at,
        finished_at
    from source
)

select * from renamed
