{#-
    One row per placed bet, in propcast's names: the price as decimal and American whichever
    the file wrote (odds macros) with its implied probability, the book through the
    sportsbooks seed and book_aliases on a letters-only key (DK, DraftKings, Caesars), the
    market through market_aliases (vendor imports) on a snake_case key (Player Points ->
    player_points), the player keyed by normalize_person_name, a game total's `AWAY @ HOME`
    teams by team_alias_key. An unknown book or market keeps a null id (visible, warned).
-#}
with

source as (
    select * from {{ source('ledger', 'placed_bets') }}
),

sportsbooks as (
    select * from {{ ref('sportsbooks') }}
),

book_aliases as (
    select * from {{ ref('book_aliases') }}
),

market_aliases as (
    select * from {{ ref('market_aliases') }}
    where vendor = 'imports'
),

markets as (
    select * from {{ ref('markets') }}
),

team_keys as (
    {{ team_ids_by_alias_key() }}
),

book_key_candidates as (
    select
        {{ team_alias_key('book_id') }} as book_key,
        book_id
    from sportsbooks
    union all
    select
        {{ team_alias_key('book_name') }} as book_key,
        book_id
    from sportsbooks
    union all
    select
        {{ team_alias_key('alias') }} as book_key,
        book_id
    from book_aliases
),

book_keys as (
    -- a key two books would share maps to neither (no fan-out)
    select
        book_key,
        min(book_id) as book_id
    from book_key_candidates
    group by book_key
    having count(distinct book_id) = 1
),

renamed as (
    select
        -- ids
        bet_hash,
        bet_id,
        payload_sha256,
        source_file,
        book_format,
        row_number as source_row_number,

        -- strings
        upper(trim(league)) as league,
        trim(book) as vendor_book,
        {{ team_alias_key('book') }} as book_key,
        trim(market) as vendor_market,
        trim(
            {{ regexp_replace_all('lower(trim(market))', '[^a-z0-9]+', '_') }}, '_'
        ) as market_key,
        trim(subject) as subject,
        {{ normalize_person_name('subject') }} as player_name_key,
        case when {{ is_game_subject('subject') }} then {{ team_alias_key(
            "regexp_replace(lower(subject), ' (@|at) .*$', '')"
        ) }} end as away_team_key,
        case when {{ is_game_subject('subject') }} then {{ team_alias_key(
            "regexp_replace(lower(subject), '^.*? (@|at) ', '')"
        ) }} end as home_team_key,
        trim(event) as event_text,
        lower(side) as side,
        book_status,

        -- numerics
        cast(line as {{ type_double() }}) as line,
        cast(
            coalesce(price_decimal, {{ american_to_decimal('price_american') }})
            as {{ type_double() }}
        ) as price_decimal,
        cast(
            coalesce(price_american, {{ decimal_to_american('price_decimal') }})
            as {{ type_double() }}
        ) as price_american,
        cast(stake as {{ type_double() }}) as stake,

        -- dates and timestamps (naive UTC)
        game_date,
        loaded_at
    from source
)

select
    renamed.bet_hash,
    renamed.bet_id,
    renamed.league,
    renamed.game_date,
    book_keys.book_id,
    renamed.vendor_book,
    coalesce(market_aliases.market_id, markets.market_id) as market,
    renamed.vendor_market,
    renamed.subject,
    renamed.player_name_key,
    away_teams.team_id as away_team_id,
    home_teams.team_id as home_team_id,
    renamed.event_text,
    renamed.side,
    renamed.line,
    renamed.price_decimal,
    renamed.price_american,
    {{ decimal_to_implied_prob('renamed.price_decimal') }} as implied_prob,
    renamed.stake,
    renamed.book_status,
    renamed.book_format,
    renamed.payload_sha256,
    renamed.source_file,
    renamed.source_row_number,
    renamed.loaded_at
from renamed
left join book_keys
    on renamed.book_key = book_keys.book_key
left join market_aliases
    on renamed.market_key = market_aliases.alias
left join markets
    on renamed.market_key = markets.market_id
left join team_keys as away_teams
    on
        renamed.league = away_teams.league
        and renamed.away_team_key = away_teams.team_key
left join team_keys as home_teams
    on
        renamed.league = home_teams.league
        and renamed.home_team_key = home_teams.team_key
