{#-
    Betting arithmetic at decimal odds (total return per unit staked, > 1). Each macro renders
    a SQL expression; nulls propagate (no price -> no EV, no stake). Unit-tested through
    fct_bet_recommendations (models/marts/predictions/_predictions__models.yml).
-#}

{#- Expected profit per unit staked on a side with win probability p: p * dec - 1. -#}
{% macro ev_per_unit(prob, price_decimal) -%}
    ({{ prob }}) * ({{ price_decimal }}) - 1.0
{%- endmacro %}


{#-
    Full Kelly fraction of the bankroll, f* = (p * dec - 1) / (dec - 1), floored at 0 (no edge,
    no bet); null when the price is missing or not above 1.
-#}
{% macro kelly_full_fraction(prob, price_decimal) -%}
    case
        when ({{ price_decimal }}) > 1.0
            then greatest(
                (({{ prob }}) * ({{ price_decimal }}) - 1.0) / (({{ price_decimal }}) - 1.0), 0.0
            )
    end
{%- endmacro %}


{#-
    The factor that scales a group of stakes down to a cap: 1 while their sum stays within the
    cap, cap / sum beyond it (so the group's total equals the cap and each stake keeps its
    share). A sum within 1e-12 of the cap counts as within it (floating-point noise).
-#}
{% macro cap_scale(total_fraction, cap_fraction) -%}
    case
        when ({{ total_fraction }}) > ({{ cap_fraction }}) + 1e-12
            then ({{ cap_fraction }}) / ({{ total_fraction }})
        else 1.0
    end
{%- endmacro %}


{#-
    Round a non-negative stake down to `decimals` places, so rounded stakes never add up past
    a cap (a half-up rounding of 60 bets can overshoot by 60 units of the last place). The
    1e-6 in the last place absorbs binary noise (0.07499999999999999 -> 0.075).
-#}
{% macro round_stake_down(value, decimals) -%}
    floor(({{ value }}) * {{ 10 ** decimals }} + 1e-6) / {{ 10 ** decimals }}
{%- endmacro %}
