{#-
    Teammates missing from the team's previous game, as of the game's date (the reference is
    bench/quality_frame.py's lag_features, column teammates_missing_minutes). Renders CTEs (no
    leading `with`, no trailing comma) on `spine`, the player x game spine (player_id, game_id,
    game_date, team_id, has_boxscore, minutes), the last of them `teammates_missing`: one row
    per spine row with a team (player_id, game_id) and its teammates_missing_minutes.

    For player p on team T in game G on date D: G_prev is T's latest played game (a game with
    T boxscores) dated before D; a teammate q != p counts when he has a boxscore for T in one
    of T's 10 games before G_prev and none in G_prev, with his mean minutes over his last 10
    boxscores through his last game for T. The sum is 0 when nobody counts and null when T has
    no earlier game. Earlier seasons count. As the reference: q's mean is through his last game
    for T, so a q traded away since (games for another team before D) keeps his mean as of
    then; the one difference, p is left out by id (the reference subtracts p's own 10-game
    mean when p's previous game is 2 to 11 team games back, by team game numbers that mix
    teams for a traded p).
-#}
{% macro teammates_missing_minutes(spine) -%}
tm_spine as (
    select * from {{ spine }}
    where team_id is not null
),

tm_played as (
    select
        player_id,
        team_id,
        game_id,
        game_date,
        minutes
    from tm_spine
    where has_boxscore
),

-- T's played games numbered in order, over every season.
tm_team_played_games as (
    select
        team_id,
        game_id,
        game_date,
        row_number() over (
            partition by team_id order by game_date, game_id
        ) as team_game_number
    from (
        select distinct
            team_id,
            game_id,
            game_date
        from tm_played
    ) as distinct_games
),

-- Each player's mean minutes over his last 10 boxscores (any team), through each of them.
tm_minutes_through as (
    select
        player_id,
        team_id,
        game_id,
        avg(minutes) over (
            partition by player_id order by game_date, game_id
            rows between 9 preceding and current row
        ) as minutes_avg_10_through
    from tm_played
),

-- A player's games for T, each with his next game for T (null: none yet).
tm_team_stints as (
    select
        tm_minutes_through.player_id,
        tm_minutes_through.team_id,
        tm_team_played_games.team_game_number,
        lead(tm_team_played_games.team_game_number) over (
            partition by tm_minutes_through.player_id, tm_minutes_through.team_id
            order by tm_team_played_games.team_game_number
        ) as next_team_game_number,
        tm_minutes_through.minutes_avg_10_through
    from tm_minutes_through
    inner join tm_team_played_games
        on
            tm_minutes_through.team_id = tm_team_played_games.team_id
            and tm_minutes_through.game_id = tm_team_played_games.game_id
),

tm_spine_team_games as (
    select distinct
        team_id,
        game_id,
        game_date
    from tm_spine
),

-- Spine games (kind 0) and played games (kind 1) on one timeline per team; on a tie of dates
-- the spine game sorts first, so the played games before it are of strictly earlier dates.
tm_timeline as (
    select
        team_id,
        game_id,
        game_date,
        0 as row_kind,
        cast(null as {{ dbt.type_int() }}) as team_game_number
    from tm_spine_team_games
    union all
    select
        team_id,
        game_id,
        game_date,
        1 as row_kind,
        team_game_number
    from tm_team_played_games
),

-- G_prev per spine game: the number of T's latest played game before the date.
tm_previous_games as (
    select
        team_id,
        game_id,
        row_kind,
        max(team_game_number) over (
            partition by team_id
            order by game_date, row_kind, game_id
            rows between unbounded preceding and 1 preceding
        ) as previous_team_game_number
    from tm_timeline
),

-- A player's last game n for T counts for G_prev = n + 1 .. n + 10 before his next one.
tm_offsets as (
    {%- for games_after in range(1, 11) %}
        select {{ games_after }} as games_after{{ ' union all' if not loop.last }}
    {%- endfor %}
),

tm_missing_through as (
    select
        tm_team_stints.player_id,
        tm_team_stints.team_id,
        tm_team_stints.team_game_number + tm_offsets.games_after as previous_team_game_number,
        tm_team_stints.minutes_avg_10_through
    from tm_team_stints
    cross join tm_offsets
    where
        tm_team_stints.next_team_game_number is null
        or tm_team_stints.next_team_game_number
        > tm_team_stints.team_game_number + tm_offsets.games_after
),

-- Per spine game, the players missing from G_prev who played one of the 10 games before it.
tm_missing_players as (
    select
        tm_previous_games.team_id,
        tm_previous_games.game_id,
        tm_missing_through.player_id,
        tm_missing_through.minutes_avg_10_through
    from tm_previous_games
    inner join tm_missing_through
        on
            tm_previous_games.team_id = tm_missing_through.team_id
            and tm_previous_games.previous_team_game_number
            = tm_missing_through.previous_team_game_number
    where tm_previous_games.row_kind = 0
),

tm_teammates_missing as (
    select
        tm_spine.player_id,
        tm_spine.game_id,
        -- Rounded: a float sum's last bits depend on the order threads add the rows in, and
        -- a rebuild must give the same bits (tests/reliability/test_reruns.py).
        round(sum(tm_missing_players.minutes_avg_10_through), 9) as missing_minutes
    from tm_spine
    inner join tm_missing_players
        on
            tm_spine.team_id = tm_missing_players.team_id
            and tm_spine.game_id = tm_missing_players.game_id
            and tm_spine.player_id != tm_missing_players.player_id
    group by tm_spine.player_id, tm_spine.game_id
),

teammates_missing as (
    select
        tm_spine.player_id,
        tm_spine.game_id,
        case
            when tm_previous_games.previous_team_game_number is not null
                then coalesce(tm_teammates_missing.missing_minutes, 0)
        end as teammates_missing_minutes
    from tm_spine
    inner join tm_previous_games
        on
            tm_spine.team_id = tm_previous_games.team_id
            and tm_spine.game_id = tm_previous_games.game_id
            and tm_previous_games.row_kind = 0
    left join tm_teammates_missing
        on
            tm_spine.player_id = tm_teammates_missing.player_id
            and tm_spine.game_id = tm_teammates_missing.game_id
)
{%- endmacro %}
