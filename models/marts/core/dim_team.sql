with

teams as (
    select * from {{ ref('teams') }}
)

select
    team_id,
    league,
    team_code,
    city,
    nickname,
    full_name,
    conference
from teams
