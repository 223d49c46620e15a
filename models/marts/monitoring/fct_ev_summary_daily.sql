{#-
    What the recommendations expected and what they made, per game_date x league x market
    family. Lines priced: scored lines with a bettable price (fct_line_settlements). The
    recommended bets and their settlement come from fct_bet_settlements: a prop's game is
    settled once its boxscores are loaded, a total's once its final score is; a player without
    a boxscore line in a settled game (did not play) or a postponed game is void (refunded, not
    counted); stat = line is a push (stake back, counted); otherwise the side wins (stake x
    (decimal price - 1)) or loses (-stake). Bets on games not settled yet are pending. ROI =
    profit / stake over settled bets. CLV (closing line value, probability points) = the
    de-vigged consensus close of the bet's side on its line minus 1 / decimal price taken
    (fct_bet_settlements.clv_prob). Incremental by game_date: a run rebuilds D-1 (settled by
    last night's results) and D.
-#}
{%- set slices = game_date_slices() -%}
{%- do slices.update({'on_schema_change': 'append_new_columns'}) -%}
{{ config(tags=['phase_predictions'], **slices) }}

with

lines as (
    select * from {{ ref('fct_line_settlements') }}
    where {{ in_build_slice('game_date') }}
),

bets as (
    select * from {{ ref('fct_bet_settlements') }}
    where {{ in_build_slice('game_date') }}
),

priced as (
    select
        game_date,
        league,
        market_family,
        market,
        count(case when has_bettable_price then 1 end) as lines_priced
    from lines
    group by game_date, league, market_family, market
),

settled as (
    select
        game_date,
        league,
        market_family,
        market,
        count(*) as recommendations,
        sum(stake) as total_stake,
        sum(stake * ev) as expected_profit,
        count(case when is_settled then 1 end) as settled_bets,
        count(case when result = 'won' then 1 end) as bets_won,
        count(case when result = 'lost' then 1 end) as bets_lost,
        count(case when result = 'push' then 1 end) as bets_pushed,
        count(case when result = 'void' then 1 end) as bets_void,
        count(case when result = 'pending' then 1 end) as bets_pending,
        sum(case when is_settled then stake end) as settled_stake,
        sum(case when is_settled then profit end) as profit,
        sum(case when is_settled then units_won end) as units_won,
        count(clv_prob) as bets_with_clv,
        avg(clv_prob) as mean_clv,
        avg(clv_price) as mean_clv_price
    from bets
    group by game_date, league, market_family, market
)

select
    priced.game_date,
    priced.market,
    priced.lines_priced,
    coalesce(settled.recommendations, 0) as recommendations,
    coalesce(settled.total_stake, 0.0) as total_stake,
    coalesce(settled.expected_profit, 0.0) as expected_profit,
    coalesce(settled.settled_bets, 0) as settled_bets,
    coalesce(settled.bets_won, 0) as bets_won,
    coalesce(settled.bets_lost, 0) as bets_lost,
    coalesce(settled.bets_pushed, 0) as bets_pushed,
    settled.profit,
    settled.profit / nullif(settled.settled_stake, 0) as roi,
    settled.mean_clv,
    coalesce(settled.bets_void, 0) as bets_void,
    coalesce(settled.bets_pending, 0) as bets_pending,
    settled.settled_stake,
    coalesce(settled.bets_with_clv, 0) as bets_with_clv,
    priced.league,
    priced.market_family,
    settled.units_won,
    settled.units_won / nullif(settled.settled_bets, 0) as roi_flat,
    settled.mean_clv_price
from priced
left join settled
    on
        priced.game_date = settled.game_date
        and priced.league = settled.league
        and priced.market = settled.market
