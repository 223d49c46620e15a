-- On the dates this run priced, stakes respect the limits it was given: per bet
-- (max_bet_fraction), per game (max_game_fraction) and per day (max_daily_fraction), as
-- fractions of the bankroll (1e-9 tolerance). Returns the limit broken and by how much.
{{ config(tags=['phase_predictions']) }}
{%- set tolerance = 1e-9 -%}

with

recommendations as (
    select * from {{ ref('fct_bet_recommendations') }}
    where game_date between {{ pricing_score_start() }} and {{ pricing_score_end() }}
),

per_bet as (
    select
        'bet' as cap,
        game_date,
        game_id || ' ' || player_id || ' ' || market || ' ' || line as scope,
        stake_fraction as total_fraction,
        {{ var('max_bet_fraction') }} as cap_fraction
    from recommendations
),

per_game as (
    select
        'game' as cap,
        game_date,
        game_id as scope,
        sum(stake_fraction) as total_fraction,
        {{ var('max_game_fraction') }} as cap_fraction
    from recommendations
    group by game_date, game_id
),

per_day as (
    select
        'day' as cap,
        game_date,
        cast(game_date as {{ dbt.type_string() }}) as scope,
        sum(stake_fraction) as total_fraction,
        {{ var('max_daily_fraction') }} as cap_fraction
    from recommendations
    group by game_date
),

all_caps as (
    select * from per_bet
    union all
    select * from per_game
    union all
    select * from per_day
)

select *
from all_caps
where total_fraction > cap_fraction + {{ tolerance }}
