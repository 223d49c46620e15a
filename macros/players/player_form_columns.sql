{#-
    Renders `relation.<name>` for each form mean of player_form_means(), comma-separated (no
    trailing comma): the form columns a model passes through.
-#}
{% macro player_form_columns(relation) -%}
    {%- for name, column, n in player_form_means() -%}
        {{ relation }}.{{ name }}{{ ',\n    ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
