{#-
    The ledger of what was bet: one row per placed bet (taken: it followed a recommendation;
    not_recommended: it followed none) and one per recommendation no placed bet followed
    (skipped), over the dates the ledger spans. Each is settled by the same rules as
    fct_bet_settlements (macros settle_*: push on the line, void when postponed or the player
    did not play, totals on the final score as books settle it, NHL overtime and shootout
    included), valued at the price taken (a skipped one at the recommended price, stake null),
    with the price slippage against the recommendation (its stake the run's staking policy's,
    fct_bet_stakes, recommended_staking the policy) and the closing-line value against the
    de-vigged close of the same line and side at the same book and at the book with the best
    closing price for that side.
-#}
{{ config(tags=['phase_predictions']) }}

with

entries as (
    select * from {{ ref('int_ledger_bets_matched') }}
),

stats as (
    select * from {{ ref('fct_player_game_stats') }}
),

market_stats as (
    select * from {{ ref('markets') }}
),

boxscore_games as (
    select distinct game_id
    from stats
),

joined as (
    select
        entries.*,
        boxscore_games.game_id is not null as has_boxscores,
        stats.player_id is not null as player_played,
        case
            when entries.is_game_total then entries.total_score
            else {{ player_stat_value(
                'market_stats.stat', 'stats', player_count_stats() + ['points_rebounds_assists']
            ) }}
        end as actual_value
    from entries
    left join market_stats
        on entries.market = market_stats.market_id
    left join boxscore_games
        on entries.game_id = boxscore_games.game_id
    left join stats
        on
            entries.game_id = stats.game_id
            and entries.player_id = stats.player_id
),

settled as (
    select
        *,
        {{ settle_line_result(
            'is_postponed', 'is_game_total', 'is_game_final', 'has_boxscores',
            'player_played', 'actual_value', 'line'
        ) }} as line_result,
        {{ settle_void_reason('is_postponed', 'is_game_total', 'has_boxscores', 'player_played') }}
            as void_reason
    from joined
),

valued as (
    select
        *,
        {{ settle_bet_result('line_result', 'side') }} as result
    from settled
)

select
    ledger_entry_id,
    entry_status,
    is_placed,
    is_matched,
    match_status,
    bet_hash,
    bet_id,
    game_league as league,
    game_date,
    market as market_family,
    market,
    game_id,
    player_id,
    subject,
    side,
    line,
    book_id,
    vendor_book,
    book_id is not null as is_book_known,
    price_decimal,
    price_american,
    1.0 / price_decimal as price_implied_prob,
    stake,
    recommended_book_id,
    recommended_price_decimal,
    recommended_side_prob,
    recommended_ev,
    recommended_stake,
    model_version,
    price_decimal - recommended_price_decimal as price_slippage,
    1.0 / price_decimal - 1.0 / recommended_price_decimal as price_slippage_prob,
    result,
    void_reason,
    cast(actual_value as {{ type_double() }}) as actual_value,
    result in ('won', 'lost', 'push') as is_settled,
    {{ settle_units_won('result', 'price_decimal') }} as units_won,
    {{ settle_units_won('result', 'price_decimal') }} * stake as profit,
    side_prob_close_book,
    close_price_decimal_book,
    side_prob_close_book - 1.0 / price_decimal as clv_prob_book,
    price_decimal * side_prob_close_book - 1.0 as clv_price_book,
    best_close_book_id,
    side_prob_close_best_book,
    close_price_decimal_best_book,
    side_prob_close_best_book - 1.0 / price_decimal as clv_prob_best_book,
    price_decimal * side_prob_close_best_book - 1.0 as clv_price_best_book,
    recommended_staking
from valued
