{#-
    The games each as-of form mean spans (player_form_means): 5 and 10 follow form, 82 (about a
    season) a player's level, which 10 noisy games estimate poorly. Each n is a window
    `last_<n>` of int_player_game_features_asof.
-#}
{% macro form_windows() -%}
    {{ return([5, 10, 82]) }}
{%- endmacro %}
