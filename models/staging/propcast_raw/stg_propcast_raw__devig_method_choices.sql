{#-
    The de-vig method choices (source propcast_raw.devig_method_choices). The raw table exists
    only once `propcast evaluate --devig --choose` has stored a choice; before that this view
    is empty with the same columns, so a fresh warehouse builds.
-#}
{%- set raw_choices = source('propcast_raw', 'devig_method_choices') -%}
{%- set raw_exists = true -%}
{#- The offline BigQuery check cannot ask whether it exists: it compiles the usual case. -#}
{%- if execute and not bigquery_offline_check() -%}
    {%- set raw_exists = load_relation(raw_choices) is not none -%}
{%- endif -%}

with

source as (
    {% if raw_exists -%}
        select * from {{ raw_choices }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_bigint() }}) as choice_batch,
            cast(null as {{ dbt.type_string() }}) as league,
            cast(null as {{ dbt.type_string() }}) as market_family,
            cast(null as {{ dbt.type_string() }}) as devig_method,
            cast(null as date) as chosen_on,
            cast(null as {{ dbt.type_timestamp() }}) as chosen_at,
            cast(null as {{ dbt.type_bigint() }}) as n_lines
        where false
    {%- endif %}
),

renamed as (
    select
        -- keys
        choice_batch,
        upper(league) as league,
        market_family,

        -- strings
        devig_method,

        -- numerics
        n_lines,

        -- dates and timestamps (naive UTC)
        chosen_on,
        chosen_at
    from source
)

select * from renamed
