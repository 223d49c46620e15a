{%- set devig_method = var('devig_method') -%}
{%- if devig_method not in ('multiplicative', 'power') -%}
    {{ exceptions.raise_compiler_error(
        "var devig_method must be 'multiplicative' or 'power', got '" ~ devig_method ~ "'") }}
{%- endif -%}
{%- set newton_steps = 8 -%}


{{ config(**game_date_slices()) }}

with

quotes as (
    select * from {{ ref('int_prop_odds_mapped') }}
    where {{ in_build_slice('game_date') }}
),

paired as (
    select
        vendor,
        book_id,
        vendor_event_id,
        market,
        vendor_player_name,
        line,
        fetched_at,
        league,
        player_name_key,
        game_id,
        player_id,
        player_mapping,
        home_team_id,
        away_team_id,
        game_date,
        commence_time,
        game_start_utc,
        is_bettable_book,
        max(case when side = 'over' then price_american end) as over_price_american,
        max(case when side = 'under' then price_american end) as under_price_american,
        max(case when side = 'over' then price_decimal end) as over_price_decimal,
        max(case when side = 'under' then price_decimal end) as under_price_decimal,
        max(case when side = 'over' then implied_prob end) as over_implied_prob,
        max(case when side = 'under' then implied_prob end) as under_implied_prob,
        max(loaded_at) as loaded_at
    from quotes
    group by
        vendor,
        book_id,
        vendor_event_id,
        market,
        vendor_player_name,
        line,
        fetched_at,
        league,
        player_name_key,
        game_id,
        player_id,
        player_mapping,
        home_team_id,
        away_team_id,
        game_date,
        commence_time,
        game_start_utc,
        is_bettable_book
),

{{ devig_power_exponent_ctes('paired', 'over_implied_prob', 'under_implied_prob', newton_steps) }},

devigged as (
    select
        *,
        over_implied_prob + under_implied_prob - 1.0 as overround,
        {{ devig_multiplicative('over_implied_prob', 'over_implied_prob', 'under_implied_prob') }}
            as fair_prob_over_multiplicative,
        {{ devig_multiplicative('under_implied_prob', 'over_implied_prob', 'under_implied_prob') }}
            as fair_prob_under_multiplicative,
        power_k_{{ newton_steps }} as power_exponent,
        {{ devig_power('over_implied_prob', 'power_k_' ~ newton_steps) }} as fair_prob_over_power,
        {{ devig_power('under_implied_prob', 'power_k_' ~ newton_steps) }} as fair_prob_under_power
    from power_newton_{{ newton_steps }}
)

select
    vendor,
    book_id,
    vendor_event_id,
    market,
    vendor_player_name,
    line,
    fetched_at,
    league,
    player_name_key,
    game_id,
    player_id,
    player_mapping,
    home_team_id,
    away_team_id,
    game_date,
    commence_time,
    game_start_utc,
    over_price_american is not null and under_price_american is not null as is_two_sided,
    over_price_american,
    under_price_american,
    over_price_decimal,
    under_price_decimal,
    over_implied_prob,
    under_implied_prob,
    overround,
    fair_prob_over_multiplicative,
    fair_prob_under_multiplicative,
    power_exponent,
    fair_prob_over_power,
    fair_prob_under_power,
    '{{ devig_method }}' as devig_method,
    fair_prob_over_{{ devig_method }} as fair_prob_over,
    fair_prob_under_{{ devig_method }} as fair_prob_under,
    loaded_at,
    is_bettable_book
from devigged
