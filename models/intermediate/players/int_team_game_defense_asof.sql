{#-
    A team's defence as known before each of its games: rolling means of points allowed over
    its last 5 and 10 final games strictly before the game's date. `defense_through_date` is the
    latest game_date that fed the row (always < game_date).
-#}
with

team_games as (
    select * from {{ ref('int_team_games') }}
    where team_id is not null
),

finals_through as (
    select
        team_id,
        game_date as through_date,
        avg(points_allowed) over last_5 as points_allowed_avg_5,
        avg(points_allowed) over last_10 as points_allowed_avg_10,
        count(*) over all_before as final_games_through
    from team_games
    where status = 'final'
    window
        last_5 as (
            partition by team_id order by game_date
            rows between 4 preceding and current row
        ),
        last_10 as (
            partition by team_id order by game_date
            rows between 9 preceding and current row
        ),
        all_before as (
            partition by team_id order by game_date
            rows unbounded preceding
        )
),

-- Timeline of games (kind 0) and finished games (kind 1); on a tie of dates the game sorts
-- first, so "rows before it" are strictly earlier dates.
timeline as (
    select
        team_id,
        game_id,
        game_date,
        0 as row_kind,
        cast(null as date) as through_date
    from team_games
    union all
    select
        team_id,
        cast(null as {{ dbt.type_string() }}) as game_id,
        through_date as game_date,
        1 as row_kind,
        through_date
    from finals_through
),

as_of as (
    select
        team_id,
        game_id,
        row_kind,
        max(through_date) over (
            partition by team_id
            order by game_date, row_kind
            rows between unbounded preceding and 1 preceding
        ) as defense_through_date
    from timeline
)

select
    team_games.team_id,
    team_games.game_id,
    team_games.game_date,
    as_of.defense_through_date,
    coalesce(finals_through.final_games_through, 0) as prior_final_games,
    finals_through.points_allowed_avg_5,
    finals_through.points_allowed_avg_10
from team_games
inner join as_of
    on
        team_games.team_id = as_of.team_id
        and team_games.game_id = as_of.game_id
        and as_of.row_kind = 0
left join finals_through
    on
        as_of.team_id = finals_through.team_id
        and as_of.defense_through_date = finals_through.through_date
