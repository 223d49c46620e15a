{#-
    SBR season workbooks (feed sbr_games, one raw row per game) as total lines, in the rows and
    columns of stg_imports__game_totals: one row per (league, game_date, home, away, line_type)
    with book `sbr`, the opening and the closing total of the game. Teams map through
    team_aliases on macro team_alias_key as there (SBR's spellings: GoldenState, LAClippers,
    NYRangers, St.Louis). Prices the workbook lacks (NBA) become -110 with prices_assumed.
    The latest load of a game wins (a corrected workbook is a new payload). The final scores
    are those books settle totals on (NHL: the overtime or shootout goal already included).
-#}
with

source as (
    select * from {{ source('imports', 'sbr_games') }}
),

team_keys as (
    {{ team_ids_by_alias_key() }}
),

renamed as (
    select
        payload_sha256,
        source_file,
        row_number as source_row_number,
        upper(trim(league)) as league,
        season,
        trim(home_team) as vendor_home_team,
        trim(visitor_team) as vendor_away_team,
        {{ team_alias_key('home_team') }} as home_team_key,
        {{ team_alias_key('visitor_team') }} as away_team_key,
        cast(home_final as {{ dbt.type_int() }}) as home_score,
        cast(visitor_final as {{ dbt.type_int() }}) as away_score,
        neutral_site,
        past_regulation,
        ending,
        open_total,
        open_over_price,
        open_under_price,
        close_total,
        close_over_price,
        close_under_price,
        game_date,
        fetched_at,
        loaded_at
    from source
),

versioned as (
    select
        renamed.*,
        home_keys.team_id as home_team_id,
        away_keys.team_id as away_team_id,
        row_number() over (
            partition by
                renamed.game_date,
                renamed.league,
                coalesce(home_keys.team_id, renamed.home_team_key),
                coalesce(away_keys.team_id, renamed.away_team_key)
            order by
                renamed.loaded_at desc,
                renamed.fetched_at desc,
                renamed.payload_sha256 desc,
                renamed.source_row_number desc
        ) as version_rank
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

latest as (
    select * from versioned
    where version_rank = 1
),

quotes as (
    select
        *,
        'open' as line_type,
        open_total as line,
        open_over_price as over_price,
        open_under_price as under_price
    from latest
    union all
    select
        *,
        'close' as line_type,
        close_total as line,
        close_over_price as over_price,
        close_under_price as under_price
    from latest
),

priced as (
    select
        *,
        cast(coalesce(over_price, -110) as {{ type_double() }}) as over_price_american,
        cast(coalesce(under_price, -110) as {{ type_double() }}) as under_price_american,
        (over_price is null or under_price is null) as prices_assumed
    from quotes
    where line is not null
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
    'sbr' as book,
    line_type,
    cast(line as {{ type_double() }}) as line,
    over_price_american,
    under_price_american,
    {{ american_to_implied_prob('over_price_american') }} as over_implied_prob,
    {{ american_to_implied_prob('under_price_american') }} as under_implied_prob,
    prices_assumed,
    home_score,
    away_score,
    season,
    neutral_site,
    past_regulation,
    ending,
    fetched_at,
    loaded_at,
    payload_sha256,
    source_file,
    source_row_number
from priced
