{{ config(**game_date_slices()) }}

with

quotes as (
    select * from {{ ref('int_prop_odds_devigged') }}
    where {{ in_build_slice('game_date') }}
),

opening_closing as (
    select * from {{ ref('int_prop_odds_opening_closing') }}
    where {{ in_build_slice('game_date') }}
),

best_lines as (
    select * from {{ ref('int_prop_odds_best_line') }}
    where {{ in_build_slice('game_date') }}
),

outliers as (
    select * from {{ ref('int_prop_quote_outliers') }}
    where {{ in_build_slice('game_date') }}
)

select
    quotes.vendor,
    quotes.book_id,
    quotes.vendor_event_id,
    quotes.game_id,
    quotes.league,
    quotes.game_date,
    quotes.market,
    quotes.vendor_player_name,
    quotes.player_name_key,
    quotes.player_id,
    quotes.player_mapping,
    quotes.line,
    quotes.fetched_at,
    quotes.loaded_at,
    quotes.game_start_utc,
    quotes.fetched_at < quotes.game_start_utc as is_pregame,
    quotes.is_bettable_book,
    quotes.is_two_sided,
    quotes.over_price_american,
    quotes.under_price_american,
    quotes.over_price_decimal,
    quotes.under_price_decimal,
    quotes.over_implied_prob,
    quotes.under_implied_prob,
    quotes.overround,
    quotes.fair_prob_over_multiplicative,
    quotes.fair_prob_over_power,
    quotes.devig_method,
    quotes.fair_prob_over,
    quotes.fair_prob_under,
    quotes.fetched_at = opening_closing.opening_fetched_at as is_opening,
    quotes.fetched_at = opening_closing.closing_fetched_at as is_closing,
    best_over.best_price_decimal as best_over_price_decimal,
    best_over.best_book_id as best_over_book_id,
    best_under.best_price_decimal as best_under_price_decimal,
    best_under.best_book_id as best_under_book_id,
    coalesce(outliers.is_wrong_line, false) as is_wrong_line,
    outliers.wrong_line_reason
from quotes
left join outliers
    on {{ join_on_quote_snapshot('quotes', 'outliers') }}
left join opening_closing
    on
        quotes.game_id = opening_closing.game_id
        and quotes.player_id = opening_closing.player_id
        and quotes.market = opening_closing.market
        and quotes.book_id = opening_closing.book_id
left join best_lines as best_over
    on
        quotes.game_id = best_over.game_id
        and quotes.player_id = best_over.player_id
        and quotes.market = best_over.market
        and quotes.line = best_over.line
        and quotes.fetched_at = best_over.as_of
        and best_over.side = 'over'
left join best_lines as best_under
    on
        quotes.game_id = best_under.game_id
        and quotes.player_id = best_under.player_id
        and quotes.market = best_under.market
        and quotes.line = best_under.line
        and quotes.fetched_at = best_under.as_of
        and best_under.side = 'under'
