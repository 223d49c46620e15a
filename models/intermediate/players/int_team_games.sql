{#- One row per team per non-postponed game (two per game), from the team's point of view. -#}
with

games as (
    select * from {{ ref('stg_league__schedule') }}
    where status != 'postponed'
),

home as (
    select
        game_id,
        league,
        season,
        game_date,
        start_time_utc,
        status,
        home_team_id as team_id,
        away_team_id as opponent_team_id,
        true as is_home,
        home_score as points_scored,
        away_score as points_allowed
    from games
),

away as (
    select
        game_id,
        league,
        season,
        game_date,
        start_time_utc,
        status,
        away_team_id as team_id,
        home_team_id as opponent_team_id,
        false as is_home,
        away_score as points_scored,
        home_score as points_allowed
    from games
)

select * from home
union all
select * from away
