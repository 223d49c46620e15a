{#- Tested by game_date slice (macros/incremental): the dedup partition leads with it. -#}
{{ config(meta={'sliced_by_game_date': true}) }}

with

source as (
    select * from {{ source('league', 'availability') }}
),

team_aliases as (
    select * from {{ ref('team_aliases') }}
),

renamed as (
    select
        -- ids
        nullif(trim(game_id), '') as game_id,
        player_id,
        payload_sha256,
        source_file,

        -- strings
        upper(trim(league)) as league,
        team as league_team,
        nullif(trim(player_name), '') as player_name,
        lower(trim(status)) as status,
        nullif(trim(status_reason), '') as reason,

        -- dates and timestamps (naive UTC)
        game_date,
        reported_at,
        fetched_at,
        loaded_at
    from source
),

-- The same report delivered twice (a re-sent file) is one row; a later report is another.
versioned as (
    select
        *,
        row_number() over (
            partition by game_date, league, league_team, player_id, reported_at
            order by fetched_at desc, loaded_at desc, payload_sha256 desc
        ) as version_rank
    from renamed
)

select
    versioned.league,
    versioned.game_date,
    versioned.game_id,
    team_alias.team_id,
    versioned.league_team,
    versioned.player_id,
    versioned.player_name,
    versioned.status,
    versioned.reason,
    versioned.reported_at,
    versioned.fetched_at,
    versioned.loaded_at,
    versioned.payload_sha256,
    versioned.source_file
from versioned
left join team_aliases as team_alias
    on
        versioned.league = team_alias.league
        and lower(trim(versioned.league_team)) = team_alias.alias
where versioned.version_rank = 1
