{#-
    dbt wraps the model a generic test reads in this macro (overridden here from dbt's own).
    A test on a model sliced by game_date (meta sliced_by_game_date: the incremental models of
    game_date_slices() and the staging views they read) checks only the slices the run
    rebuilt, as the model itself did: older slices were tested when they were built,
    and testing five seasons every morning would cost more than the build. A --full-refresh, or
    a build without a run_date, tests every row. The test's own `where` still applies.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set slice = test_build_slice_predicate() -%}
    {%- set predicates = [where, slice] | select | list -%}
    {%- if predicates -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ predicates | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- '' unless the tested model is sliced_by_game_date and the run rebuilt only some slices. -#}
{% macro test_build_slice_predicate() -%}
    {%- if not execute or flags.FULL_REFRESH or not var('run_date', none) -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node or '', {}) -%}
    {%- if not (tested.get('config', {}).get('meta', {}).get('sliced_by_game_date')) -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- do return('game_date >= ' ~ build_slice_start()) -%}
{%- endmacro %}
