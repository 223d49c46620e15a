{#-
    The lower-cased column names of `relation` as the warehouse has them now, or none while dbt
    parses (execute is false). A staging model reads a raw column declared after the warehouse
    was created as null while the table lacks it (ingestion adds it: propcast.raw_schema).
-#}
{% macro relation_column_names(relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
