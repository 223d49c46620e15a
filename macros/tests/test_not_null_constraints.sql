{#-
    The not_null constraints a model declares on its columns, checked where no engine enforces
    them: a model without an enforced contract (intermediate tables, staging views, Python
    models) or a seed. One scan of the model for all its columns instead of one not_null test
    (~55 ms of dbt overhead) per column; a contracted mart needs no test, the engine refuses a
    null at write time. One failing row per column holding nulls: column_name, n_null.
-#}
{% test not_null_constraints(model) %}
    {%- set columns = not_null_constrained_columns() -%}
    {%- if columns %}
        with counted as (
            select
                count(*) as n_rows
                {%- for column in columns %},
                count({{ column }}) as {{ column }}_non_null
                {%- endfor %}
            from {{ model }}
        )

        {% for column in columns -%}
            select
                {{ dbt.string_literal(column) }} as column_name,
                n_rows - {{ column }}_non_null as n_null
            from counted
            where n_rows > {{ column }}_non_null
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as column_name,
            cast(null as {{ dbt.type_int() }}) as n_null
        from (select 1 as one) as nothing
        where 1 = 0
    {%- endif %}
{% endtest %}


{#- The columns the tested node (the test's attached model or seed) declares not_null. -#}
{% macro not_null_constrained_columns() -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- set tested = graph.nodes.get(model.attached_node or '', {}) -%}
        {%- for column in tested.get('columns', {}).values() -%}
            {%- for constraint in column.get('constraints', []) -%}
                {%- if constraint.get('type') == 'not_null' -%}
                    {%- do columns.append(column.get('name')) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(columns) -}}
{%- endmacro %}
