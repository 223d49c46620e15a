{#-
    `column` in var('prop_markets') (or PROPCAST_PROP_MARKETS, passed as the var): the
    player-prop families the prediction layer prices. One market a line, so any number of
    families keeps the compiled SQL readable.
-#}
{% macro in_prop_markets(column) -%}
    {%- set markets = var('prop_markets') -%}
    {%- if markets is string -%}{%- set markets = markets.split(',') -%}{%- endif -%}
    {{ column }} in (
    {%- for market in markets %}
        '{{ market | trim }}'{{ ',' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}
