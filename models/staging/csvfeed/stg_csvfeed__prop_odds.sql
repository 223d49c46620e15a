{#- Read and tested by game_date slice (macros/incremental): the partition leads with it. -#}
{{ config(meta={'sliced_by_game_date': true}) }}

with

source as (
    select * from {{ source('csvfeed', 'prop_odds') }}
),

team_aliases as (
    select * from {{ ref('team_aliases') }}
),

{{ vendor_alias_ctes('csvfeed') }},

renamed as (
    select
        -- ids
        'csvfeed' as vendor,
        -- The vendor has no event id: its game is (league, start, away @ home) as it spells them.
        concat(
            upper(trim(league)), ' ', cast(game_start as {{ dbt.type_string() }}), ' ',
            upper(trim(away)), '@', upper(trim(home))
        ) as vendor_event_id,
        lower(trim(book)) as vendor_book,
        lower(trim(stat)) as vendor_stat,
        payload_sha256,
        source_file,

        -- strings
        upper(trim(league)) as league,
        -- A game total (stat TOT) names no player: null, not ''.
        nullif(trim(player), '') as vendor_player_name,
        {{ flip_last_first("nullif(trim(player), '')") }} as player_name_first_last,
        book as book_title,
        home as vendor_home_team,
        away as vendor_away_team,

        -- numerics
        cast(line as {{ type_double() }}) as line,
        cast(over_odds as {{ type_double() }}) as over_price_american,
        cast(under_odds as {{ type_double() }}) as under_price_american,

        -- dates and timestamps (naive UTC)
        coalesce(game_date, {{ utc_to_slate_date('game_start') }}) as game_date,
        game_start as commence_time,
        fetched_at,
        loaded_at
    from source
),

-- One row per side, as every vendor's staged quotes.
sides as (
    {%- for side in ['over', 'under'] %}
        select
            renamed.*,
            '{{ side }}' as side,
            renamed.{{ side }}_price_american as price_american
        from renamed
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

mapped as (
    select
        sides.*,
        coalesce(book_aliases.book_id, sides.vendor_book) as book_id,
        coalesce(market_aliases.market_id, sides.vendor_stat) as market,
        {{ normalize_person_name('sides.player_name_first_last') }} as player_name_key,
        {{ american_to_decimal('sides.price_american') }} as price_decimal,
        {{ american_to_implied_prob('sides.price_american') }} as implied_prob,
        home_alias.team_id as home_team_id,
        away_alias.team_id as away_team_id
    from sides
    left join book_aliases
        on sides.vendor_book = book_aliases.alias
    left join market_aliases
        on sides.vendor_stat = market_aliases.alias
    {{ join_team_alias('sides', 'vendor_home_team', 'home_alias') }}
    {{ join_team_alias('sides', 'vendor_away_team', 'away_alias') }}
),

{{ select_latest_prop_quotes('mapped') }}
