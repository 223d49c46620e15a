{#-
    Normalised player name -> player_id, learnt from the league's boxscores. A name two players
    share is ambiguous and maps to nothing (the override seed fixes it by hand).
-#}
with

boxscores as (
    select * from {{ ref('stg_league__boxscores') }}
)

select
    league,
    player_name_key,
    case when count(distinct player_id) = 1 then min(player_id) end as player_id,
    count(distinct player_id) as candidate_player_count,
    count(distinct player_id) > 1 as is_ambiguous,
    max(game_date) as last_seen_game_date
from boxscores
where player_name_key is not null
group by league, player_name_key
