{#- Read and tested by game_date slice (macros/incremental): the partition leads with it. -#}
{{ config(meta={'sliced_by_game_date': true}) }}

with

source as (
    select * from {{ source('decimalfeed', 'prop_odds') }}
),

team_aliases as (
    select * from {{ ref('team_aliases') }}
),

{{ vendor_alias_ctes('decimalfeed') }},

renamed as (
    select
        -- ids
        'decimalfeed' as vendor,
        fixture_id as vendor_event_id,
        lower(trim(bookmaker)) as vendor_book,
        lower(trim(market)) as vendor_market,
        case lower(trim(selection))
            when 'over' then 'over'
            when 'under' then 'under'
        end as side,
        payload_sha256,
        source_file,

        -- strings
        case lower(trim(sport))
            when 'basketball/nba' then 'NBA'
            when 'icehockey/nhl' then 'NHL'
        end as league,
        trim(participant) as vendor_player_name,
        {{ normalize_person_name('participant') }} as player_name_key,
        bookmaker as book_title,
        coalesce(home_abbr, home_name) as vendor_home_team,
        coalesce(away_abbr, away_name) as vendor_away_team,
        home_name as vendor_home_team_name,
        away_name as vendor_away_team_name,

        -- numerics
        cast(handicap as {{ type_double() }}) as line,
        cast(odds as {{ type_double() }}) as price_decimal,
        -- Display only: the American equivalent, rounded; price_decimal is the quoted price.
        round({{ decimal_to_american('odds') }}, 0) as price_american,
        {{ decimal_to_implied_prob('odds') }} as implied_prob,

        -- dates and timestamps (naive UTC)
        coalesce(game_date, {{ utc_to_slate_date('start') }}) as game_date,
        start as commence_time,
        fetched_at,
        loaded_at
    from source
),

-- Team by its code first, else by its nickname (both spellings are in team_aliases).
mapped as (
    select
        renamed.*,
        coalesce(book_aliases.book_id, renamed.vendor_book) as book_id,
        coalesce(market_aliases.market_id, renamed.vendor_market) as market,
        coalesce(home_by_code.team_id, home_by_name.team_id) as home_team_id,
        coalesce(away_by_code.team_id, away_by_name.team_id) as away_team_id
    from renamed
    left join book_aliases
        on renamed.vendor_book = book_aliases.alias
    left join market_aliases
        on renamed.vendor_market = market_aliases.alias
    {{ join_team_alias('renamed', 'vendor_home_team', 'home_by_code') }}
    {{ join_team_alias('renamed', 'vendor_home_team_name', 'home_by_name') }}
    {{ join_team_alias('renamed', 'vendor_away_team', 'away_by_code') }}
    {{ join_team_alias('renamed', 'vendor_away_team_name', 'away_by_name') }}
),

{{ select_latest_prop_quotes('mapped') }}
