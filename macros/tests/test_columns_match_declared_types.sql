{#-
    The table's columns are exactly the ones its YAML declares, each of its declared
    data_type: what a contract enforces, for models dbt enforces none on (Python models).
    One failing row per problem: a declared column missing, a column not declared, a type that
    differs. Type names are compared after mapping common aliases (string/varchar,
    float64/double, int64/bigint, bool/boolean), so one YAML serves DuckDB and BigQuery.
-#}
{% test columns_match_declared_types(model) %}
    select problem
    from ({{ declared_type_problems(model) | join(' union all ') }}) as found
    where problem is not null
{% endtest %}


{#- The problems of columns_match_declared_types as one-row selects (plus an empty one). -#}
{% macro declared_type_problems(model) %}
    {%- set problems = [] -%}
    {#- The offline BigQuery check cannot read the table's columns: it compiles the query. -#}
    {%- if execute and not bigquery_offline_check() -%}
        {%- set declared = {} -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model'
                and (node.alias or node.name) | lower == model.identifier | lower
                and node.schema | lower == model.schema | lower -%}
                {%- for column in node.columns.values() -%}
                    {%- do declared.update({column.name | lower: column.data_type}) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set actual = {} -%}
        {%- for column in adapter.get_columns_in_relation(model) -%}
            {%- do actual.update({column.name | lower: column.dtype}) -%}
        {%- endfor -%}
        {%- for name, wanted in declared.items() -%}
            {%- if name not in actual -%}
                {%- do problems.append(name ~ ': declared, not in the table') -%}
            {%- elif not wanted -%}
                {%- do problems.append(name ~ ': no data_type declared') -%}
            {%- elif canonical_type_name(wanted) != canonical_type_name(actual[name]) -%}
                {%- do problems.append(name ~ ': ' ~ actual[name] ~ ', declared ' ~ wanted) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for name in actual if name not in declared -%}
            {%- do problems.append(name ~ ': in the table, not declared') -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set rows = ["select cast(null as " ~ dbt.type_string() ~ ") as problem"] -%}
    {%- for problem in problems -%}
        {%- do rows.append("select " ~ dbt.string_literal(problem) ~ " as problem") -%}
    {%- endfor -%}
    {{- return(rows) -}}
{% endmacro %}


{#- A type name reduced to its family's canonical spelling (lower case, no size). -#}
{% macro canonical_type_name(type_name) -%}
    {%- set aliases = {
        'string': 'varchar', 'text': 'varchar', 'float64': 'double', 'float8': 'double',
        'double precision': 'double', 'int64': 'bigint', 'int8': 'bigint', 'bool': 'boolean',
        'int': 'integer', 'int4': 'integer', 'int32': 'integer',
    } -%}
    {%- set base = (type_name | string | lower | trim).split('(')[0] | trim -%}
    {{- return(aliases.get(base, base)) -}}
{%- endmacro %}
