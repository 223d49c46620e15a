{#-
    Player x game: every game a player played (has a boxscore), plus every scheduled game of
    the team he belongs to as of that date (the team of his latest boxscore before it), so the
    slate gets rows before it has boxscores. Played rows carry the boxscore (name, stats,
    loaded_at) for the models downstream, which read the boxscores only through the spine;
    scheduled rows have nulls there.
-#}
with

boxscores as (
    select * from {{ ref('stg_league__boxscores') }}
),

team_games as (
    select * from {{ ref('int_team_games') }}
),

played as (
    select
        boxscores.player_id,
        boxscores.game_id,
        boxscores.league,
        boxscores.game_date,
        boxscores.team_id,
        coalesce(boxscores.opponent_team_id, team_games.opponent_team_id) as opponent_team_id,
        team_games.is_home,
        coalesce(team_games.status, 'final') as game_status,
        true as has_boxscore,
        team_games.season,
        boxscores.opponent_team_id as boxscore_opponent_team_id,
        boxscores.player_name,
        boxscores.player_name_key,
        boxscores.is_starter,
        boxscores.minutes,
        {%- for stat in player_count_stats() %}
            boxscores.{{ stat }},
        {%- endfor %}
        boxscores.loaded_at
    from boxscores
    left join team_games
        on
            boxscores.game_id = team_games.game_id
            and boxscores.team_id = team_games.team_id
),

-- Each boxscore row holds the player's team until his next boxscore.
team_stints as (
    select
        player_id,
        team_id,
        game_date,
        lead(game_date) over (partition by player_id order by game_date) as next_game_date
    from boxscores
),

upcoming as (
    select
        team_stints.player_id,
        team_games.game_id,
        team_games.league,
        team_games.game_date,
        team_games.team_id,
        team_games.opponent_team_id,
        team_games.is_home,
        team_games.status as game_status,
        false as has_boxscore,
        team_games.season,
        cast(null as {{ dbt.type_string() }}) as boxscore_opponent_team_id,
        cast(null as {{ dbt.type_string() }}) as player_name,
        cast(null as {{ dbt.type_string() }}) as player_name_key,
        cast(null as {{ dbt.type_boolean() }}) as is_starter,
        cast(null as {{ type_double() }}) as minutes,
        {%- for stat in player_count_stats() %}
            cast(null as {{ dbt.type_int() }}) as {{ stat }},
        {%- endfor %}
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from team_games
    inner join team_stints
        on
            team_games.team_id = team_stints.team_id
            and team_games.game_date > team_stints.game_date
            and (
                team_stints.next_game_date is null
                or team_games.game_date <= team_stints.next_game_date
            )
    where team_games.status = 'scheduled'
)

select * from played
union all
select upcoming.*
from upcoming
left join played
    on
        upcoming.player_id = played.player_id
        and upcoming.game_id = played.game_id
where played.game_id is null
