with

games as (
    select * from {{ ref('stg_league__schedule') }}
)

select
    game_id,
    league,
    season,
    game_date,
    start_time_utc,
    {{ utc_to_slate_timestamp('start_time_utc') }} as start_time_slate_tz,
    home_team_id,
    away_team_id,
    status,
    status = 'final' as is_final,
    status = 'postponed' as is_postponed,
    home_score,
    away_score,
    home_score + away_score as total_score,
    case
        when home_score > away_score then home_team_id
        when away_score > home_score then away_team_id
    end as winner_team_id,
    loaded_at as status_loaded_at
from games
