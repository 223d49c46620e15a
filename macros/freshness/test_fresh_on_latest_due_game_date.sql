{#-
    Generic test with the semantics of `dbt source freshness` on this project's sources
    (macro effective_loaded_at_sql, docs block `freshness_semantics`), so `dbt build` checks
    freshness too. One row per threshold exceeded: warn_if '>=1', error_if '>=2'.
    Thresholds come from the source's own `freshness:` config unless given in hours.
    Severity: var('freshness_test_severity'), warn by default: dbt skips every model downstream of
    a source whose test errors, and a stale feed must degrade a run, not stop it (the run still
    reports it; `propcast freshness` / `dbt source freshness` keep the error level).
    Inside a run the test judges as of the run's cutoff (var cutoff_utc), else as of now.
-#}
{% test fresh_on_latest_due_game_date(
    model, due, loaded_filter=none, warn_after_hours=none, error_after_hours=none
) %}
    {{ config(severity=var('freshness_test_severity', 'warn'), warn_if='>=1', error_if='>=2') }}
    {%- set as_of_utc = var('cutoff_utc', none) -%}
    {%- set configured = propcast_source_freshness_hours(model) -%}
    {%- set warn_hours = warn_after_hours if warn_after_hours is not none
        else configured.get('warn_after') -%}
    {%- set error_hours = error_after_hours if error_after_hours is not none
        else configured.get('error_after') -%}
    {%- if warn_hours is none -%}{%- set warn_hours = error_hours -%}{%- endif -%}
    {%- if error_hours is none -%}{%- set error_hours = warn_hours -%}{%- endif -%}
    {%- if execute and warn_hours is none -%}
        {{ exceptions.raise_compiler_error(
            "fresh_on_latest_due_game_date on " ~ model ~ ": no freshness thresholds") }}
    {%- endif -%}

    with effective as (
        {{ effective_loaded_at_sql(
            model, due, loaded_filter, with_details=true, as_of_utc=as_of_utc
        ) | indent(8) }}
    ),

    aged as (
        select
            max_loaded_at as effective_loaded_at,
            due_game_date,
            due_row_count,
            {{ dbt.datediff('max_loaded_at', freshness_now_utc(as_of_utc), 'second') }}
            / 3600.0 as age_hours
        from effective
    ),

    thresholds as (
        select
            'warn_after' as threshold,
            {{ warn_hours | default(0, true) }} as threshold_hours
        union all
        select
            'error_after' as threshold,
            {{ error_hours | default(0, true) }} as threshold_hours
    )

    select
        thresholds.threshold,
        thresholds.threshold_hours,
        aged.age_hours,
        aged.due_game_date,
        aged.due_row_count,
        aged.effective_loaded_at
    from aged
    cross join thresholds
    where aged.age_hours > thresholds.threshold_hours
{% endtest %}


{#- The warn/error thresholds of the source behind `relation`, in hours ({} when none). -#}
{% macro propcast_source_freshness_hours(relation) -%}
    {%- set hours = {} -%}
    {%- set seconds_per = {'minute': 60, 'hour': 3600, 'day': 86400} -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.identifier | lower == relation.identifier | lower
                and node.schema | lower == relation.schema | lower -%}
                {%- set freshness = node.freshness or {} -%}
                {%- for name in ('warn_after', 'error_after') -%}
                    {%- set threshold = freshness.get(name) or {} -%}
                    {%- if threshold.get('count') is not none and threshold.get('period') -%}
                        {%- do hours.update({name: threshold['count']
                            * seconds_per[threshold['period']] / 3600.0}) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(hours) -}}
{%- endmacro %}
