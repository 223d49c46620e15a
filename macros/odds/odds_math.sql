{#-
    Odds arithmetic. American odds: -150 means stake 150 to win 100, +130 means stake 100 to
    win 130. |price| >= 100 is guaranteed by ingestion (other rows are quarantined).
-#}

{#- The probability a price implies (vig included): -150 -> 0.6, +130 -> 0.4348. -#}
{% macro american_to_implied_prob(price_american) -%}
    case
        when {{ price_american }} < 0
            then -1.0 * {{ price_american }} / (-1.0 * {{ price_american }} + 100.0)
        when {{ price_american }} > 0
            then 100.0 / ({{ price_american }} + 100.0)
    end
{%- endmacro %}


{#- Decimal odds (total return per unit staked): -150 -> 1.6667, +130 -> 2.30. -#}
{% macro american_to_decimal(price_american) -%}
    case
        when {{ price_american }} < 0 then 1.0 + 100.0 / (-1.0 * {{ price_american }})
        when {{ price_american }} > 0 then 1.0 + {{ price_american }} / 100.0
    end
{%- endmacro %}


{#- Multiplicative (proportional) de-vig: p_i / (p_over + p_under). -#}
{% macro devig_multiplicative(prob, prob_over, prob_under) -%}
    {{ prob }} / ({{ prob_over }} + {{ prob_under }})
{%- endmacro %}


{#-
    Power de-vig: fair p_i = p_i ^ k with k solving p_over^k + p_under^k = 1.
    f(k) = p_over^k + p_under^k - 1 is decreasing and convex in k, so Newton's method from
    k = 1 converges monotonically; devig_power_newton_step renders one step and
    devig_power_exponent_ctes unrolls `steps` of them as CTEs (8 steps reach ~1e-15 for
    prices between -10000 and +10000 and overrounds up to 20 %).
-#}
{% macro devig_power_newton_step(prob_over, prob_under, k) -%}
    {{ k }} - (power({{ prob_over }}, {{ k }}) + power({{ prob_under }}, {{ k }}) - 1.0)
    / (
        power({{ prob_over }}, {{ k }}) * ln({{ prob_over }})
        + power({{ prob_under }}, {{ k }}) * ln({{ prob_under }})
    )
{%- endmacro %}


{#-
    Renders CTEs power_newton_0 .. power_newton_<steps> on top of `from_cte`; each adds a
    column power_k_<i>. Select power_k_<steps> from power_newton_<steps>: the exponent k.
    Rows without both probabilities keep k null.
-#}
{% macro devig_power_exponent_ctes(from_cte, prob_over, prob_under, steps=8) -%}
    power_newton_0 as (
        select
            *,
            case
                when {{ prob_over }} > 0 and {{ prob_under }} > 0 then 1.0
            end as power_k_0
        from {{ from_cte }}
    ),
    {%- for step in range(1, steps + 1) %}

    power_newton_{{ step }} as (
        select
            *,
            {{ devig_power_newton_step(prob_over, prob_under, 'power_k_' ~ (step - 1)) }}
            as power_k_{{ step }}
        from power_newton_{{ step - 1 }}
    ){{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The fair probability under the power method, given the exponent k. -#}
{% macro devig_power(prob, k) -%}
    power({{ prob }}, {{ k }})
{%- endmacro %}
