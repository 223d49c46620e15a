{#- Tested by game_date slice (macros/incremental): the dedup partition leads with it. -#}
{{ config(meta={'sliced_by_game_date': true}) }}
{#- A count the raw table lacks (an older warehouse, before ingestion adds it) reads as null. -#}
{%- set raw_columns = relation_column_names(source('league', 'boxscores')) -%}

with

source as (
    select * from {{ source('league', 'boxscores') }}
),

team_aliases as (
    select * from {{ ref('team_aliases') }}
),

renamed as (
    select
        -- ids
        game_id,
        player_id,
        payload_sha256,
        source_file,

        -- strings
        upper(trim(league)) as league,
        team as league_team,
        opponent as league_opponent,
        trim(player_name) as player_name,
        {{ normalize_person_name('player_name') }} as player_name_key,

        -- booleans
        starter as is_starter,

        -- numerics
        cast(minutes as {{ type_double() }}) as minutes,
        {%- for stat in player_count_stats() %}
            {%- set present = raw_columns is none or stat in raw_columns %}
            cast({{ stat if present else 'null' }} as {{ dbt.type_int() }}) as {{ stat }},
        {%- endfor %}

        -- dates and timestamps (naive UTC)
        game_date,
        fetched_at,
        loaded_at
    from source
),

versioned as (
    select
        *,
        row_number() over (
            -- game_date leads (a game has one date) so a game_date filter reaches the scan.
            partition by game_date, game_id, player_id
            order by fetched_at desc, loaded_at desc, payload_sha256 desc
        ) as version_rank
    from renamed
)

select
    versioned.game_id,
    versioned.player_id,
    versioned.league,
    versioned.game_date,
    team_alias.team_id,
    opponent_alias.team_id as opponent_team_id,
    versioned.league_team,
    versioned.league_opponent,
    versioned.player_name,
    versioned.player_name_key,
    versioned.is_starter,
    versioned.minutes,
    {%- for stat in player_count_stats() %}
        versioned.{{ stat }},
    {%- endfor %}
    versioned.fetched_at,
    versioned.loaded_at,
    versioned.payload_sha256,
    versioned.source_file
from versioned
left join team_aliases as team_alias
    on
        versioned.league = team_alias.league
        and lower(trim(versioned.league_team)) = team_alias.alias
left join team_aliases as opponent_alias
    on
        versioned.league = opponent_alias.league
        and lower(trim(versioned.league_opponent)) = opponent_alias.alias
where versioned.version_rank = 1
