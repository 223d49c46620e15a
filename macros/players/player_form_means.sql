{#-
    The as-of form means of a player, [name, column, n]: each count of player_count_stats() and
    minutes, over his last n games for each n of form_windows() (e.g. ['threes_avg_5', 'threes',
    5]).
-#}
{% macro player_form_means() -%}
    {%- set means = [] -%}
    {%- for column in player_count_stats() + ['minutes'] -%}
        {%- for n in form_windows() -%}
            {%- do means.append([column ~ '_avg_' ~ n, column, n]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(means) }}
{%- endmacro %}
