{#-
    Where a model, seed or snapshot is built. DuckDB: dbt's default (everything in the target
    schema, `main`, as always). BigQuery: one dataset per layer, <dataset>_staging,
    _intermediate, _marts, _predictors (the Python models and int_run_parameters) and _seeds,
    so access and expiry can be granted per layer. A custom schema set on a node wins on both.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{- adapter.dispatch('layer_schema_name', 'propcast')(custom_schema_name, node) -}}
{%- endmacro %}

{% macro default__layer_schema_name(custom_schema_name, node) -%}
    {{- dbt.default__generate_schema_name(custom_schema_name, node) -}}
{%- endmacro %}

{% macro bigquery__layer_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is not none -%}
        {{- dbt.default__generate_schema_name(custom_schema_name, node) -}}
    {%- else -%}
        {{- target.schema }}_{{ dataset_layer(node) -}}
    {%- endif -%}
{%- endmacro %}

{#- The layer a node belongs to: the first folder of its path, `predictors` for the files at
    the root of python_models/, `seeds` for seeds. -#}
{% macro dataset_layer(node) -%}
    {%- if node.resource_type == 'seed' -%}
        seeds
    {%- elif node.fqn | length > 2 and node.fqn[1] in ['staging', 'intermediate', 'marts'] -%}
        {{- node.fqn[1] -}}
    {%- else -%}
        predictors
    {%- endif -%}
{%- endmacro %}
