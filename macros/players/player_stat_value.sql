{#-
    Renders a SQL expression: the value of the count named by `stat` (a SQL expression, e.g. a
    market's stat from the markets seed) in `relation`'s columns; null for another name.
-#}
{% macro player_stat_value(stat, relation, stats=none) -%}
    case {{ stat }}
    {%- for name in (stats if stats is not none else player_count_stats()) %}
        when '{{ name }}' then {{ relation }}.{{ name }}
    {%- endfor %}
    end
{%- endmacro %}
