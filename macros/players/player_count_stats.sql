{#-
    The player counts the league's boxscores carry, per player and game: each is the `stat` of
    a prop market (seeds/markets.csv) and has a rolling form mean. A new count market of the
    league is one more name here (and its column in the league feed, propcast/vendors/league.py,
    and in the YAML of the models that carry it), never a copied column list.
-#}
{% macro player_count_stats() -%}
    {{ return(['points', 'rebounds', 'assists', 'threes', 'shots_on_goal', 'goals']) }}
{%- endmacro %}
