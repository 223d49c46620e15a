{#-
    SQL (for a pre_hook) that relaxes `column`'s NOT NULL constraint on an incremental model's
    existing table: a table keeps the constraints it was created with, so a column a model's
    contract has since made nullable would refuse the new rows. Empty before the table exists
    (the contract then creates it without the constraint). The statement is the same on
    DuckDB and BigQuery, and a no-op on a column already nullable.
-#}
{% macro drop_not_null_if_exists(relation, column) -%}
    {%- if execute and adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) is not none -%}
        alter table {{ relation }} alter column {{ column }} drop not null
    {%- endif -%}
{%- endmacro %}
