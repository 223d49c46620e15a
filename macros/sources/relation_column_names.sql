{#-
    The lower-cased column names of `relation` as the warehouse has them now, or none while dbt
    parses (execute is false) and in the offline BigQuery check (macros/portability). A
    staging model reads a raw column declared after the warehouse was created as null while the
    table lacks it (ingestion adds it: propcast.raw_schema).
-#}
{% macro relation_column_names(relation) -%}
    {#- The offline BigQuery check cannot ask: none (every column assumed present). -#}
    {%- if not execute or bigquery_offline_check() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
