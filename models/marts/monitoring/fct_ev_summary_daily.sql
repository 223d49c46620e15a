{#-
    What the recommendations expected and what they made, per game_date x market.
    Priced: rows of fct_bet_recommendations with a bettable price (a side). Expected profit:
    stake x EV per unit. Settlement of each recommended bet against fct_player_game_stats: a
    game is settled once its boxscores are loaded; a player without a boxscore line in a settled
    game did not play (void: not counted); stat = line is a push (stake back); otherwise the
    side wins or loses (win: stake x (decimal price - 1), loss: -stake). Bets on games without
    boxscores (not played yet, postponed) are pending. ROI = profit / stake over settled bets.
    CLV (closing line value, in probability points) = the closing de-vigged probability of the
    bet's side minus the probability implied by the price taken (1 / decimal price); the
    closing probability is the mean over books whose closing main line (the last pre-game
    snapshot, int_prop_odds_opening_closing) is the bet's line, once the game is final.
    Incremental by game_date: a run rebuilds D-1 (settled by last night's boxscores) and D.
-#}
{{ config(tags=['phase_predictions'], **game_date_slices()) }}

with

priced_lines as (
    select * from {{ ref('fct_bet_recommendations') }}
    where {{ in_build_slice('game_date') }}
),

stats as (
    select * from {{ ref('fct_player_game_stats') }}
    where {{ in_build_slice('game_date') }}
),

closing_lines as (
    select * from {{ ref('int_prop_odds_opening_closing') }}
    where
        {{ in_build_slice('game_date') }}
        and is_closing_final
        and closing_fair_prob_over is not null
),

market_stats as (
    select * from {{ ref('markets') }}
),

settled_games as (
    select distinct game_id
    from stats
),

closing_consensus as (
    select
        game_id,
        player_id,
        market,
        closing_line,
        avg(closing_fair_prob_over) as closing_prob_over
    from closing_lines
    group by game_id, player_id, market, closing_line
),

bets as (
    select
        priced_lines.game_date,
        priced_lines.market,
        priced_lines.side,
        priced_lines.line,
        priced_lines.price_decimal,
        priced_lines.stake,
        priced_lines.ev,
        priced_lines.is_recommended,
        settled_games.game_id is not null as is_game_settled,
        stats.player_id is not null as player_played,
        case market_stats.stat
            when 'points' then stats.points
            when 'rebounds' then stats.rebounds
            when 'assists' then stats.assists
            when 'points_rebounds_assists' then stats.points_rebounds_assists
        end as stat_value,
        case priced_lines.side
            when 'over' then closing_consensus.closing_prob_over
            when 'under' then 1.0 - closing_consensus.closing_prob_over
        end - 1.0 / priced_lines.price_decimal as clv
    from priced_lines
    left join settled_games
        on priced_lines.game_id = settled_games.game_id
    left join stats
        on
            priced_lines.game_id = stats.game_id
            and priced_lines.player_id = stats.player_id
    left join market_stats
        on priced_lines.market = market_stats.market_id
    left join closing_consensus
        on
            priced_lines.game_id = closing_consensus.game_id
            and priced_lines.player_id = closing_consensus.player_id
            and priced_lines.market = closing_consensus.market
            and priced_lines.line = closing_consensus.closing_line
),

results as (
    select
        *,
        case
            when not is_recommended then null
            when not is_game_settled then 'pending'
            when not player_played then 'void'
            when stat_value is null then 'pending'
            when stat_value = line then 'push'
            when (stat_value > line) = (side = 'over') then 'won'
            else 'lost'
        end as result
    from bets
),

profits as (
    select
        *,
        case result
            when 'won' then stake * (price_decimal - 1.0)
            when 'lost' then -stake
            when 'push' then 0.0
        end as bet_profit,
        case when result in ('won', 'lost', 'push') then stake end as settled_stake
    from results
),

summed as (
    select
        game_date,
        market,
        count(side) as lines_priced,
        count(case when is_recommended then 1 end) as recommendations,
        coalesce(sum(case when is_recommended then stake end), 0.0) as total_stake,
        coalesce(sum(case when is_recommended then stake * ev end), 0.0) as expected_profit,
        count(settled_stake) as settled_bets,
        count(case when result = 'won' then 1 end) as bets_won,
        count(case when result = 'lost' then 1 end) as bets_lost,
        count(case when result = 'push' then 1 end) as bets_pushed,
        count(case when result = 'void' then 1 end) as bets_void,
        count(case when result = 'pending' then 1 end) as bets_pending,
        sum(settled_stake) as settled_stake,
        sum(bet_profit) as profit,
        count(case when is_recommended then clv end) as bets_with_clv,
        avg(case when is_recommended then clv end) as mean_clv
    from profits
    group by game_date, market
)

select
    game_date,
    market,
    lines_priced,
    recommendations,
    total_stake,
    expected_profit,
    settled_bets,
    bets_won,
    bets_lost,
    bets_pushed,
    profit,
    profit / nullif(settled_stake, 0) as roi,
    mean_clv,
    bets_void,
    bets_pending,
    settled_stake,
    bets_with_clv
from summed
