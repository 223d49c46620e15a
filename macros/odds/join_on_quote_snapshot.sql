{#-
    One book's two-sided quote in one vendor snapshot is named by these columns (the grain of
    int_prop_quote_outliers): the wrong-line flags join back onto quotes by them.
-#}
{% macro join_on_quote_snapshot(left, right) -%}
    {%- set key = [
        'vendor', 'book_id', 'vendor_event_id', 'market', 'vendor_player_name', 'line',
        'fetched_at'
    ] -%}
    {%- for column in key %}
        {% if not loop.first %}and {% endif %}{{ left }}.{{ column }} = {{ right }}.{{ column }}
    {%- endfor %}
{%- endmacro %}
