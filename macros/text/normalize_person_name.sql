{#-
    Player names as a join key: lower case, accents stripped, punctuation removed (hyphens
    become spaces), generational suffixes (jr, sr, ii, iii, iv) dropped, spaces collapsed.
    "Michael Porter Jr." -> "michael porter", "Nikola Jokić" -> "nikola jokic",
    "Karl-Anthony Towns" -> "karl anthony towns", "P.J. Washington" -> "pj washington".
-#}
{% macro normalize_person_name(name) -%}
    {%- set lowered = 'lower(' ~ strip_accents(name) ~ ')' -%}
    {%- set hyphens_as_spaces = regexp_replace_all(lowered, '[-_/]', ' ') -%}
    {%- set letters_only = regexp_replace_all(hyphens_as_spaces, '[^a-z0-9 ]', '') -%}
    {%- set single_spaced = 'trim(' ~ regexp_replace_all(letters_only, ' +', ' ') ~ ')' -%}
    {%- set no_suffix = regexp_replace_all(
        "concat(' ', " ~ single_spaced ~ ", ' ')", ' (jr|sr|ii|iii|iv) $', ' ') -%}
    nullif(trim({{ no_suffix }}), '')
{%- endmacro %}


{#- Remove diacritics: "Dončić" -> "Doncic". -#}
{% macro strip_accents(text) %}
    {{- return(adapter.dispatch('strip_accents', 'propcast')(text)) -}}
{% endmacro %}

{% macro default__strip_accents(text) -%}
    {{ regexp_replace_all('normalize(' ~ text ~ ', NFD)', '\\p{M}', '') }}
{%- endmacro %}

{% macro duckdb__strip_accents(text) -%}
    strip_accents({{ text }})
{%- endmacro %}


{#- Replace every match of an RE2 pattern (DuckDB needs the 'g' flag, BigQuery replaces all). -#}
{% macro regexp_replace_all(text, pattern, replacement) %}
    {{- return(adapter.dispatch('regexp_replace_all', 'propcast')(text, pattern, replacement)) -}}
{% endmacro %}

{% macro default__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro bigquery__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, r'{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
