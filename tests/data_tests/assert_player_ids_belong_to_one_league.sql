-- A player id is one league's: the warehouse keys a player's history, his name mapping and his
-- features on player_id alone, so an NHL id equal to an NBA one would merge two careers (it
-- would surface later, and obscurely, as a duplicated player-game). A league feed whose ids can
-- collide with another's must prefix them (e.g. 'NHL-8478402'). Returns each such id, its
-- leagues and where it first appears in each.

with

boxscores as (
    select * from {{ ref('stg_league__boxscores') }}
),

per_league as (
    select
        player_id,
        league,
        min(game_date) as first_game_date,
        min(game_id) as first_game_id
    from boxscores
    group by player_id, league
)

select
    player_id,
    count(*) as leagues,
    min(league) as first_league,
    max(league) as last_league,
    min(first_game_date) as first_game_date,
    min(first_game_id) as first_game_id
from per_league
group by player_id
having count(*) > 1
