{#-
    Two-way de-vig in SQL: the fair P(over) by each method of propcast.devig (same names, same
    closed forms; definitions and sources in propcast/devig.py). P(under) = 1 - P(over).
    pi_over, pi_under are implied probabilities with the vig (pi_over + pi_under = 1 + m).
-#}

{#- The method names, in propcast.devig.METHODS order (a Jinja list, not SQL). -#}
{% macro devig_methods() -%}
    {{ return([
        'multiplicative', 'additive', 'power', 'shin', 'odds_ratio', 'logarithmic',
        'margin_proportional',
    ]) }}
{%- endmacro %}


{#-
    The fair P(over) by `method` (a compile-time name). power needs `power_k`, the column of
    the exponent from devig_power_exponent_ctes. shin renders the additive closed form and
    logarithmic the odds-ratio one: on two outcomes they are equal (derived in
    propcast/devig.py).
-#}
{% macro devig_fair_over(method, prob_over, prob_under, power_k=none) -%}
    {%- if method not in devig_methods() -%}
        {{ exceptions.raise_compiler_error(
            "unknown de-vig method '" ~ method ~ "'; one of: " ~ devig_methods() | join(', ')) }}
    {%- endif -%}
    {%- if method == 'power' and power_k is none -%}
        {{ exceptions.raise_compiler_error(
            "devig_fair_over('power', ...) needs power_k (devig_power_exponent_ctes)") }}
    {%- endif -%}
    {%- set closed_forms = {
        'multiplicative': devig_multiplicative(prob_over, prob_over, prob_under),
        'additive': devig_additive_over(prob_over, prob_under),
        'shin': devig_additive_over(prob_over, prob_under),
        'margin_proportional': devig_margin_proportional_over(prob_over, prob_under),
        'odds_ratio': devig_odds_ratio_over(prob_over, prob_under),
        'logarithmic': devig_odds_ratio_over(prob_over, prob_under),
        'power': devig_power(prob_over, power_k) if power_k is not none else none,
    } -%}
    {{ closed_forms[method] }}
{%- endmacro %}


{#- Additive (and Shin on two outcomes): pi_over - m / 2 = (1 + pi_over - pi_under) / 2. -#}
{% macro devig_additive_over(prob_over, prob_under) -%}
    (1.0 + {{ prob_over }} - {{ prob_under }}) / 2.0
{%- endmacro %}


{#- Margin proportional to the odds: fair odds 2 O / (2 - m O), O = 1 / pi_over, inverted. -#}
{% macro devig_margin_proportional_over(prob_over, prob_under) -%}
    (2.0 - ({{ prob_over }} + {{ prob_under }} - 1.0) / {{ prob_over }})
    / (2.0 / {{ prob_over }})
{%- endmacro %}


{#- Odds ratio, two outcomes: x = sqrt(o_over / o_under), x / (1 + x), o = pi / (1 - pi). -#}
{% macro devig_odds_ratio_over(prob_over, prob_under) -%}
    sqrt(
        ({{ prob_over }} / (1.0 - {{ prob_over }}))
        / ({{ prob_under }} / (1.0 - {{ prob_under }}))
    )
    / (
        1.0 + sqrt(
            ({{ prob_over }} / (1.0 - {{ prob_over }}))
            / ({{ prob_under }} / (1.0 - {{ prob_under }}))
        )
    )
{%- endmacro %}


{#-
    The fair P(over) by the method named in a column (one row's method, e.g. the one chosen
    for its league and market family): a case over every method; null for an unknown name.
-#}
{% macro devig_fair_over_by_method(method_column, prob_over, prob_under, power_k) -%}
    case {{ method_column }}
    {%- for method in devig_methods() %}
        when '{{ method }}' then {{ devig_fair_over(method, prob_over, prob_under, power_k) }}
    {%- endfor %}
    end
{%- endmacro %}
