-- The odds macros on known prices (tolerance 1e-9): American -> implied and decimal,
-- multiplicative and power de-vig. Returns the examples that disagree.
{%- set newton_steps = 8 %}

with

examples as (
    select
        -200 as over_price,
        150 as under_price,
        0.625 as expected_multiplicative_over,
        0.6379213858088064 as expected_power_over,
        1.5 as expected_over_decimal
    union all
    select
        -110 as over_price,
        -110 as under_price,
        0.5 as expected_multiplicative_over,
        0.5 as expected_power_over,
        1.9090909090909092 as expected_over_decimal
    union all
    select
        -150 as over_price,
        130 as under_price,
        0.5798319327731092 as expected_multiplicative_over,
        0.5839826350363595 as expected_power_over,
        1.6666666666666667 as expected_over_decimal
),

implied as (
    select
        *,
        {{ american_to_implied_prob('over_price') }} as over_implied_prob,
        {{ american_to_implied_prob('under_price') }} as under_implied_prob,
        {{ american_to_decimal('over_price') }} as over_decimal
    from examples
),

{{ devig_power_exponent_ctes('implied', 'over_implied_prob', 'under_implied_prob', newton_steps) }},

devigged as (
    select
        *,
        {{ devig_multiplicative('over_implied_prob', 'over_implied_prob', 'under_implied_prob') }}
            as multiplicative_over,
        {{ devig_multiplicative('under_implied_prob', 'over_implied_prob', 'under_implied_prob') }}
            as multiplicative_under,
        {{ devig_power('over_implied_prob', 'power_k_' ~ newton_steps) }} as power_over,
        {{ devig_power('under_implied_prob', 'power_k_' ~ newton_steps) }} as power_under
    from power_newton_{{ newton_steps }}
)

select *
from devigged
where
    abs(multiplicative_over - expected_multiplicative_over) > 1e-9
    or abs(power_over - expected_power_over) > 1e-9
    or abs(multiplicative_over + multiplicative_under - 1) > 1e-9
    or abs(power_over + power_under - 1) > 1e-9
    or abs(over_decimal - expected_over_decimal) > 1e-9
    or abs(1 / over_decimal - over_implied_prob) > 1e-9
