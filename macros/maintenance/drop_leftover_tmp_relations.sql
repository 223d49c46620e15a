{#-
    dbt-duckdb leaves the staging table of an incremental Python model (`<model>__dbt_tmp<stamp>`)
    behind after each run; without this, every morning run adds one table to the warehouse.
    Runs at the end of every invocation (on-run-end). BigQuery cleans its own temporaries.
-#}
{% macro drop_leftover_tmp_relations() %}
    {{ return(adapter.dispatch('drop_leftover_tmp_relations', 'propcast')()) }}
{% endmacro %}

{% macro default__drop_leftover_tmp_relations() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__drop_leftover_tmp_relations() %}
    {%- if execute -%}
        {%- set leftovers = run_query(
            "select table_schema, table_name, table_type from information_schema.tables "
            ~ "where table_schema = '" ~ target.schema ~ "' "
            ~ "and table_name like '%\\_\\_dbt\\_tmp%' escape '\\'"
        ) -%}
        {%- for row in leftovers.rows -%}
            {%- set kind = 'view' if row[2] == 'VIEW' else 'table' -%}
            {%- do run_query(
                'drop ' ~ kind ~ ' if exists "' ~ row[0] ~ '"."' ~ row[1] ~ '"'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
