{#-
    Per team and game (two rows per game of int_game_results): the team's scoring as known
    before the game's date. Rolling means over its last 5 and 10 final games strictly before
    game_date (any venue), games before, rest days, and the league's mean total over the 30
    days before. The game's own result rides along (points_for, points_against, is_final):
    an outcome to settle on, never a feature.
-#}
with

games as (
    select * from {{ ref('int_game_results') }}
),

team_games as (
    select
        game_id,
        league,
        game_date,
        home_team_id as team_id,
        away_team_id as opponent_team_id,
        true as is_home,
        home_score as points_for,
        away_score as points_against,
        total_score,
        is_final
    from games
    union all
    select
        game_id,
        league,
        game_date,
        away_team_id as team_id,
        home_team_id as opponent_team_id,
        false as is_home,
        away_score as points_for,
        home_score as points_against,
        total_score,
        is_final
    from games
),

-- asof_means: per team and game, its rolling means over its finals of earlier dates.
{{ asof_rolling_means(
    'team_games',
    partition_by='team_id',
    is_final='is_final',
    means=[
        ['pts_for_avg_5', 'points_for', 5],
        ['pts_for_avg_10', 'points_for', 10],
        ['pts_against_avg_5', 'points_against', 5],
        ['pts_against_avg_10', 'points_against', 10],
        ['total_avg_10', 'total_score', 10],
    ],
) }},

team_dates as (
    select
        team_id,
        game_date,
        count(*) as games_on_date
    from team_games
    group by team_id, game_date
),

rest as (
    select
        team_id,
        game_date,
        cast(coalesce(sum(games_on_date) over (
            partition by team_id order by game_date
            rows between unbounded preceding and 1 preceding
        ), 0) as {{ dbt.type_bigint() }}) as games_before,
        lag(game_date) over (partition by team_id order by game_date) as previous_game_date
    from team_dates
),

league_dates as (
    select distinct
        league,
        game_date
    from games
),

league_recent as (
    select
        league_dates.league,
        league_dates.game_date,
        avg(recent.total_score) as league_total_avg_30d
    from league_dates
    inner join games as recent
        on
            league_dates.league = recent.league
            and recent.is_final
            and league_dates.game_date > recent.game_date
            and {{ dbt.dateadd('day', -30, 'league_dates.game_date') }} <= recent.game_date
    group by league_dates.league, league_dates.game_date
)

select
    team_games.team_id,
    team_games.game_id,
    team_games.league,
    team_games.game_date,
    team_games.is_home,
    team_games.opponent_team_id,
    rest.games_before,
    asof_means.prior_final_games,
    asof_means.through_date as scoring_through_date,
    asof_means.pts_for_avg_5,
    asof_means.pts_for_avg_10,
    asof_means.pts_against_avg_5,
    asof_means.pts_against_avg_10,
    asof_means.total_avg_10,
    rest.previous_game_date,
    {{ dbt.datediff('rest.previous_game_date', 'team_games.game_date', 'day') }} as rest_days,
    coalesce(
        {{ dbt.datediff('rest.previous_game_date', 'team_games.game_date', 'day') }} = 1, false
    ) as is_b2b,
    league_recent.league_total_avg_30d,
    team_games.points_for,
    team_games.points_against,
    team_games.total_score,
    team_games.is_final
from team_games
inner join asof_means
    on
        team_games.team_id = asof_means.team_id
        and team_games.game_id = asof_means.game_id
inner join rest
    on
        team_games.team_id = rest.team_id
        and team_games.game_date = rest.game_date
left join league_recent
    on
        team_games.league = league_recent.league
        and team_games.game_date = league_recent.game_date
