with

boxscores as (
    select * from {{ ref('stg_league__boxscores') }}
),

team_games as (
    select * from {{ ref('int_team_games') }}
)

select
    boxscores.game_id,
    boxscores.player_id,
    boxscores.league,
    team_games.season,
    boxscores.game_date,
    boxscores.team_id,
    boxscores.opponent_team_id,
    team_games.is_home,
    boxscores.is_starter,
    boxscores.minutes,
    boxscores.points,
    boxscores.rebounds,
    boxscores.assists,
    boxscores.points + boxscores.rebounds + boxscores.assists as points_rebounds_assists,
    boxscores.loaded_at
from boxscores
left join team_games
    on
        boxscores.game_id = team_games.game_id
        and boxscores.team_id = team_games.team_id
