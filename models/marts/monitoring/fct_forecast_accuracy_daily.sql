{#-
    Forecast accuracy per game_date x league x market family with settled outcomes
    (fct_line_settlements: player props and game totals). The contracted columns keep their
    meaning: the model's prob_over against the market's de-vigged probability at the priced
    snapshot and a constant 0.5, on the same rows (settled over or under, market probability
    present). Added per source - model, market (priced snapshot), devig_open, devig_close (the
    consensus de-vigged probability of the same line at the books' open and close) - log loss,
    Brier, ECE (10 equal-width bins of the probability) and hit rate (the side the probability
    favours won), each on those rows where the source has a probability (n_lines_<source>); and
    the recommended bets' ROI and CLV (fct_bet_settlements). Excluded, and counted: voids (did
    not play, postponed), pushes, lines without a market probability. Log loss clips
    probabilities to [1e-15, 1 - 1e-15] as propcast.models.metrics does.
-#}
{{ config(tags=['phase_predictions']) }}
{%- set eps = 1e-15 -%}
{%- set sources = ['model', 'market', 'devig_open', 'devig_close'] -%}
{%- set columns = {
    'model': 'prob_model',
    'market': 'prob_market_priced',
    'devig_open': 'prob_devig_open',
    'devig_close': 'prob_devig_close',
} -%}

with

outcomes as (
    select * from {{ ref('fct_line_settlements') }}
    where result != 'pending'
),

bets as (
    select * from {{ ref('fct_bet_settlements') }}
    where is_settled
),

settled as (
    select
        *,
        cast(went_over as {{ type_double() }}) as y,
        least(greatest(prob_model, {{ eps }}), 1.0 - {{ eps }}) as p_model,
        least(greatest(prob_market_priced, {{ eps }}), 1.0 - {{ eps }}) as p_market
    from outcomes
    where result in ('over', 'under') and prob_market_priced is not null
),

per_group as (
    select
        game_date,
        league,
        market_family,
        count(*) as n_lines,
        string_agg(distinct model_version, ', ' order by model_version) as model_versions,
        avg(y) as over_rate,
        avg(prob_model) as mean_prob_model,
        avg(prob_market_priced) as mean_prob_market,
        -avg(y * ln(p_model) + (1.0 - y) * ln(1.0 - p_model)) as log_loss_model,
        -avg(y * ln(p_market) + (1.0 - y) * ln(1.0 - p_market)) as log_loss_market,
        ln(2.0) as log_loss_constant_0_5,
        avg((prob_model - y) * (prob_model - y)) as brier_model,
        avg((prob_market_priced - y) * (prob_market_priced - y)) as brier_market,
        cast(0.25 as {{ type_double() }}) as brier_constant_0_5
    from settled
    group by game_date, league, market_family
),

long as (
    {%- for source in sources %}
        select
            game_date,
            league,
            market_family,
            '{{ source }}' as prob_source,
            y,
            {{ columns[source] }} as p,
            least(greatest({{ columns[source] }}, {{ eps }}), 1.0 - {{ eps }}) as p_clipped
        from settled
        where {{ columns[source] }} is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

per_source as (
    select
        game_date,
        league,
        market_family,
        prob_source,
        count(*) as n_lines,
        -avg(y * ln(p_clipped) + (1.0 - y) * ln(1.0 - p_clipped)) as log_loss,
        avg((p - y) * (p - y)) as brier,
        avg(case when (p >= 0.5) = (y = 1.0) then 1.0 else 0.0 end) as hit_rate
    from long
    group by game_date, league, market_family, prob_source
),

per_bin as (
    select
        game_date,
        league,
        market_family,
        prob_source,
        least(floor(p * 10), 9) as probability_bin,
        count(*) as n_bin,
        avg(p) as mean_p,
        avg(y) as mean_y
    from long
    group by game_date, league, market_family, prob_source, least(floor(p * 10), 9)
),

calibration as (
    select
        game_date,
        league,
        market_family,
        prob_source,
        sum(n_bin * abs(mean_p - mean_y)) / sum(n_bin) as ece
    from per_bin
    group by game_date, league, market_family, prob_source
),

metrics as (
    select
        {% for source in sources %}
            {% for metric in ['n_lines', 'log_loss', 'brier', 'hit_rate'] %}
                max(
                    case
                        when per_source.prob_source = '{{ source }}' then per_source.{{ metric }}
                    end
                ) as {{ metric }}_{{ source }},
            {% endfor %}
            max(case when calibration.prob_source = '{{ source }}' then calibration.ece end)
                as ece_{{ source }},
        {% endfor %}
        per_source.game_date,
        per_source.league,
        per_source.market_family
    from per_source
    inner join calibration
        on
            per_source.game_date = calibration.game_date
            and per_source.league = calibration.league
            and per_source.market_family = calibration.market_family
            and per_source.prob_source = calibration.prob_source
    group by per_source.game_date, per_source.league, per_source.market_family
),

excluded as (
    select
        game_date,
        league,
        market_family,
        count(case when void_reason = 'did_not_play' then 1 end) as n_did_not_play,
        count(case when void_reason = 'postponed' then 1 end) as n_postponed,
        count(case when result = 'push' then 1 end) as n_pushes,
        count(
            case when result in ('over', 'under') and prob_market_priced is null then 1 end
        ) as n_without_market_prob
    from outcomes
    group by game_date, league, market_family
),

bet_returns as (
    select
        game_date,
        league,
        market_family,
        count(*) as bets_settled,
        sum(units_won) / count(*) as roi_flat,
        sum(profit) / nullif(sum(stake), 0) as roi_staked,
        count(clv_prob) as bets_with_clv,
        avg(clv_prob) as mean_clv_prob,
        avg(clv_price) as mean_clv_price
    from bets
    group by game_date, league, market_family
)

select
    per_group.game_date,
    per_group.n_lines,
    excluded.n_did_not_play,
    excluded.n_pushes,
    excluded.n_without_market_prob,
    per_group.model_versions,
    per_group.over_rate,
    per_group.mean_prob_model,
    per_group.mean_prob_market,
    per_group.log_loss_model,
    per_group.log_loss_market,
    per_group.log_loss_constant_0_5,
    per_group.brier_model,
    per_group.brier_market,
    per_group.brier_constant_0_5,
    per_group.log_loss_model - per_group.log_loss_market as log_loss_model_minus_market,
    per_group.league,
    per_group.market_family,
    excluded.n_postponed,
    metrics.ece_model,
    metrics.ece_market,
    metrics.hit_rate_model,
    metrics.hit_rate_market,
    coalesce(metrics.n_lines_devig_open, 0) as n_lines_devig_open,
    metrics.log_loss_devig_open,
    metrics.brier_devig_open,
    metrics.ece_devig_open,
    metrics.hit_rate_devig_open,
    coalesce(metrics.n_lines_devig_close, 0) as n_lines_devig_close,
    metrics.log_loss_devig_close,
    metrics.brier_devig_close,
    metrics.ece_devig_close,
    metrics.hit_rate_devig_close,
    coalesce(bet_returns.bets_settled, 0) as bets_settled,
    bet_returns.roi_flat,
    bet_returns.roi_staked,
    coalesce(bet_returns.bets_with_clv, 0) as bets_with_clv,
    bet_returns.mean_clv_prob,
    bet_returns.mean_clv_price
from per_group
inner join excluded
    on
        per_group.game_date = excluded.game_date
        and per_group.league = excluded.league
        and per_group.market_family = excluded.market_family
inner join metrics
    on
        per_group.game_date = metrics.game_date
        and per_group.league = metrics.league
        and per_group.market_family = metrics.market_family
left join bet_returns
    on
        per_group.game_date = bet_returns.game_date
        and per_group.league = bet_returns.league
        and per_group.market_family = bet_returns.market_family
