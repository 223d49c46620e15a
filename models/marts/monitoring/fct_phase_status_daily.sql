{#-
    Phase status per game_date (DESIGN section 1): a phase is complete for a date when the run
    that targeted the date recorded it successful (ok or degraded) and its date-partitioned
    table holds rows for the date. The record of a phase is that of the latest run for the date
    that ran it (runs of a date folded in start order, as propcast.phase_ledger folds the state
    files): a recover from a later phase keeps the earlier phases' records, and a run whose
    phase failed voids the later phases of the runs before it ("not run": no outcome).
    One representative table per phase:
      ingest       odds payloads fetched on the date (US/Eastern): their rows_loaded
      staging      int_prop_odds_unioned (the vendors' staging views, first stored)
      analytics    fct_prop_odds
      features     fct_prop_line_features
      predictions  fct_predictions
    A full table (dates x 5 phases, small): a recover of an old date shows on the next build.
    The run registry is loaded before the build, so a run's own phases after ingest appear from
    the next build on; `propcast status` reads the run state files for the live view.
-#}
{{ config(tags=['phase_predictions']) }}
{%- set phases = ['ingest', 'staging', 'analytics', 'features', 'predictions'] -%}
{%- set tables = {
    'ingest': 'raw_odds_payloads',
    'staging': 'int_prop_odds_unioned',
    'analytics': 'fct_prop_odds',
    'features': 'fct_prop_line_features',
    'predictions': 'fct_predictions',
} -%}

with

runs as (
    select * from {{ ref('fct_run_registry') }}
),

payloads as (
    select * from {{ ref('stg_propcast_raw__odds_payloads') }}
    where feed like '%odds' and fetched_at is not null
),

staged_quotes as (
    select * from {{ ref('int_prop_odds_unioned') }}
),

prop_odds as (
    select * from {{ ref('fct_prop_odds') }}
),

line_features as (
    select * from {{ ref('fct_prop_line_features') }}
),

predictions as (
    select * from {{ ref('fct_predictions') }}
),

rows_per_phase as (
    select
        {{ utc_to_slate_date('fetched_at') }} as game_date,
        'ingest' as phase,
        sum(rows_loaded) as rows_for_date
    from payloads
    group by {{ utc_to_slate_date('fetched_at') }}
    union all
    select
        game_date,
        'staging' as phase,
        count(*) as rows_for_date
    from staged_quotes
    group by game_date
    union all
    select
        game_date,
        'analytics' as phase,
        count(*) as rows_for_date
    from prop_odds
    group by game_date
    union all
    select
        game_date,
        'features' as phase,
        count(*) as rows_for_date
    from line_features
    group by game_date
    union all
    select
        game_date,
        'predictions' as phase,
        count(*) as rows_for_date
    from predictions
    group by game_date
),

-- Each run x phase with the outcome it recorded (null: it did not run the phase).
run_phases as (
    {%- for phase in phases %}
        select
            run_id,
            run_date,
            started_at,
            '{{ phase }}' as phase,
            {{ loop.index }} as phase_order,
            {{ json_text_field('phases_json', phase) }} as outcome
        from runs
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

run_phases_judged as (
    select
        *,
        coalesce(max(case when outcome = 'failed' then 1 else 0 end) over (
            partition by run_id
            order by phase_order
            rows between unbounded preceding and 1 preceding
        ), 0) as earlier_phase_failed
    from run_phases
),

-- The record of a phase: the latest run that ran it, or that failed an earlier phase.
records as (
    select
        run_date,
        phase,
        run_id,
        outcome,
        row_number() over (
            partition by run_date, phase
            order by started_at desc, run_id desc
        ) as record_rank
    from run_phases_judged
    where outcome is not null or earlier_phase_failed = 1
),

phase_list as (
    {%- for phase in phases %}
        select
            '{{ phase }}' as phase,
            {{ loop.index }} as phase_order,
            '{{ tables[phase] }}' as rows_table
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

dates as (
    select distinct game_date
    from (
        select run_date as game_date from runs
        union all
        select game_date from rows_per_phase
    ) as all_dates
    where game_date is not null
)

select
    dates.game_date,
    phase_list.phase,
    cast(phase_list.phase_order as {{ dbt.type_bigint() }}) as phase_order,
    cast(coalesce(rows_per_phase.rows_for_date, 0) as {{ dbt.type_bigint() }}) as rows_for_date,
    records.run_id as latest_run_id,
    records.outcome as recorded_outcome,
    coalesce(
        records.outcome in ('ok', 'degraded') and rows_per_phase.rows_for_date > 0, false
    ) as is_complete,
    phase_list.rows_table
from dates
cross join phase_list
left join rows_per_phase
    on
        dates.game_date = rows_per_phase.game_date
        and phase_list.phase = rows_per_phase.phase
left join records
    on
        dates.game_date = records.run_date
        and phase_list.phase = records.phase
        and records.record_rank = 1
