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


{#-
    The team_aliases seed keyed by team_alias_key: one row per (league, team_key) with its
    team_id. A key two teams of a league would share maps to neither (no fan-out); the seed's
    singular test assert_team_alias_keys_unambiguous keeps there being none.
-#}
{% macro team_ids_by_alias_key() -%}
    {#- The dispatched implementation is called directly: sqlfluff's templater ends this macro
        at a nested macro's return(). -#}
    {%- set alias_key = adapter.dispatch('team_alias_key', 'propcast')('alias') -%}
    select
        league,
        {{ alias_key }} as team_key,
        min(team_id) as team_id
    from {{ ref('team_aliases') }}
    group by league, {{ alias_key }}
    having count(distinct team_id) = 1
{%- endmacro %}
