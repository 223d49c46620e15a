{#-
    Every predicted line (fct_predictions: player props and game totals) settled against its
    result, with the probabilities evaluation compares: the model's, the market's at the priced
    snapshot, and the de-vigged consensus at the open and at the close of the same line.
    Props settle on fct_player_game_stats (a game is settled once its boxscores are loaded; a
    player without a boxscore line in a settled game did not play: void); totals on
    int_game_results (final scores as books settle them: NHL overtime goals count and a
    shootout adds one goal to the winner, already in the scores). A postponed game is void.
    stat = line is a push. Rebuilt whole with every build (a late result or close settles the
    past).
-#}
{{ config(tags=['phase_predictions']) }}

with

predictions as (
    select * from {{ ref('fct_predictions') }}
),

games as (
    select * from {{ ref('dim_game') }}
),

stats as (
    select * from {{ ref('fct_player_game_stats') }}
),

game_results as (
    select * from {{ ref('int_game_results') }}
),

prop_lines as (
    select * from {{ ref('int_prop_odds_opening_closing') }}
),

total_odds as (
    select * from {{ ref('fct_game_total_odds') }}
),

market_stats as (
    select * from {{ ref('markets') }}
),

boxscore_games as (
    select distinct game_id
    from stats
),

prop_opening as (
    select
        game_id,
        player_id,
        market,
        opening_line as line,
        avg(opening_fair_prob_over) as fair_prob_over,
        count(*) as books
    from prop_lines
    where opening_fair_prob_over is not null
    group by game_id, player_id, market, opening_line
),

prop_closing as (
    select
        game_id,
        player_id,
        market,
        closing_line as line,
        avg(closing_fair_prob_over) as fair_prob_over,
        count(*) as books
    from prop_lines
    where is_closing_final and closing_fair_prob_over is not null
    group by game_id, player_id, market, closing_line
),

total_consensus as (
    select
        game_id,
        line_type,
        line,
        avg(fair_prob_over) as fair_prob_over,
        count(*) as books
    from total_odds
    where fair_prob_over is not null
    group by game_id, line_type, line
),

joined as (
    select
        predictions.game_date,
        predictions.game_id,
        predictions.player_id,
        coalesce(predictions.subject_id, predictions.player_id) as subject_id,
        predictions.market,
        predictions.line,
        upper(coalesce(predictions.league, games.league, game_results.league, market_stats.league))
            as league,
        predictions.model_version,
        predictions.prob_over,
        predictions.market_prob_over,
        predictions.market = 'game_total' as is_game_total,
        coalesce(games.is_postponed, false) as is_postponed,
        boxscore_games.game_id is not null as has_boxscores,
        stats.player_id is not null as player_played,
        coalesce(game_results.is_final, false) as is_total_final,
        case
            when predictions.market = 'game_total' then game_results.total_score
            else {{ player_stat_value(
                'market_stats.stat', 'stats', player_count_stats() + ['points_rebounds_assists']
            ) }}
        end as actual_value,
        coalesce(prop_opening.fair_prob_over, total_open.fair_prob_over) as prob_devig_open,
        coalesce(prop_opening.books, total_open.books, 0) as books_open,
        coalesce(prop_closing.fair_prob_over, total_close.fair_prob_over) as prob_devig_close,
        coalesce(prop_closing.books, total_close.books, 0) as books_close,
        predictions.best_over_price_decimal is not null
        or predictions.best_under_price_decimal is not null as has_bettable_price
    from predictions
    left join games
        on predictions.game_id = games.game_id
    left join market_stats
        on predictions.market = market_stats.market_id
    left join boxscore_games
        on predictions.game_id = boxscore_games.game_id
    left join stats
        on
            predictions.game_id = stats.game_id
            and predictions.player_id = stats.player_id
    left join game_results
        on
            predictions.game_id = game_results.game_id
            and predictions.market = 'game_total'
    left join prop_opening
        on
            predictions.game_id = prop_opening.game_id
            and predictions.player_id = prop_opening.player_id
            and predictions.market = prop_opening.market
            and predictions.line = prop_opening.line
    left join prop_closing
        on
            predictions.game_id = prop_closing.game_id
            and predictions.player_id = prop_closing.player_id
            and predictions.market = prop_closing.market
            and predictions.line = prop_closing.line
    left join total_consensus as total_open
        on
            predictions.game_id = total_open.game_id
            and predictions.market = 'game_total'
            and total_open.line_type = 'open'
            and predictions.line = total_open.line
    left join total_consensus as total_close
        on
            predictions.game_id = total_close.game_id
            and predictions.market = 'game_total'
            and total_close.line_type = 'close'
            and predictions.line = total_close.line
),

settled as (
    select
        *,
        {{ settle_line_result(
            'is_postponed', 'is_game_total', 'is_total_final', 'has_boxscores',
            'player_played', 'actual_value', 'line'
        ) }} as result,
        {{ settle_void_reason('is_postponed', 'is_game_total', 'has_boxscores', 'player_played') }}
            as void_reason
    from joined
)

select
    game_date,
    league,
    market as market_family,
    market,
    game_id,
    player_id,
    subject_id,
    line,
    model_version,
    result,
    void_reason,
    cast(actual_value as {{ type_double() }}) as actual_value,
    case result when 'over' then 1 when 'under' then 0 end as went_over,
    prob_over as prob_model,
    market_prob_over as prob_market_priced,
    prob_devig_open,
    prob_devig_close,
    books_open,
    books_close,
    has_bettable_price
from settled
