{#-
    Big models are stored in game_date slices: a run for D rebuilds the slices from D - 1 on
    (yesterday's results and today's odds) and leaves older slices as they are, so a morning
    run costs a day, not the history. `--full-refresh` rebuilds every slice and gives the same
    tables (tests/integration/test_incremental.py checks it by checksum).

    Usage in a model:
        {{ config(**game_date_slices()) }}
        ... from {{ ref('x') }} where {{ in_build_slice('x.game_date') }}
-#}

{#-
    The incremental config: replace whole game_date slices (engines differ in how).
    replaces='build_slice' empties every date from the slice's start on, rows or not (the
    inputs are read through in_build_slice); replaces='new_rows' only the dates the new rows
    hold, for a model whose every date of its own window has a row (a date spine).
-#}
{% macro game_date_slices(replaces='build_slice') %}
    {{- return(adapter.dispatch('game_date_slices', 'propcast')(replaces)) -}}
{% endmacro %}

{% macro default__game_date_slices(replaces) %}
    {#- strategies in replace_game_dates.sql; delete+insert keyed on game_date deletes the
        dates the new rows hold -#}
    {%- if replaces not in ('build_slice', 'new_rows') -%}
        {{ exceptions.raise_compiler_error(
            "game_date_slices: replaces is 'build_slice' or 'new_rows', got '" ~ replaces ~ "'") }}
    {%- endif -%}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'game_date_slices' if replaces == 'build_slice'
            else 'delete+insert',
        'unique_key': 'game_date',
        'on_schema_change': 'fail',
        'meta': {'sliced_by_game_date': true},
    }) -}}
{% endmacro %}

{% macro bigquery__game_date_slices(replaces) %}
    {#- insert_overwrite replaces the day partitions the new slice holds, without a scan: one
        partition write per day rebuilt, never a row-level merge (BigQuery's quota on
        partition modifications per table and day once stopped a daily pipeline like this). -#}
    {%- set slices = {
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': 'game_date', 'data_type': 'date', 'granularity': 'day'},
        'on_schema_change': 'fail',
        'meta': {'sliced_by_game_date': true},
    } -%}
    {%- set cluster_columns = bigquery_cluster_columns(model.name) -%}
    {%- if cluster_columns -%}
        {%- do slices.update({'cluster_by': cluster_columns}) -%}
    {%- endif -%}
    {{- return(slices) -}}
{% endmacro %}


{#-
    The first game_date an incremental run rebuilds: var('slice_start') when given (a backfill
    from that date), else the day before var('run_date'), else the day before the newest slice
    the model already holds (a bare `dbt build`).
-#}
{% macro build_slice_start() -%}
    {%- set slice_start = var('slice_start', none) -%}
    {%- set run_date = var('run_date', none) -%}
    {%- if slice_start -%}
        cast('{{ slice_start }}' as date)
    {%- elif run_date -%}
        {%- set day_before = modules.datetime.date.fromisoformat(run_date | string)
            - modules.datetime.timedelta(days=1) -%}
        cast('{{ day_before.isoformat() }}' as date)
    {%- else -%}
        coalesce(
            {{ dbt.dateadd('day', -1, '(select max(game_date) from ' ~ this ~ ')') }},
            cast('1900-01-01' as date)
        )
    {%- endif -%}
{%- endmacro %}


{#-
    A predicate on a game_date column: the rebuilt slices on incremental runs, all otherwise
    (a dbt unit test has no `this` and reads only its given rows).
-#}
{% macro in_build_slice(column='game_date') -%}
    {%- if this is not none and is_incremental() -%}
        {{ column }} >= {{ build_slice_start() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
