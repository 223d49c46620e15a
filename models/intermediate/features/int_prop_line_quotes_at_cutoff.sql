{#-
    The quotes a date's lines are priced from: every mapped (game and player ids), pre-game
    quote of var('prop_markets') fetched at or before the date's pricing cutoff (macro
    pricing_cutoff_utc: var cutoff_utc on run_date, the pricing clock, var pricing_clock_et in
    US/Eastern, on every other date), each with its book's board at the cutoff: the book's
    latest snapshot of the player's market fetched by then (across vendors). The quotes on
    the board are the book's offers at the cutoff; the earlier ones date each line's opening.
-#}
{{ config(**game_date_slices()) }}

with

quotes as (
    select * from {{ ref('fct_prop_odds') }}
    where
        {{ in_build_slice('game_date') }}
        and game_id is not null
        and player_id is not null
        and is_pregame
        and {{ in_prop_markets('market') }}
),

priceable_quotes as (
    select
        *,
        {{ pricing_cutoff_utc('game_date') }} as pricing_cutoff_utc
    from quotes
),

usable_quotes as (
    select *
    from priceable_quotes
    where fetched_at <= pricing_cutoff_utc
),

boarded_quotes as (
    select
        *,
        max(fetched_at) over (
            partition by game_id, player_id, market, book_id
        ) as board_fetched_at
    from usable_quotes
)

select
    vendor,
    book_id,
    vendor_event_id,
    vendor_player_name,
    game_id,
    player_id,
    market,
    line,
    league,
    game_date,
    game_start_utc,
    pricing_cutoff_utc,
    fetched_at,
    board_fetched_at,
    fetched_at = board_fetched_at as is_on_board,
    is_bettable_book,
    is_wrong_line,
    is_two_sided,
    over_price_american,
    over_price_decimal,
    under_price_american,
    under_price_decimal,
    fair_prob_over
from boarded_quotes
