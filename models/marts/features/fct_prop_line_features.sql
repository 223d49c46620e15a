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

    The line's market comes from int_prop_line_prices (consensus, best prices) and
    int_prop_line_openings (movement from the open), both over int_prop_line_quotes_at_cutoff;
    the player's form from fct_player_points_features and the outcome from fct_player_game_stats.
-#}
{{ config(**game_date_slices()) }}

with

prices as (
    select * from {{ ref('int_prop_line_prices') }}
    where {{ in_build_slice('game_date') }}
),

openings as (
    select * from {{ ref('int_prop_line_openings') }}
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
)

select
    prices.game_id,
    prices.player_id,
    prices.market,
    prices.line,
    prices.league,
    prices.game_date,
    prices.game_start_utc,
    prices.pricing_cutoff_utc,
    prices.priced_fetched_at,
    prices.market_prob_over,
    prices.books_quoting,
    prices.books_with_fair_prob,
    prices.bettable_books_quoting,
    openings.opening_line,
    openings.line_move_from_open,
    openings.opening_market_prob_over,
    prices.market_prob_over - openings.opening_market_prob_over as market_prob_move_from_open,
    prices.best_over_price_decimal,
    prices.best_over_price_american,
    prices.best_over_book_id,
    prices.best_under_price_decimal,
    prices.best_under_price_american,
    prices.best_under_book_id,
    features.team_id,
    features.opponent_team_id,
    features.is_home,
    features.features_through_date,
    features.games_played,
    features.days_rest,
    features.is_back_to_back,
    {{ player_form_columns('features') }},
    features.opponent_prior_games,
    features.opponent_points_allowed_avg_5,
    features.opponent_points_allowed_avg_10,
    features.teammates_missing_minutes,
    features.teammates_out_minutes,
    coalesce(games.is_final, false) as is_game_final,
    case
        when games.is_final then stats.player_id is not null
    end as player_played,
    {{ player_stat_value('market_stats.stat', 'stats') }} as stat_value
from prices
left join openings
    on
        prices.game_id = openings.game_id
        and prices.player_id = openings.player_id
        and prices.market = openings.market
        and prices.line = openings.line
left join features
    on
        prices.player_id = features.player_id
        and prices.game_id = features.game_id
inner join games
    on prices.game_id = games.game_id
left join stats
    on
        prices.game_id = stats.game_id
        and prices.player_id = stats.player_id
left join market_stats
    on prices.market = market_stats.market_id
where not coalesce(games.is_postponed, false)
