{#-
    Time helpers. The warehouse stores naive UTC timestamps; slates (game_date) are dated in
    var('slate_timezone') (US/Eastern). Engines differ, hence adapter.dispatch.
-#}

{#-
    Now as a naive UTC timestamp (the warehouse's timestamp convention): var now_utc when the
    run pins the clock (the CLI passes it from PROPCAST_NOW, so a replayed morning is judged as
    that morning), else the engine's clock.
-#}
{% macro current_timestamp_utc() %}
    {%- set pinned = pinned_now_utc() -%}
    {%- if pinned is not none -%}
        {{- return("cast('" ~ pinned ~ "' as timestamp)") -}}
    {%- endif -%}
    {{- return(adapter.dispatch('current_timestamp_utc', 'propcast')()) -}}
{% endmacro %}

{#- var now_utc as 'YYYY-MM-DD HH:MM:SS' (naive UTC), or none when unset. -#}
{% macro pinned_now_utc() -%}
    {%- set value = var('now_utc', none) -%}
    {%- set text = (value | string | trim) if value is not none else '' -%}
    {%- if text in ('', 'None', 'none', 'null') -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if text | length < 19 or text[4] != '-' or text[10] != ' ' or text[13] != ':'
        or not (text[:4] ~ text[5:7] ~ text[8:10] ~ text[11:13] ~ text[14:16]).isdigit() -%}
        {{ exceptions.raise_compiler_error(
            "var now_utc must be 'YYYY-MM-DD HH:MM:SS' (naive UTC), got '" ~ text ~ "'") }}
    {%- endif -%}
    {{- return(text[:19]) -}}
{%- endmacro %}

{% macro default__current_timestamp_utc() -%}
    current_timestamp
{%- endmacro %}

{% macro duckdb__current_timestamp_utc() -%}
    timezone('UTC', now())
{%- endmacro %}

{% macro bigquery__current_timestamp_utc() -%}
    current_timestamp()
{%- endmacro %}


{#- Today's date in the slate time zone. -#}
{% macro today_in_slate_tz() %}
    {%- if pinned_now_utc() is not none -%}
        {{- return(utc_to_slate_date(current_timestamp_utc())) -}}
    {%- endif -%}
    {{- return(adapter.dispatch('today_in_slate_tz', 'propcast')()) -}}
{% endmacro %}

{% macro default__today_in_slate_tz() -%}
    cast({{ utc_to_slate_timestamp(current_timestamp_utc()) }} as date)
{%- endmacro %}

{% macro bigquery__today_in_slate_tz() -%}
    current_date('{{ var("slate_timezone") }}')
{%- endmacro %}


{#- A naive UTC timestamp -> the naive wall-clock timestamp in the slate time zone. -#}
{% macro utc_to_slate_timestamp(utc_timestamp) %}
    {{- return(adapter.dispatch('utc_to_slate_timestamp', 'propcast')(utc_timestamp)) -}}
{% endmacro %}

{% macro default__utc_to_slate_timestamp(utc_timestamp) -%}
    ({{ utc_timestamp }} at time zone 'UTC') at time zone '{{ var("slate_timezone") }}'
{%- endmacro %}

{% macro duckdb__utc_to_slate_timestamp(utc_timestamp) -%}
    timezone('{{ var("slate_timezone") }}', timezone('UTC', {{ utc_timestamp }}))
{%- endmacro %}

{% macro bigquery__utc_to_slate_timestamp(utc_timestamp) -%}
    datetime(timestamp({{ utc_timestamp }}), '{{ var("slate_timezone") }}')
{%- endmacro %}


{#- A naive UTC timestamp -> its date in the slate time zone (a game's game_date). -#}
{% macro utc_to_slate_date(utc_timestamp) -%}
    cast({{ utc_to_slate_timestamp(utc_timestamp) }} as date)
{%- endmacro %}


{#- Midnight at the start of a slate date (in the slate time zone) as a naive UTC timestamp. -#}
{% macro slate_date_start_utc(slate_date) %}
    {{- return(adapter.dispatch('slate_date_start_utc', 'propcast')(slate_date)) -}}
{% endmacro %}

{% macro default__slate_date_start_utc(slate_date) -%}
    (cast({{ slate_date }} as timestamp) at time zone '{{ var("slate_timezone") }}') at time zone 'UTC'
{%- endmacro %}

{% macro duckdb__slate_date_start_utc(slate_date) -%}
    timezone('UTC', timezone('{{ var("slate_timezone") }}', cast({{ slate_date }} as timestamp)))
{%- endmacro %}

{% macro bigquery__slate_date_start_utc(slate_date) -%}
    timestamp(datetime({{ slate_date }}), '{{ var("slate_timezone") }}')
{%- endmacro %}
