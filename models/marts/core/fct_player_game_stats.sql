with

-- The played rows of the spine: each boxscore with its team's game (season, home or away).
boxscores as (
    select * from {{ ref('int_player_game_spine') }}
    where has_boxscore
)

select
    game_id,
    player_id,
    league,
    season,
    game_date,
    team_id,
    boxscore_opponent_team_id as opponent_team_id,
    is_home,
    is_starter,
    minutes,
    {%- for stat in player_count_stats() %}
        {{ stat }},
    {%- endfor %}
    points + rebounds + assists as points_rebounds_assists,
    loaded_at
from boxscores
