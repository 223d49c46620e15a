{#-
    The BigQuery physical design of the big tables: partitioned by game_date (one partition a
    day, each rebuilt whole by insert_overwrite) and clustered by the columns their readers
    filter on. One map for all models, so the design is read in one place; a model not named
    here is partitioned only. Keys must be columns of the model (make check-bigquery checks
    them against the model's YAML). DuckDB ignores all of it.
-#}
{% macro bigquery_cluster_columns(model_name) %}
    {%- set cluster_columns = {
        'int_prop_odds_unioned': ['league', 'market', 'book_id'],
        'int_prop_odds_mapped': ['league', 'market', 'player_id'],
        'int_prop_odds_devigged': ['league', 'market', 'player_id'],
        'int_prop_odds_best_line': ['market', 'player_id', 'game_id'],
        'int_prop_odds_opening_closing': ['market', 'player_id', 'game_id'],
        'int_prop_line_quotes_at_cutoff': ['league', 'market', 'player_id'],
        'int_prop_line_prices': ['league', 'market', 'player_id'],
        'int_prop_line_openings': ['market', 'player_id', 'game_id'],
        'fct_prop_odds': ['league', 'market', 'player_id'],
        'fct_prop_line_features': ['league', 'market', 'player_id'],
    } -%}
    {{- return(cluster_columns.get(model_name)) -}}
{% endmacro %}


{#-
    The config of a table that a run rewrites by whole game_dates (the dates it prices), for
    models that are not game_date slices (their tests see every date). Dispatched: DuckDB
    empties every scored date (score_start..score_end), rows or not, and inserts the new rows;
    BigQuery overwrites the day partitions the new rows hold.
-#}
{% macro replaced_by_game_date(on_schema_change='fail') %}
    {{- return(adapter.dispatch('replaced_by_game_date', 'propcast')(on_schema_change)) -}}
{% endmacro %}

{% macro default__replaced_by_game_date(on_schema_change) %}
    {#- every scored date emptied, rows or not (replace_game_dates.sql) -#}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'scored_game_dates',
        'unique_key': ['game_date'],
        'on_schema_change': on_schema_change,
    }) -}}
{% endmacro %}

{% macro bigquery__replaced_by_game_date(on_schema_change) %}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': 'game_date', 'data_type': 'date', 'granularity': 'day'},
        'on_schema_change': on_schema_change,
    }) -}}
{% endmacro %}
