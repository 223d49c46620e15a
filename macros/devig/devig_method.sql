{#-
    var('devig_method'), checked: one of devig_methods() (a compiler error naming them
    otherwise). Returns the Jinja string: the method used where nothing was chosen for a
    (league, market family) (propcast evaluate --devig --choose).
-#}
{% macro checked_devig_method() -%}
    {%- set method = var('devig_method') -%}
    {%- if method not in devig_methods() -%}
        {{ exceptions.raise_compiler_error(
            "var devig_method must be one of " ~ devig_methods() | join(', ')
            ~ ", got '" ~ method ~ "'") }}
    {%- endif -%}
    {{ return(method) }}
{%- endmacro %}
