{#-
    One row per game x player x market x line at the priced snapshot: what the predictors train
    on (dates with outcomes) and score (the slate), built the same way for both.

    Pricing cutoff: var cutoff_utc on run_date, the pricing clock (var pricing_clock_et, US/Eastern)
    on every other date (macro pricing_cutoff_utc). A book's board is its latest snapshot of the
    player's market fetched at or before the cutoff and before the game's start (across
    vendors); a line is offered when it is on at least one board, and its priced snapshot is
    the latest board quoting it. Lines a book has since moved off are not offers.
    Only mapped quotes (game and player ids) of var('prop_markets'), on games not postponed
    (their props are pulled; settlement voids any bet already placed).
-#}
{{ config(**game_date_slices()) }}
{%- set markets = var('prop_markets') -%}
{%- if markets is string -%}{%- set markets = markets.split(',') -%}{%- endif -%}

with

quotes as (
    select * from {{ ref('fct_prop_odds') }}
    where
        {{ in_build_slice('game_date') }}
        and game_id is not null
        and player_id is not null
        and is_pregame
        and market in ('{{ markets | map("trim") | join("', '") }}')
),

opening_lines as (
    select * from {{ ref('int_prop_odds_opening_closing') }}
    where {{ in_build_slice('game_date') }}
),

features as (
    select * from {{ ref('fct_player_points_features') }}
    where {{ in_build_slice('game_date') }}
),

stats as (
    select * from {{ ref('fct_player_game_stats') }}
    where {{ in_build_slice('game_date') }}
),

games as (
    select * from {{ ref('dim_game') }}
    where {{ in_build_slice('game_date') }}
),

market_stats as (
    select * from {{ ref('markets') }}
),

priceable_quotes as (
    select
        *,
        {{ pricing_cutoff_utc('game_date') }} as pricing_cutoff_utc
    from quotes
),

usable_quotes as (
    select *
    from priceable_quotes
    where fetched_at <= pricing_cutoff_utc
),

boards as (
    select
        game_id,
        player_id,
        market,
        book_id,
        max(fetched_at) as board_fetched_at
    from usable_quotes
    group by game_id, player_id, market, book_id
),

board_quotes as (
    select usable_quotes.*
    from usable_quotes
    inner join boards
        on
            usable_quotes.game_id = boards.game_id
            and usable_quotes.player_id = boards.player_id
            and usable_quotes.market = boards.market
            and usable_quotes.book_id = boards.book_id
            and usable_quotes.fetched_at = boards.board_fetched_at
),

-- One fair probability per book and line (vendors quoting the same book are averaged).
book_lines as (
    select
        game_id,
        player_id,
        market,
        line,
        book_id,
        avg(case when is_two_sided then fair_prob_over end) as book_fair_prob_over
    from board_quotes
    group by game_id, player_id, market, line, book_id
),

priced_lines as (
    select
        board_quotes.game_id,
        board_quotes.player_id,
        board_quotes.market,
        board_quotes.line,
        any_value(board_quotes.league) as league,
        any_value(board_quotes.game_date) as game_date,
        any_value(board_quotes.game_start_utc) as game_start_utc,
        any_value(board_quotes.pricing_cutoff_utc) as pricing_cutoff_utc,
        max(board_quotes.fetched_at) as priced_fetched_at,
        count(distinct board_quotes.book_id) as books_quoting,
        count(distinct case when board_quotes.is_bettable_book then board_quotes.book_id end)
            as bettable_books_quoting
    from board_quotes
    group by
        board_quotes.game_id,
        board_quotes.player_id,
        board_quotes.market,
        board_quotes.line
),

consensus as (
    select
        game_id,
        player_id,
        market,
        line,
        avg(book_fair_prob_over) as market_prob_over,
        count(book_fair_prob_over) as books_with_fair_prob
    from book_lines
    group by game_id, player_id, market, line
),

best_over as (
    select
        game_id,
        player_id,
        market,
        line,
        over_price_decimal as best_over_price_decimal,
        over_price_american as best_over_price_american,
        book_id as best_over_book_id,
        row_number() over (
            partition by game_id, player_id, market, line
            order by over_price_decimal desc, fetched_at desc, book_id asc, vendor asc
        ) as price_rank
    from board_quotes
    where is_bettable_book and over_price_decimal is not null
),

best_under as (
    select
        game_id,
        player_id,
        market,
        line,
        under_price_decimal as best_under_price_decimal,
        under_price_american as best_under_price_american,
        book_id as best_under_book_id,
        row_number() over (
            partition by game_id, player_id, market, line
            order by under_price_decimal desc, fetched_at desc, book_id asc, vendor asc
        ) as price_rank
    from board_quotes
    where is_bettable_book and under_price_decimal is not null
),

-- The market at open: each book's first main line (int_prop_odds_opening_closing) ...
opening_main_lines as (
    select
        opening_lines.game_id,
        opening_lines.player_id,
        opening_lines.market,
        avg(opening_lines.opening_line) as opening_line,
        count(*) as opening_books
    from opening_lines
    inner join boards
        on
            opening_lines.game_id = boards.game_id
            and opening_lines.player_id = boards.player_id
            and opening_lines.market = boards.market
            and opening_lines.book_id = boards.book_id
            and opening_lines.opening_fetched_at <= boards.board_fetched_at
    group by opening_lines.game_id, opening_lines.player_id, opening_lines.market
),

-- ... and this line's fair probability when each book first quoted it (two-sided).
line_first_quotes as (
    select
        game_id,
        player_id,
        market,
        line,
        book_id,
        fair_prob_over,
        row_number() over (
            partition by game_id, player_id, market, line, book_id
            order by fetched_at asc, vendor asc
        ) as quote_rank
    from usable_quotes
    where is_two_sided
),

line_openings as (
    select
        game_id,
        player_id,
        market,
        line,
        avg(fair_prob_over) as opening_market_prob_over
    from line_first_quotes
    where quote_rank = 1
    group by game_id, player_id, market, line
)

select
    priced_lines.game_id,
    priced_lines.player_id,
    priced_lines.market,
    priced_lines.line,
    priced_lines.league,
    priced_lines.game_date,
    priced_lines.game_start_utc,
    priced_lines.pricing_cutoff_utc,
    priced_lines.priced_fetched_at,
    consensus.market_prob_over,
    priced_lines.books_quoting,
    consensus.books_with_fair_prob,
    priced_lines.bettable_books_quoting,
    opening_main_lines.opening_line,
    priced_lines.line - opening_main_lines.opening_line as line_move_from_open,
    line_openings.opening_market_prob_over,
    consensus.market_prob_over - line_openings.opening_market_prob_over
        as market_prob_move_from_open,
    best_over.best_over_price_decimal,
    best_over.best_over_price_american,
    best_over.best_over_book_id,
    best_under.best_under_price_decimal,
    best_under.best_under_price_american,
    best_under.best_under_book_id,
    features.team_id,
    features.opponent_team_id,
    features.is_home,
    features.features_through_date,
    features.games_played,
    features.days_rest,
    features.is_back_to_back,
    features.points_avg_5,
    features.points_avg_10,
    features.rebounds_avg_5,
    features.rebounds_avg_10,
    features.assists_avg_5,
    features.assists_avg_10,
    features.minutes_avg_5,
    features.minutes_avg_10,
    features.opponent_prior_games,
    features.opponent_points_allowed_avg_5,
    features.opponent_points_allowed_avg_10,
    coalesce(games.is_final, false) as is_game_final,
    case
        when games.is_final then stats.player_id is not null
    end as player_played,
    case market_stats.stat
        when 'points' then stats.points
        when 'rebounds' then stats.rebounds
        when 'assists' then stats.assists
    end as stat_value
from priced_lines
inner join consensus
    on
        priced_lines.game_id = consensus.game_id
        and priced_lines.player_id = consensus.player_id
        and priced_lines.market = consensus.market
        and priced_lines.line = consensus.line
left join best_over
    on
        priced_lines.game_id = best_over.game_id
        and priced_lines.player_id = best_over.player_id
        and priced_lines.market = best_over.market
        and priced_lines.line = best_over.line
        and best_over.price_rank = 1
left join best_under
    on
        priced_lines.game_id = best_under.game_id
        and priced_lines.player_id = best_under.player_id
        and priced_lines.market = best_under.market
        and priced_lines.line = best_under.line
        and best_under.price_rank = 1
left join opening_main_lines
    on
        priced_lines.game_id = opening_main_lines.game_id
        and priced_lines.player_id = opening_main_lines.player_id
        and priced_lines.market = opening_main_lines.market
left join line_openings
    on
        priced_lines.game_id = line_openings.game_id
        and priced_lines.player_id = line_openings.player_id
        and priced_lines.market = line_openings.market
        and priced_lines.line = line_openings.line
left join features
    on
        priced_lines.player_id = features.player_id
        and priced_lines.game_id = features.game_id
inner join games
    on priced_lines.game_id = games.game_id
left join stats
    on
        priced_lines.game_id = stats.game_id
        and priced_lines.player_id = stats.player_id
left join market_stats
    on priced_lines.market = market_stats.market_id
where not coalesce(games.is_postponed, false)
