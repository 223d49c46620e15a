{#-
    A team's defence as known before each of its games: rolling means of points allowed over
    its last 5 and 10 final games strictly before the game's date. `defense_through_date` is the
    latest game_date that fed the row (always < game_date).
-#}
with

team_games as (
    select * from {{ ref('int_team_games') }}
    where team_id is not null
),

-- asof_means: per team and game, its rolling means over its finals of earlier dates.
{{ asof_rolling_means(
    'team_games',
    partition_by='team_id',
    is_final="status = 'final'",
    means=[
        ['points_allowed_avg_5', 'points_allowed', 5],
        ['points_allowed_avg_10', 'points_allowed', 10],
    ],
) }}

select
    team_games.team_id,
    team_games.game_id,
    team_games.game_date,
    asof_means.through_date as defense_through_date,
    asof_means.prior_final_games,
    asof_means.points_allowed_avg_5,
    asof_means.points_allowed_avg_10
from team_games
inner join asof_means
    on
        team_games.team_id = asof_means.team_id
        and team_games.game_id = asof_means.game_id
