{#-
    What the vendors' staging views of prop quotes share: their output columns, the latest
    version of each quote, and the team alias lookup.
-#}

{#-
    The end of a vendor's staging view: a CTE `versioned` ranking the quotes of `from_cte`
    (prop_quote_version_rank), then the final select of the staged columns of the latest
    version of each quote: the union's columns (prop_odds_columns) plus the vendor's spellings
    of the teams, the book's title and the source file; `vendor_columns` (the vendor's extra
    columns) come after commence_time.
-#}
{% macro select_latest_prop_quotes(from_cte, vendor_columns=[]) -%}
    {%- set staged_columns = [
        'vendor', 'vendor_event_id', 'book_id', 'market', 'side', 'league',
        'vendor_player_name', 'player_name_key', 'home_team_id', 'away_team_id',
        'vendor_home_team', 'vendor_away_team', 'book_title',
        'line', 'price_american', 'price_decimal', 'implied_prob',
        'game_date', 'commence_time',
    ] + vendor_columns + ['fetched_at', 'loaded_at', 'payload_sha256', 'source_file'] -%}
    versioned as (
        select
            *,
            {{ prop_quote_version_rank() }} as version_rank
        from {{ from_cte }}
    )

    select
        {{ staged_columns | join(', ') }}
    from versioned
    where version_rank = 1
{%- endmacro %}


{#-
    A left join of the team_aliases CTE as `alias`, matching `relation`'s league and its team
    spelling `team_column` (trimmed, lower-cased) to the seed's alias.
-#}
{% macro join_team_alias(relation, team_column, alias) -%}
    left join team_aliases as {{ alias }}
        on
            {{ relation }}.league = {{ alias }}.league
            and lower(trim({{ relation }}.{{ team_column }})) = {{ alias }}.alias
{%- endmacro %}


{#-
    The alias seeds' rows of one vendor, as two CTEs (no trailing comma): book_aliases (the
    vendor's book spellings -> book_id) and market_aliases (its market spellings -> market_id).
-#}
{% macro vendor_alias_ctes(vendor) -%}
    book_aliases as (
        select * from {{ ref('book_aliases') }}
        where vendor = '{{ vendor }}'
    ),

    market_aliases as (
        select * from {{ ref('market_aliases') }}
        where vendor = '{{ vendor }}'
    )
{%- endmacro %}
