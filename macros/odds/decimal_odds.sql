{#-
    Decimal odds (total return per unit staked, > 1; decimalfeed quotes them). Prices at or
    below 1 never reach staging (ingestion quarantines them), so the macros return null there.
-#}

{#- The probability a decimal price implies (vig included): 1.87 -> 0.5348, 2.5 -> 0.4. -#}
{% macro decimal_to_implied_prob(price_decimal) -%}
    case
        when {{ price_decimal }} > 1 then 1.0 / {{ price_decimal }}
    end
{%- endmacro %}


{#-
    The American equivalent of a decimal price: 2.5 -> +150, 1.5 -> -200, 2.0 -> +100.
    Not rounded (1.87 -> -114.94...): round it for display only.
-#}
{% macro decimal_to_american(price_decimal) -%}
    case
        when {{ price_decimal }} >= 2 then ({{ price_decimal }} - 1.0) * 100.0
        when {{ price_decimal }} > 1 then -100.0 / ({{ price_decimal }} - 1.0)
    end
{%- endmacro %}
