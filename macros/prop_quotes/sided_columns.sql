{#-
    Over/under pairs of columns. A market quoted on two sides repeats each per-side column
    once per side (over_price_american, under_price_american, ...): these macros write such
    lists once, column by column, over before under. (`sides` is an argument, not a macro's
    return value: sqlfluff's templater ends a macro at a nested macro's return().)
-#}

{#-
    Pivots one-row-per-side quotes (column `side_column`) into one row per pair: for each
    column c of `columns` and each side s, `max(case when side = 's' then c end) as s_c`,
    comma-separated (no trailing comma). Use in a select grouped by the pair's key.
-#}
{% macro pivot_sides(columns, side_column='side', sides=['over', 'under']) -%}
    {%- for column in columns -%}
        {%- set outer = loop -%}
        {%- for side in sides %}
            max(case when {{ side_column }} = '{{ side }}' then {{ column }} end)
                as {{ side }}_{{ column }}{{ ',' if not (outer.last and loop.last) }}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}


{#-
    The names of per-side columns, comma-separated (no trailing comma): for each pattern in
    `patterns` (a name with `{side}` where the side goes, e.g. 'fair_prob_{side}_power'), the
    over column then the under column.
-#}
{% macro sided_columns(patterns, sides=['over', 'under']) -%}
    {%- for pattern in patterns -%}
        {%- set outer = loop -%}
        {%- for side in sides %}
            {{ pattern.replace('{side}', side) }}{{ ',' if not (outer.last and loop.last) }}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}
