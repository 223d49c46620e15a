{#-
    One top-level field of a JSON object stored as text (the run registry's phases_json,
    vendors_json), as a string; null when the field is absent. `key` is a literal name (BigQuery
    wants a constant JSON path). Engines spell it differently, hence adapter.dispatch.
-#}
{% macro json_text_field(json_text, key) %}
    {{- return(adapter.dispatch('json_text_field', 'propcast')(json_text, key)) -}}
{% endmacro %}

{% macro default__json_text_field(json_text, key) -%}
    json_extract_string({{ json_text }}, '$.{{ key }}')
{%- endmacro %}

{% macro bigquery__json_text_field(json_text, key) -%}
    json_value({{ json_text }}, '$.{{ key }}')
{%- endmacro %}
