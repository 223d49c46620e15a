{#-
    One row per (league, game_date, home, away, book, line_type): the latest load wins (a
    corrected file is a new payload). Teams map through team_aliases on the key of macro
    team_alias_key, so GS, gsw, Golden State and GoldenState all reach NBA-GSW; the business
    key uses the team id, else the spelling's key, so two spellings of one team in two files
    are one game. An empty price becomes -110 with prices_assumed.
-#}
with

source as (
    select * from {{ source('imports', 'game_totals') }}
),

team_keys as (
    {{ team_ids_by_alias_key() }}
),

renamed as (
    select
        -- ids
        payload_sha256,
        source_file,
        row_number as source_row_number,

        -- strings
        upper(trim(league)) as league,
        trim(home_team) as vendor_home_team,
        trim(away_team) as vendor_away_team,
        {{ team_alias_key('home_team') }} as home_team_key,
        {{ team_alias_key('away_team') }} as away_team_key,
        coalesce(nullif(lower(trim(book)), ''), 'import') as book,
        coalesce(nullif(lower(trim(line_type)), ''), 'close') as line_type,

        -- numerics
        cast(total_line as {{ type_double() }}) as line,
        cast(coalesce(over_price, -110) as {{ type_double() }}) as over_price_american,
        cast(coalesce(under_price, -110) as {{ type_double() }}) as under_price_american,
        cast(home_score as {{ dbt.type_int() }}) as home_score,
        cast(away_score as {{ dbt.type_int() }}) as away_score,

        -- booleans
        (over_price is null or under_price is null) as prices_assumed,

        -- dates and timestamps (naive UTC)
        game_date,
        fetched_at,
        loaded_at
    from source
),

mapped as (
    select
        renamed.*,
        home_keys.team_id as home_team_id,
        away_keys.team_id as away_team_id
    from renamed
    left join team_keys as home_keys
        on
            renamed.league = home_keys.league
            and renamed.home_team_key = home_keys.team_key
    left join team_keys as away_keys
        on
            renamed.league = away_keys.league
            and renamed.away_team_key = away_keys.team_key
),

versioned as (
    select
        *,
        row_number() over (
            partition by
                game_date,
                league,
                coalesce(home_team_id, home_team_key),
                coalesce(away_team_id, away_team_key),
                book,
                line_type
            order by
                loaded_at desc, fetched_at desc, payload_sha256 desc, source_row_number desc
        ) as version_rank
    from mapped
)

select
    league,
    game_date,
    home_team_id,
    away_team_id,
    vendor_home_team,
    vendor_away_team,
    home_team_key,
    away_team_key,
    book,
    line_type,
    line,
    over_price_american,
    under_price_american,
    {{ american_to_implied_prob('over_price_american') }} as over_implied_prob,
    {{ american_to_implied_prob('under_price_american') }} as under_implied_prob,
    prices_assumed,
    home_score,
    away_score,
    fetched_at,
    loaded_at,
    payload_sha256,
    source_file,
    source_row_number
from versioned
where version_rank = 1
