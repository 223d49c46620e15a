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

-- finals_through (rolling means through each final game), asof_finals (the latest final of
-- an earlier date before each game).
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
    finals_through.through_date as defense_through_date,
    coalesce(asof_finals.prior_final_seq, 0) as prior_final_games,
    finals_through.points_allowed_avg_5,
    finals_through.points_allowed_avg_10
from team_games
inner join asof_finals
    on
        team_games.team_id = asof_finals.team_id
        and team_games.game_id = asof_finals.game_id
        and asof_finals.row_kind = 0
left join finals_through
    on
        asof_finals.team_id = finals_through.team_id
        and asof_finals.prior_final_seq = finals_through.final_seq
