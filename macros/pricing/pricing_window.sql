{#-
    The prediction layer's dates and clocks, from the vars the CLI passes (dbt_project.yml):

      run_date          the slate a run works on (US/Eastern); null: today in the slate time zone
      cutoff_utc        the latest snapshot usable for pricing run_date (naive UTC);
                        null: run_date at pricing_clock_et
      score_start/_end  the dates scored in one invocation; null: run_date
      pricing_clock_et  'HH:MM': every other date is priced at the latest quote fetched at or
                        before this wall-clock time (US/Eastern) on the game's date

    Each macro renders a SQL expression; the Python models read the same vars through
    config meta and resolve them the same way (propcast.predictions).
-#}

{#- A date var as 'YYYY-MM-DD', or none when unset. Anything else is a compile error. -#}
{% macro prediction_date_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- set text = (value | string | trim) if value is not none else '' -%}
    {%- if text in ('', 'None', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set parts = text.split('-') -%}
    {%- if text | length != 10 or parts | length != 3
        or not (parts[0] ~ parts[1] ~ parts[2]).isdigit() -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a date 'YYYY-MM-DD', got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}


{#- The run's slate date (a SQL date expression). -#}
{% macro pricing_run_date() -%}
    {%- set run_date = prediction_date_var('run_date') -%}
    {%- if run_date is none -%}
        {{ today_in_slate_tz() }}
    {%- else -%}
        cast('{{ run_date }}' as date)
    {%- endif -%}
{%- endmacro %}


{#- First and last date scored by this invocation (SQL date expressions). -#}
{% macro pricing_score_start() -%}
    {%- set score_start = prediction_date_var('score_start') -%}
    {%- if score_start is none -%}
        {{ pricing_run_date() }}
    {%- else -%}
        cast('{{ score_start }}' as date)
    {%- endif -%}
{%- endmacro %}

{% macro pricing_score_end() -%}
    {%- set score_end = prediction_date_var('score_end') -%}
    {%- if score_end is none -%}
        {{ pricing_run_date() }}
    {%- else -%}
        cast('{{ score_end }}' as date)
    {%- endif -%}
{%- endmacro %}


{#- The pricing clock as minutes after midnight ('14:00' -> 840). -#}
{% macro pricing_clock_minutes() -%}
    {%- set text = var('pricing_clock_et', '14:00') | string | trim -%}
    {%- set parts = text.split(':') -%}
    {%- if parts | length != 2 or not parts[0].isdigit() or not parts[1].isdigit()
        or parts[0] | int > 23 or parts[1] | int > 59 -%}
        {{ exceptions.raise_compiler_error(
            "var pricing_clock_et must be 'HH:MM' (US/Eastern), got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(parts[0] | int * 60 + parts[1] | int) }}
{%- endmacro %}


{#- The pricing clock on a game date, as a naive UTC timestamp (DST-aware). -#}
{% macro pricing_clock_utc(game_date) -%}
    {{ slate_date_start_utc(
        dbt.dateadd('minute', pricing_clock_minutes(), 'cast(' ~ game_date ~ ' as timestamp)')) }}
{%- endmacro %}


{#-
    The snapshot cutoff for pricing a game date: cutoff_utc on run_date (when given), the
    pricing clock on every other date.
-#}
{% macro pricing_cutoff_utc(game_date) -%}
    {%- set cutoff = var('cutoff_utc', none) -%}
    {%- set cutoff_text = (cutoff | string | trim) if cutoff is not none else '' -%}
    {%- if cutoff_text in ('', 'None', 'none', 'null') -%}
        {{ pricing_clock_utc(game_date) }}
    {%- else -%}
        {%- if cutoff_text | length < 16 or cutoff_text[4] != '-' or cutoff_text[13] != ':' -%}
            {{ exceptions.raise_compiler_error(
                "var cutoff_utc must be 'YYYY-MM-DD HH:MM:SS' (naive UTC), got '"
                ~ cutoff_text ~ "'") }}
        {%- endif -%}
        case
            when {{ game_date }} = {{ pricing_run_date() }}
                then cast('{{ cutoff_text }}' as timestamp)
            else {{ pricing_clock_utc(game_date) }}
        end
    {%- endif -%}
{%- endmacro %}


{#-
    One row per date from start to end inclusive, column game_date; the bounds may be any
    date expressions (scalar subqueries included).
-#}
{% macro pricing_date_spine(start_date, end_date) %}
    {{- return(adapter.dispatch('pricing_date_spine', 'propcast')(start_date, end_date)) -}}
{% endmacro %}

{% macro default__pricing_date_spine(start_date, end_date) -%}
    select cast(unnest(generate_series(
        cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day
    )) as date) as game_date
{%- endmacro %}

{% macro bigquery__pricing_date_spine(start_date, end_date) -%}
    select game_date
    from unnest(generate_date_array({{ start_date }}, {{ end_date }})) as game_date
{%- endmacro %}
