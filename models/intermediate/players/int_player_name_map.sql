{#-
    Normalised player name -> player_id per league, as of each game_date, learnt from the
    league's boxscores: a name maps from the first game its player played. A name two players
    share is ambiguous (maps to nothing) from the second one's first game on; the override seed
    fixes such names by hand. Being as of the date, a quote's mapping never changes once its
    game is played, so incremental slices and a full refresh map it alike.
-#}
with

boxscores as (
    select * from {{ ref('stg_league__boxscores') }}
),

first_seen as (
    select
        league,
        player_name_key,
        player_id,
        min(game_date) as first_game_date
    from boxscores
    where player_name_key is not null
    group by league, player_name_key, player_id
),

change_dates as (
    select distinct
        league,
        player_name_key,
        first_game_date as valid_from
    from first_seen
),

candidates as (
    select
        change_dates.league,
        change_dates.player_name_key,
        change_dates.valid_from,
        count(distinct first_seen.player_id) as candidate_player_count,
        min(first_seen.player_id) as first_candidate_player_id
    from change_dates
    inner join first_seen
        on
            change_dates.league = first_seen.league
            and change_dates.player_name_key = first_seen.player_name_key
            and change_dates.valid_from >= first_seen.first_game_date
    group by change_dates.league, change_dates.player_name_key, change_dates.valid_from
)

select
    league,
    player_name_key,
    valid_from,
    lead(valid_from) over (
        partition by league, player_name_key order by valid_from
    ) as valid_until,
    case when candidate_player_count = 1 then first_candidate_player_id end as player_id,
    candidate_player_count,
    candidate_player_count > 1 as is_ambiguous
from candidates
