{#-
    DuckDB's incremental strategies for tables replaced by whole game_dates. dbt's delete+insert
    deletes only the dates its new rows hold, so a date a run rebuilt empty (every game of the
    slate postponed after the morning's run, say) kept its old rows: predictions and bets on
    games that will not be played. These delete every date the run rebuilt, empty or not, and
    the dates the new rows hold, then insert the new rows, in one statement that dbt-duckdb runs
    between BEGIN and COMMIT (a model that fails, the fallback guard among them, deletes
    nothing). Set by game_date_slices and replaced_by_game_date; BigQuery keeps
    insert_overwrite (README "Running on BigQuery").
-#}

{#- The build slice, D - 1 on: the window in_build_slice reads. -#}
{% macro get_incremental_game_date_slices_sql(arg_dict) %}
    {{- return(replace_game_dates_sql(arg_dict, 'game_date >= ' ~ build_slice_start())) -}}
{% endmacro %}

{#- The dates the run scores, score_start to score_end (default run_date). -#}
{% macro get_incremental_scored_game_dates_sql(arg_dict) %}
    {%- set scored = 'game_date between ' ~ pricing_score_start()
        ~ ' and ' ~ pricing_score_end() -%}
    {{- return(replace_game_dates_sql(arg_dict, scored)) -}}
{% endmacro %}

{% macro replace_game_dates_sql(arg_dict, rebuilt_dates) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where
        {{ rebuilt_dates }}
        or game_date in (select new_rows.game_date from {{ source }} as new_rows);
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}
