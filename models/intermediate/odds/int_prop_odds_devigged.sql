{%- set newton_steps = 8 -%}
{#- One pair of quotes (over and under) per key; the key's columns lead the output. -#}
{%- set pair_key = [
    'vendor', 'book_id', 'vendor_event_id', 'market', 'vendor_player_name', 'line', 'fetched_at',
    'league', 'player_name_key', 'game_id', 'player_id', 'player_mapping', 'home_team_id',
    'away_team_id', 'game_date', 'commence_time', 'game_start_utc',
] -%}
{#- Each side's fair probability by multiplicative and power (kept as columns). -#}
{%- set fair_probs -%}
    {%- for side in ['over', 'under'] -%}
        {%- set prob = side ~ '_implied_prob' -%}
        {{ devig_multiplicative(prob, 'over_implied_prob', 'under_implied_prob') }}
            as fair_prob_{{ side }}_multiplicative,
        {{ devig_power(prob, 'power_k_' ~ newton_steps) }}
            as fair_prob_{{ side }}_power{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endset %}


{{ config(**game_date_slices()) }}

with

quotes as (
    select * from {{ ref('int_prop_odds_mapped') }}
    where {{ in_build_slice('game_date') }}
),

method_periods as (
    select * from {{ ref('int_devig_method_periods') }}
),

paired as (
    select
        {%- for column in pair_key %}
            {{ column }},
        {%- endfor %}
        is_bettable_book,
        {{ pivot_sides(['price_american', 'price_decimal', 'implied_prob']) }},
        max(loaded_at) as loaded_at
    from quotes
    group by {{ pair_key | join(', ') }}, is_bettable_book
),

{{ devig_power_exponent_ctes('paired', 'over_implied_prob', 'under_implied_prob', newton_steps) }},

devigged as (
    select
        *,
        over_implied_prob + under_implied_prob - 1.0 as overround,
        power_k_{{ newton_steps }} as power_exponent,
        {{ fair_probs }}
    from power_newton_{{ newton_steps }}
),

with_method as (
    select
        devigged.*,
        {{ chosen_devig_method('method_periods') }} as devig_method
    from devigged
    {{ join_devig_method_periods(
        'method_periods', 'devigged.league', 'devigged.market', 'devigged.game_date'
    ) }}
)

select
    {%- for column in pair_key %}
        {{ column }},
    {%- endfor %}
    over_price_american is not null and under_price_american is not null as is_two_sided,
    {{ sided_columns(['{side}_price_american', '{side}_price_decimal', '{side}_implied_prob']) }},
    overround,
    {{ sided_columns(['fair_prob_{side}_multiplicative']) }},
    power_exponent,
    {{ sided_columns(['fair_prob_{side}_power']) }},
    devig_method,
    {{ devig_fair_over_by_method(
        'devig_method', 'over_implied_prob', 'under_implied_prob', 'power_exponent'
    ) }} as fair_prob_over,
    {#- each method is symmetric: P(under) is the over's formula with the sides swapped -#}
    {{ devig_fair_over_by_method(
        'devig_method', 'under_implied_prob', 'over_implied_prob', 'power_exponent'
    ) }} as fair_prob_under,
    loaded_at,
    is_bettable_book
from with_method
