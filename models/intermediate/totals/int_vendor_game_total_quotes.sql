{#-
    The odds vendors' game totals (market game_total of int_prop_odds_unioned: oddsapi
    `totals`, csvfeed `TOT`, decimalfeed `total`) in the shape of int_imported_game_total_quotes:
    per game (league, date, home, away) and book, the opening quote (the book's first snapshot),
    the closing one (its last before the start) and the priced one (its board at the date's
    pricing cutoff, macro pricing_cutoff_utc, as props are priced: the bets' prices). A book two
    vendors carry is one book: the earliest snapshot opens, the latest closes and prices (on a
    tie, the vendor first by name). Both sides of a snapshot must be present and on the same
    line. Rows whose teams do not map are left out (visible in the vendors' staging views).
    Stored in game_date slices (macro game_date_slices): every row is one game's, so a run
    rebuilds the days from D - 1 and reads only their quotes.
-#}
{{ config(**game_date_slices()) }}

with

quotes as (
    select * from {{ ref('int_prop_odds_unioned') }}
    where
        {{ in_build_slice('game_date') }}
        and market = 'game_total'
        and home_team_id is not null
        and away_team_id is not null
        and fetched_at < commence_time
),

-- One row per (vendor, book, game, snapshot, line): both sides' prices.
paired as (
    select
        vendor,
        league,
        game_date,
        home_team_id,
        away_team_id,
        book_id as book,
        line,
        fetched_at,
        max(case when side = 'over' then price_american end) as over_price_american,
        max(case when side = 'under' then price_american end) as under_price_american,
        max(case when side = 'over' then implied_prob end) as over_implied_prob,
        max(case when side = 'under' then implied_prob end) as under_implied_prob,
        max(loaded_at) as loaded_at,
        max(payload_sha256) as payload_sha256,
        {{ pricing_cutoff_utc('game_date') }} as pricing_cutoff_utc
    from quotes
    group by
        vendor, league, game_date, home_team_id, away_team_id, book_id, line, fetched_at
    having
        count(distinct side) = 2
        and count(*) = 2
),

ranked as (
    select
        *,
        row_number() over (
            partition by league, game_date, home_team_id, away_team_id, book
            order by fetched_at asc, vendor asc
        ) as open_rank,
        row_number() over (
            partition by league, game_date, home_team_id, away_team_id, book
            order by fetched_at desc, vendor asc
        ) as close_rank,
        case when fetched_at <= pricing_cutoff_utc then row_number() over (
            partition by
                league, game_date, home_team_id, away_team_id, book,
                fetched_at <= pricing_cutoff_utc
            order by fetched_at desc, vendor asc
        ) end as priced_rank
    from paired
),

typed as (
    select
        *,
        'open' as line_type
    from ranked
    where open_rank = 1
    union all
    select
        *,
        'close' as line_type
    from ranked
    where close_rank = 1
    union all
    select
        *,
        'priced' as line_type
    from ranked
    where priced_rank = 1
)

select
    league,
    game_date,
    home_team_id,
    away_team_id,
    book,
    line_type,
    line,
    over_price_american,
    under_price_american,
    over_implied_prob,
    under_implied_prob,
    false as prices_assumed,
    vendor,
    fetched_at,
    loaded_at,
    payload_sha256
from typed
