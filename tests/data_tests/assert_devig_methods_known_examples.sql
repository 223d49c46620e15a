-- The de-vig macros (devig_fair_over, devig_fair_over_by_method) on the worked values of
-- tests/unit/test_devig.py (arithmetic there), tolerance 1e-9: -150/+130 (pi 0.6, 10/23),
-- -200/+150 (pi 2/3, 0.4) and -110/-110 (0.5 by every method). Returns the disagreements.
{%- set newton_steps = 8 %}

with

examples as (
    select
        -150 as over_price,
        130 as under_price,
        0.5798319327731092 as expected_multiplicative,
        0.5826086956521739 as expected_additive,
        0.5839826350363595 as expected_power,
        0.5827115743401114 as expected_odds_ratio
    union all
    select
        -200 as over_price,
        150 as under_price,
        0.625 as expected_multiplicative,
        0.6333333333333333 as expected_additive,
        0.6379213858088064 as expected_power,
        0.6339745962155614 as expected_odds_ratio
    union all
    select
        -110 as over_price,
        -110 as under_price,
        0.5 as expected_multiplicative,
        0.5 as expected_additive,
        0.5 as expected_power,
        0.5 as expected_odds_ratio
),

implied as (
    select
        *,
        {{ american_to_implied_prob('over_price') }} as over_implied_prob,
        {{ american_to_implied_prob('under_price') }} as under_implied_prob
    from examples
),

{{ devig_power_exponent_ctes('implied', 'over_implied_prob', 'under_implied_prob', newton_steps) }},

{#- Which worked value each method must give (the two-way equalities of propcast.devig). -#}
{%- set expected_of = {
    'shin': 'additive', 'margin_proportional': 'additive', 'logarithmic': 'odds_ratio',
} %}

devigged as (
    select
        *,
    {%- for method in devig_methods() %}
        expected_{{ expected_of.get(method, method) }} as expected_{{ method }}_over,
            {{ devig_fair_over(
                method, 'over_implied_prob', 'under_implied_prob', 'power_k_' ~ newton_steps
            ) }} as {{ method }}_over{{ ',' if not loop.last }}
    {%- endfor %}
    from power_newton_{{ newton_steps }}
),

method_names as (
    {%- for method in devig_methods() %}
        select '{{ method }}' as method_name{{ ' union all' if not loop.last }}
    {%- endfor %}
),

by_method as (
    select
        devigged.over_price,
        devigged.under_price,
        method_names.method_name,
        case method_names.method_name
            {%- for method in devig_methods() %}
                when '{{ method }}' then devigged.expected_{{ method }}_over
            {%- endfor %}
        end as expected_over,
        case method_names.method_name
            {%- for method in devig_methods() %}
                when '{{ method }}' then devigged.{{ method }}_over
            {%- endfor %}
        end as fair_over,
        {{ devig_fair_over_by_method(
            'method_names.method_name', 'devigged.over_implied_prob',
            'devigged.under_implied_prob', 'devigged.power_k_' ~ newton_steps
        ) }} as fair_over_by_column
    from devigged
    cross join method_names
)

select *
from by_method
where
    not abs(fair_over - expected_over) <= 1e-9
    or not abs(fair_over_by_column - expected_over) <= 1e-9
