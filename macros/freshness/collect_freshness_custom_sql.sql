{#-
    dbt's own `collect_freshness_custom_sql` (dbt source freshness with a loaded_at_query) takes
    its `snapshotted_at` from the engine's clock. propcast's sources compute max_loaded_at
    against current_timestamp_utc(), so the age must be taken against the same now: a run whose
    clock is pinned (var now_utc, from PROPCAST_NOW) is then aged as of that instant. Both values
    are naive UTC, which dbt reads as UTC.
-#}
{% macro default__collect_freshness_custom_sql(source, loaded_at_query) %}
    {% call statement('collect_freshness_custom_sql', fetch_result=True, auto_begin=False) -%}
        with source_query as (
            {{ loaded_at_query }}
        )

        select
            (select * from source_query) as max_loaded_at,
            {{ current_timestamp_utc() }} as snapshotted_at
    {%- endcall %}
    {{ return(load_result('collect_freshness_custom_sql')) }}
{% endmacro %}
