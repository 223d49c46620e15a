{#-
    Freshness on the latest game_date that has data due (docs block `freshness_semantics`).

    Renders a one-row query whose column `max_loaded_at` is the source's *effective* loaded_at:
    dbt's `loaded_at_query` and the generic test `fresh_on_latest_due_game_date` both use it, so
    `dbt source freshness` and `dbt build` judge a source the same way.

      due='results'  (boxscores, final scores): the due date D* is the latest schedule
                     game_date before today (slate time zone) with a non-postponed game.
      due='slate'    (odds): the due date is today when today has a non-postponed game.

    - nothing due (no such date)                 -> now (fresh: a day without games is not stale)
    - rows for the due date present
        results                                  -> now (as current as it can be)
        slate                                    -> max(loaded_at) of today's rows
    - no rows for the due date (stale)
        results                                  -> D*+1 00:00 in the slate time zone
        slate                                    -> today 00:00 in the slate time zone
    Rows of other game_dates (backfills, future games) never count. `loaded_filter` narrows the
    rows that count as loaded (the schedule: only final/postponed rows are results).
    Timestamps are naive UTC, which is how dbt reads a naive `max_loaded_at`.
    with_details=true adds due_game_date and due_row_count (for the generic test's output).
    as_of_utc ('YYYY-MM-DD HH:MM:SS', naive UTC) judges as of that moment instead of now: a run
    priced at a cutoff (a backfill of a past slate included) is judged at its cutoff, so
    reprocessing last Tuesday does not warn that today's results are missing.
-#}
{% macro effective_loaded_at_sql(
    relation, due, loaded_filter=none, with_details=false, as_of_utc=none
) -%}
    {%- if due not in ('results', 'slate') -%}
        {{ exceptions.raise_compiler_error(
            "effective_loaded_at_sql: due must be 'results' or 'slate', got '" ~ due ~ "'") }}
    {%- endif -%}
    {%- set schedule = propcast_source_relation('league', 'schedule', default=relation) -%}
    {%- set now_utc = freshness_now_utc(as_of_utc) -%}
    {%- set today = utc_to_slate_date(now_utc) if as_of_utc else today_in_slate_tz() -%}
    {#- Stale since: results are due the day after the game, a slate from its own midnight. -#}
    {%- if due == 'results' -%}
        {%- set stale_from_date = dbt.dateadd('day', 1, 'due_date.due_game_date') -%}
        {%- set loaded_verdict = now_utc -%}
    {%- else -%}
        {%- set stale_from_date = 'due_date.due_game_date' -%}
        {%- set loaded_verdict = 'due_rows.due_max_loaded_at' -%}
    {%- endif -%}
    with schedule_versions as (
        select
            game_id,
            game_date,
            status,
            row_number() over (
                partition by game_id
                order by fetched_at desc, loaded_at desc
            ) as version_rank
        from {{ schedule }}
    ),

    due_date as (
        select max(game_date) as due_game_date
        from schedule_versions
        where
            version_rank = 1
            and coalesce(status, '') != 'postponed'
            and game_date {{ '<' if due == 'results' else '=' }} {{ today }}
    ),

    due_rows as (
        select
            count(*) as due_row_count,
            max(loaded.loaded_at) as due_max_loaded_at
        from {{ relation }} as loaded
        inner join due_date on loaded.game_date = due_date.due_game_date
        where {{ loaded_filter or 'true' }}
    ),

    verdict as (
        select
            case
                when due_date.due_game_date is null then {{ now_utc }}
                when due_rows.due_row_count = 0 then {{ slate_date_start_utc(stale_from_date) }}
                else {{ loaded_verdict }}
            end as max_loaded_at,
            due_date.due_game_date,
            due_rows.due_row_count
        from due_date
        cross join due_rows
    )

    select {{ '*' if with_details else 'max_loaded_at' }}
    from verdict
{%- endmacro %}


{#-
    The relation of a declared source table, looked up in the graph: usable where source() is
    not (a source's loaded_at_query). Falls back to `default` while parsing.
-#}
{% macro propcast_source_relation(source_name, table_name, default=none) -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.source_name == source_name and node.name == table_name -%}
                {{- return(api.Relation.create(
                    database=node.database, schema=node.schema, identifier=node.identifier)) -}}
            {%- endif -%}
        {%- endfor -%}
        {{- exceptions.raise_compiler_error(
            "source " ~ source_name ~ "." ~ table_name ~ " is not declared") -}}
    {%- endif -%}
    {{- return(default) -}}
{%- endmacro %}


{#- Now, or the given naive-UTC moment, as a timestamp expression. -#}
{% macro freshness_now_utc(as_of_utc=none) -%}
    {%- if as_of_utc -%}
        cast('{{ as_of_utc }}' as timestamp)
    {%- else -%}
        {{ current_timestamp_utc() }}
    {%- endif -%}
{%- endmacro %}
