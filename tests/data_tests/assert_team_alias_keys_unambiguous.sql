-- No team_alias_key (case, spaces, punctuation and accents removed) of a team_aliases alias
-- means two teams of one league: the imports staging matches on that key. Returns the keys
-- that do, with the teams they would mean.

with

team_aliases as (
    select * from {{ ref('team_aliases') }}
),

keyed as (
    select
        league,
        team_id,
        {{ team_alias_key('alias') }} as team_key
    from team_aliases
)

select
    league,
    team_key,
    min(team_id) as first_team_id,
    max(team_id) as last_team_id
from keyed
group by league, team_key
having count(distinct team_id) > 1
