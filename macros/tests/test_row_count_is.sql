{#- The model holds exactly `expected` rows; fails with the count it found. -#}
{% test row_count_is(model, expected) %}
    select count(*) as row_count
    from {{ model }}
    having count(*) != {{ expected | int }}
{% endtest %}
