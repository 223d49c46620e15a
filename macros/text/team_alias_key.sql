{#-
    A team's spelling as a join key: lower case, accents stripped, everything but letters and
    digits removed; null when nothing is left. "Golden State", "GoldenState", "golden-state"
    -> "goldenstate"; "St. Louis" -> "stlouis"; "Montréal" -> "montreal"; "L.A. Kings" ->
    "lakings". Dispatched: the default is built from the dispatched strip_accents and
    regexp_replace_all, so it renders on DuckDB and BigQuery alike.
-#}
{% macro team_alias_key(name) %}
    {{- return(adapter.dispatch('team_alias_key', 'propcast')(name)) -}}
{% endmacro %}

{% macro default__team_alias_key(name) -%}
    {%- set lowered = 'lower(' ~ strip_accents(name) ~ ')' -%}
    nullif({{ regexp_replace_all(lowered, '[^a-z0-9]', '') }}, '')
{%- endmacro %}
