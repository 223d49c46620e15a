{#-
    One row per (league, game_date, player, market, line, book): the latest quoted_at, then
    the latest load wins. The player is keyed by his normalised name (macro
    normalize_person_name), markets map through market_aliases (vendor imports) else stay as
    written (lower-cased), teams through team_aliases on the team_alias_key. An empty price
    becomes -110 with prices_assumed.
-#}
with

source as (
    select * from {{ source('imports', 'prop_odds') }}
),

market_aliases as (
    select * from {{ ref('market_aliases') }}
    where vendor = 'imports'
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
        trim(player) as vendor_player_name,
        {{ normalize_person_name('player') }} as player_name_key,
        trim(team) as vendor_team,
        trim(opponent) as vendor_opponent,
        {{ team_alias_key('team') }} as team_key,
        {{ team_alias_key('opponent') }} as opponent_key,
        lower(trim(market)) as vendor_market,
        coalesce(nullif(lower(trim(book)), ''), 'import') as book,

        -- numerics
        cast(line as {{ type_double() }}) as line,
        cast(coalesce(over_price, -110) as {{ type_double() }}) as over_price_american,
        cast(coalesce(under_price, -110) as {{ type_double() }}) as under_price_american,
        cast(actual_value as {{ type_double() }}) as actual_value,

        -- booleans
        (over_price is null or under_price is null) as prices_assumed,

        -- dates and timestamps (naive UTC)
        game_date,
        quoted_at,
        fetched_at,
        loaded_at
    from source
),

mapped as (
    select
        renamed.*,
        coalesce(market_aliases.market_id, renamed.vendor_market) as market,
        team_keys.team_id,
        opponent_keys.team_id as opponent_team_id
    from renamed
    left join market_aliases
        on renamed.vendor_market = market_aliases.alias
    left join team_keys
        on
            renamed.league = team_keys.league
            and renamed.team_key = team_keys.team_key
    left join team_keys as opponent_keys
        on
            renamed.league = opponent_keys.league
            and renamed.opponent_key = opponent_keys.team_key
),

versioned as (
    select
        *,
        row_number() over (
            partition by
                game_date,
                league,
                coalesce(player_name_key, vendor_player_name),
                market,
                line,
                book
            order by
                quoted_at desc nulls last,
                loaded_at desc,
                fetched_at desc,
                payload_sha256 desc,
                source_row_number desc
        ) as version_rank
    from mapped
)

select
    league,
    game_date,
    vendor_player_name,
    player_name_key,
    team_id,
    opponent_team_id,
    vendor_team,
    vendor_opponent,
    market,
    vendor_market,
    line,
    book,
    over_price_american,
    under_price_american,
    {{ american_to_implied_prob('over_price_american') }} as over_implied_prob,
    {{ american_to_implied_prob('under_price_american') }} as under_implied_prob,
    prices_assumed,
    actual_value,
    quoted_at,
    fetched_at,
    loaded_at,
    payload_sha256,
    source_file,
    source_row_number
from versioned
where version_rank = 1
