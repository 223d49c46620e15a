{#-
    One row per recommended bet (fct_bet_recommendations.is_recommended), settled from its line
    (fct_line_settlements): won / lost / push / void / pending, the units won at the price taken
    for a stake of 1 and for the recommended stake, and its closing-line value against the
    de-vigged consensus close of the same line and side (clv_prob in probability points,
    clv_price as the price taken over the fair closing price, minus 1). The recommended stake
    is the run's staking policy's (fct_bet_stakes, macro recommendations_at_chosen_stake), and
    `staking` says which policy staked the bet.
-#}
{{ config(tags=['phase_predictions']) }}

with

bets as (
    {{ recommendations_at_chosen_stake() | indent(4) }}
),

lines as (
    select * from {{ ref('fct_line_settlements') }}
),

joined as (
    select
        bets.game_date,
        lines.league,
        coalesce(lines.market_family, bets.market) as market_family,
        bets.market,
        bets.game_id,
        bets.player_id,
        coalesce(lines.subject_id, bets.player_id) as subject_id,
        bets.line,
        bets.side,
        bets.book_id,
        bets.price_decimal,
        bets.price_american,
        bets.model_version,
        bets.side_prob,
        bets.ev,
        bets.chosen_stake as stake,
        bets.staking,
        coalesce(lines.result, 'pending') as line_result,
        lines.void_reason,
        lines.actual_value,
        case bets.side
            when 'over' then lines.prob_devig_close
            when 'under' then 1.0 - lines.prob_devig_close
        end as side_prob_devig_close
    from bets
    left join lines
        on
            bets.game_id = lines.game_id
            and bets.market = lines.market
            and bets.line = lines.line
            and coalesce(bets.player_id, bets.game_id) = lines.subject_id
),

settled as (
    select
        *,
        {{ settle_bet_result('line_result', 'side') }} as result
    from joined
),

valued as (
    select
        *,
        {{ settle_units_won('result', 'price_decimal') }} as units_won
    from settled
)

select
    game_date,
    league,
    market_family,
    market,
    game_id,
    player_id,
    subject_id,
    line,
    side,
    book_id,
    price_decimal,
    price_american,
    model_version,
    side_prob,
    ev,
    stake,
    result,
    void_reason,
    actual_value,
    result in ('won', 'lost', 'push') as is_settled,
    units_won,
    units_won * stake as profit,
    1.0 / price_decimal as price_implied_prob,
    side_prob_devig_close,
    side_prob_devig_close - 1.0 / price_decimal as clv_prob,
    price_decimal * side_prob_devig_close - 1.0 as clv_price,
    staking
from valued
