{#-
    Rolling means over a subject's previous N final games, as of each of its games: only games
    of strictly earlier dates count. Renders four CTEs (no leading `with`, no trailing comma)
    on `games`, one row per subject (`partition_by`) and game with game_id and game_date:
      finals_through: per final game (`is_final`, a SQL condition), the subject's running
        count of finals final_seq (order `order_by`) and, for each [name, column, n] of
        `means`, avg(column) over its last n finals through that game (itself included);
      asof_timeline: the subject's games (row_kind 0) and finals (row_kind 1) in date order,
        a game before the finals of its own date;
      asof_finals: per timeline row prior_final_seq, the final_seq of the subject's latest
        final before it; on the game rows (row_kind = 0) the latest final of an earlier date;
      asof_means: per game (partition_by, game_id) prior_final_games (finals of earlier
        dates), through_date (the latest of their dates) and the means through it (null
        before the subject's first final). Join it on (partition_by, game_id).
-#}
{% macro asof_rolling_means(games, partition_by, is_final, means, order_by='game_date, game_id') -%}
    {%- set rolling_means -%}
        {%- for name, column, n in means -%}
            avg({{ column }}) over (
                partition by {{ partition_by }} order by {{ order_by }}
                rows between {{ n - 1 }} preceding and current row
            ) as {{ name }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    {%- endset -%}
    {%- set mean_names -%}
        {%- for name, column, n in means -%}
            finals_through.{{ name }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    {%- endset -%}
    finals_through as (
        select
            {{ partition_by }},
            game_date as through_date,
            row_number() over (
                partition by {{ partition_by }} order by {{ order_by }}
            ) as final_seq,
            {{ rolling_means }}
        from {{ games }}
        where {{ is_final }}
    ),

    asof_timeline as (
        select
            {{ partition_by }},
            game_id,
            game_date,
            0 as row_kind,
            cast(null as {{ dbt.type_int() }}) as final_seq
        from {{ games }}
        union all
        select
            {{ partition_by }},
            cast(null as {{ dbt.type_string() }}) as game_id,
            through_date as game_date,
            1 as row_kind,
            final_seq
        from finals_through
    ),

    asof_finals as (
        select
            {{ partition_by }},
            game_id,
            max(final_seq) over (
                partition by {{ partition_by }}
                order by game_date, row_kind
                rows between unbounded preceding and 1 preceding
            ) as prior_final_seq,
            row_kind
        from asof_timeline
    ),

    asof_means as (
        select
            asof_finals.{{ partition_by }},
            asof_finals.game_id,
            coalesce(asof_finals.prior_final_seq, 0) as prior_final_games,
            finals_through.through_date,
            {{ mean_names }}
        from asof_finals
        left join finals_through
            on
                asof_finals.{{ partition_by }} = finals_through.{{ partition_by }}
                and asof_finals.prior_final_seq = finals_through.final_seq
        where asof_finals.row_kind = 0
    )
{%- endmacro %}
