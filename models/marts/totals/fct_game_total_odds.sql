with

quotes as (
    select * from {{ ref('int_game_total_quotes') }}
)

select
    game_id,
    league,
    game_date,
    home_team_id,
    away_team_id,
    book,
    line_type,
    line,
    over_price_american,
    under_price_american,
    over_price_decimal,
    under_price_decimal,
    over_implied_prob,
    under_implied_prob,
    overround,
    fair_prob_over_multiplicative,
    fair_prob_over_power,
    devig_method,
    fair_prob_over,
    fair_prob_under,
    prices_assumed,
    is_bettable_book,
    fetched_at,
    loaded_at
from quotes
