{#-
    `Last, First` -> `First Last`, a generational suffix written after the first name moved to
    the end, so normalize_person_name can drop it: "Curry, Stephen" -> "Stephen Curry",
    "Jackson, Jaren Jr." -> "Jaren Jackson Jr.", "Jackson Jr., Jaren" -> "Jaren Jackson Jr.".
    A name without a comma is returned trimmed. RE2 patterns without backslashes, so the same
    literal works on DuckDB and BigQuery; regexp_extract without a capturing group returns the
    whole match on both.
-#}
{% macro flip_last_first(name) -%}
    {%- set suffix = '(?i) +(?:jr|sr|ii|iii|iv)[.]?$' -%}
    {%- set comma = "strpos(" ~ name ~ ", ',')" -%}
    {%- set last = "trim(substr(" ~ name ~ ", 1, " ~ comma ~ " - 1))" -%}
    {%- set first = "trim(substr(" ~ name ~ ", " ~ comma ~ " + 1))" -%}
    case
        when {{ comma }} > 0
            then trim(concat(
                regexp_replace({{ first }}, '{{ suffix }}', ''), ' ', {{ last }}, ' ',
                trim(coalesce(regexp_extract({{ first }}, '{{ suffix }}'), ''))
            ))
        else trim({{ name }})
    end
{%- endmacro %}
