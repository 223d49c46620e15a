{{ config(**game_date_slices()) }}

with

quotes as (
    select * from {{ ref('int_prop_odds_unioned') }}
    where
        {{ in_build_slice('game_date') }}
        -- Game totals name no player: int_vendor_game_total_quotes takes them.
        and market != 'game_total'
),

games as (
    select * from {{ ref('stg_league__schedule') }}
),

name_map as (
    select * from {{ ref('int_player_name_map') }}
),

overrides as (
    select * from {{ ref('player_alias_overrides') }}
),

sportsbooks as (
    select * from {{ ref('sportsbooks') }}
)

select
    quotes.vendor,
    quotes.vendor_event_id,
    quotes.book_id,
    quotes.market,
    quotes.side,
    quotes.league,
    quotes.vendor_player_name,
    quotes.player_name_key,
    games.game_id,
    coalesce(overrides.player_id, name_map.player_id) as player_id,
    case
        when overrides.player_id is not null then 'override'
        when name_map.player_id is not null then 'name'
        when name_map.is_ambiguous then 'ambiguous'
        else 'unmapped'
    end as player_mapping,
    quotes.home_team_id,
    quotes.away_team_id,
    quotes.line,
    quotes.price_american,
    quotes.price_decimal,
    quotes.implied_prob,
    quotes.game_date,
    quotes.commence_time,
    coalesce(games.start_time_utc, quotes.commence_time) as game_start_utc,
    quotes.fetched_at,
    quotes.loaded_at,
    quotes.payload_sha256,
    coalesce(sportsbooks.bettable, false) as is_bettable_book
from quotes
left join games
    on
        quotes.league = games.league
        and quotes.game_date = games.game_date
        and quotes.home_team_id = games.home_team_id
        and quotes.away_team_id = games.away_team_id
left join sportsbooks
    on quotes.book_id = sportsbooks.book_id
left join overrides
    on
        quotes.vendor = overrides.vendor
        and quotes.vendor_player_name = overrides.vendor_player_name
left join name_map
    on
        quotes.league = name_map.league
        and quotes.player_name_key = name_map.player_name_key
        and quotes.game_date >= name_map.valid_from
        and (name_map.valid_until is null or quotes.game_date < name_map.valid_until)
