with

source as (
    select * from {{ source('league', 'schedule') }}
),

team_aliases as (
    select * from {{ ref('team_aliases') }}
),

renamed as (
    select
        -- ids
        game_id,
        payload_sha256,
        source_file,

        -- strings
        upper(trim(league)) as league,
        season,
        lower(trim(status)) as status,
        home_team as league_home_team,
        away_team as league_away_team,

        -- numerics
        cast(home_score as {{ dbt.type_int() }}) as home_score,
        cast(away_score as {{ dbt.type_int() }}) as away_score,

        -- dates and timestamps (naive UTC)
        game_date,
        start_time_utc,
        fetched_at,
        loaded_at
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by game_id
            order by fetched_at desc, loaded_at desc, payload_sha256 desc
        ) as version_rank
    from renamed
)

select
    versioned.game_id,
    versioned.league,
    versioned.season,
    versioned.game_date,
    versioned.start_time_utc,
    home_alias.team_id as home_team_id,
    away_alias.team_id as away_team_id,
    versioned.league_home_team,
    versioned.league_away_team,
    versioned.status,
    versioned.home_score,
    versioned.away_score,
    versioned.fetched_at,
    versioned.loaded_at,
    versioned.payload_sha256,
    versioned.source_file
from versioned
left join team_aliases as home_alias
    on
        versioned.league = home_alias.league
        and lower(trim(versioned.league_home_team)) = home_alias.alias
left join team_aliases as away_alias
    on
        versioned.league = away_alias.league
        and lower(trim(versioned.league_away_team)) = away_alias.alias
where versioned.version_rank = 1
