{#-
    var('devig_method'), checked: 'multiplicative' or 'power' (a compiler error otherwise).
    Returns the Jinja string; the models that de-vig pick their fair probabilities with it.
-#}
{% macro checked_devig_method() -%}
    {%- set method = var('devig_method') -%}
    {%- if method not in ('multiplicative', 'power') -%}
        {{ exceptions.raise_compiler_error(
            "var devig_method must be 'multiplicative' or 'power', got '" ~ method ~ "'") }}
    {%- endif -%}
    {{ return(method) }}
{%- endmacro %}
