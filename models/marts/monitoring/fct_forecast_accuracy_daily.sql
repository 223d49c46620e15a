{#-
    Forecast accuracy per game_date with settled outcomes: the model's prob_over against the
    market's de-vigged market_prob_over (both as stored when the line was scored) and a constant
    0.5, on the same rows. Outcome: the market's stat > line. Excluded, and counted: players
    who did not play (game final, no boxscore), pushes (stat = line on an integer line) and
    lines without a market probability. Log loss clips probabilities to [1e-15, 1 - 1e-15] as
    propcast.models.metrics does.
-#}
{{ config(tags=['phase_predictions']) }}
{%- set eps = 1e-15 -%}

with

predictions as (
    -- player props only: game totals are judged by propcast backtest
    select * from {{ ref('fct_predictions') }}
    where market != 'game_total'
),

games as (
    select * from {{ ref('dim_game') }}
),

stats as (
    select * from {{ ref('fct_player_game_stats') }}
),

market_stats as (
    select * from {{ ref('markets') }}
),

outcomes as (
    select
        predictions.game_date,
        predictions.model_version,
        predictions.line,
        predictions.prob_over,
        predictions.market_prob_over,
        coalesce(games.is_final, false) as is_game_final,
        stats.player_id is not null as player_played,
        case market_stats.stat
            when 'points' then stats.points
            when 'rebounds' then stats.rebounds
            when 'assists' then stats.assists
        end as stat_value
    from predictions
    inner join games
        on predictions.game_id = games.game_id
    left join stats
        on
            predictions.game_id = stats.game_id
            and predictions.player_id = stats.player_id
    left join market_stats
        on predictions.market = market_stats.market_id
),

settled as (
    select
        *,
        case when stat_value > line then 1.0 else 0.0 end as went_over,
        least(greatest(prob_over, {{ eps }}), 1.0 - {{ eps }}) as p_model,
        least(greatest(market_prob_over, {{ eps }}), 1.0 - {{ eps }}) as p_market
    from outcomes
    where
        is_game_final
        and player_played
        and stat_value is not null
        and stat_value != line
        and market_prob_over is not null
),

per_date as (
    select
        game_date,
        count(*) as n_lines,
        string_agg(distinct model_version, ', ' order by model_version) as model_versions,
        avg(went_over) as over_rate,
        avg(prob_over) as mean_prob_model,
        avg(market_prob_over) as mean_prob_market,
        -avg(went_over * ln(p_model) + (1.0 - went_over) * ln(1.0 - p_model)) as log_loss_model,
        -avg(went_over * ln(p_market) + (1.0 - went_over) * ln(1.0 - p_market))
            as log_loss_market,
        ln(2.0) as log_loss_constant_0_5,
        avg((prob_over - went_over) * (prob_over - went_over)) as brier_model,
        avg((market_prob_over - went_over) * (market_prob_over - went_over)) as brier_market,
        cast(0.25 as {{ type_double() }}) as brier_constant_0_5
    from settled
    group by game_date
),

excluded as (
    select
        game_date,
        count(case when is_game_final and not player_played then 1 end) as n_did_not_play,
        count(
            case when is_game_final and player_played and stat_value = line then 1 end
        ) as n_pushes,
        count(
            case
                when is_game_final and player_played and market_prob_over is null then 1
            end
        ) as n_without_market_prob
    from outcomes
    group by game_date
)

select
    per_date.game_date,
    per_date.n_lines,
    excluded.n_did_not_play,
    excluded.n_pushes,
    excluded.n_without_market_prob,
    per_date.model_versions,
    per_date.over_rate,
    per_date.mean_prob_model,
    per_date.mean_prob_market,
    per_date.log_loss_model,
    per_date.log_loss_market,
    per_date.log_loss_constant_0_5,
    per_date.brier_model,
    per_date.brier_market,
    per_date.brier_constant_0_5,
    per_date.log_loss_model - per_date.log_loss_market as log_loss_model_minus_market
from per_date
inner join excluded
    on per_date.game_date = excluded.game_date
