{#-
    Concatenate `expression` over a group in a stated order: "a, b, c". DuckDB, BigQuery and
    Postgres share the syntax (default__); an engine that spells it otherwise (Snowflake's
    listagg ... within group) gets its own `<adapter>__ordered_string_agg`.
-#}
{% macro ordered_string_agg(expression, order_by, separator=', ') %}
    {{- return(adapter.dispatch('ordered_string_agg', 'propcast')(
        expression, order_by, separator)) -}}
{% endmacro %}

{% macro default__ordered_string_agg(expression, order_by, separator) -%}
    string_agg({{ expression }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}
