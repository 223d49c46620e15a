with

-- The played rows of the spine: one per boxscore.
boxscores as (
    select * from {{ ref('int_player_game_spine') }}
    where has_boxscore
),

latest as (
    select
        *,
        row_number() over (
            partition by player_id
            order by game_date desc, loaded_at desc
        ) as recency_rank
    from boxscores
),

careers as (
    select
        player_id,
        min(game_date) as first_game_date,
        max(game_date) as last_game_date,
        count(*) as games_played
    from boxscores
    group by player_id
)

select
    latest.player_id,
    latest.league,
    latest.player_name,
    latest.player_name_key,
    latest.team_id as current_team_id,
    careers.first_game_date,
    careers.last_game_date,
    careers.games_played
from latest
inner join careers
    on latest.player_id = careers.player_id
where latest.recency_rank = 1
