{#-
    Every row satisfies a boolean SQL expression (null counts as false). Narrow the rows with
    dbt's own `config: where:`. Usable on a model or on a column (column_name is ignored:
    the expression names what it checks).
-#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
