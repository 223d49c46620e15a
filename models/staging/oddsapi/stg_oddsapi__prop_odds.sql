{#- Read and tested by game_date slice (macros/incremental): the partition leads with it. -#}
{{ config(meta={'sliced_by_game_date': true}) }}

with

source as (
    select * from {{ source('oddsapi', 'prop_odds') }}
),

team_aliases as (
    select * from {{ ref('team_aliases') }}
),

-- The API's market keys are propcast's (player_points, ...) but for a game total (`totals`).
market_aliases as (
    select * from {{ ref('market_aliases') }}
    where vendor = 'oddsapi'
),

renamed as (
    select
        -- ids
        'oddsapi' as vendor,
        event_id as vendor_event_id,
        lower(trim(bookmaker_key)) as book_id,
        lower(trim(market_key)) as vendor_market,
        case lower(trim(outcome_name))
            when 'over' then 'over'
            when 'under' then 'under'
        end as side,
        payload_sha256,
        source_file,

        -- strings
        case sport_key
            when 'basketball_nba' then 'NBA'
            when 'icehockey_nhl' then 'NHL'
        end as league,
        trim(outcome_description) as vendor_player_name,
        {{ normalize_person_name('outcome_description') }} as player_name_key,
        bookmaker_title as book_title,
        home_team as vendor_home_team,
        away_team as vendor_away_team,

        -- numerics
        cast(outcome_point as {{ type_double() }}) as line,
        cast(outcome_price as {{ type_double() }}) as price_american,
        {{ american_to_decimal('outcome_price') }} as price_decimal,
        {{ american_to_implied_prob('outcome_price') }} as implied_prob,

        -- dates and timestamps (naive UTC)
        coalesce(game_date, {{ utc_to_slate_date('commence_time') }}) as game_date,
        commence_time,
        bookmaker_last_update as book_updated_at,
        market_last_update as market_updated_at,
        fetched_at,
        loaded_at
    from source
),

with_teams as (
    select
        renamed.*,
        coalesce(market_aliases.market_id, renamed.vendor_market) as market,
        home_alias.team_id as home_team_id,
        away_alias.team_id as away_team_id
    from renamed
    left join market_aliases
        on renamed.vendor_market = market_aliases.alias
    {{ join_team_alias('renamed', 'vendor_home_team', 'home_alias') }}
    {{ join_team_alias('renamed', 'vendor_away_team', 'away_alias') }}
),

{{ select_latest_prop_quotes(
    'with_teams', vendor_columns=['book_updated_at', 'market_updated_at']
) }}
