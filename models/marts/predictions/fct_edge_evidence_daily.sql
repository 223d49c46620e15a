{#-
    The edge gate (README "The edge gate"): per slate date × league × market family, the
    walk-forward evidence that the model beats the market. Evidence = the family's settled lines
    (over / under; pushes, voids and pending lines carry none) dated in the window_days before
    the slate, with both the model's P(over) and the market's (var edge_gate_benchmark: priced,
    the de-vigged market at the priced snapshot, or close, the de-vigged consensus close): the paired
    log-loss difference model − market, its 95 % interval from a day-clustered standard error
    (lines of one day share games, news and books: not independent), the gate and the shrink
    weight the pricing applies. Rebuilt whole with every build (a late result settles the past);
    small: one row per slate and family.
-#}
{{ config(tags=['phase_predictions']) }}

{%- set window_days = var('edge_gate_window_days') | int -%}
{%- set min_lines = var('edge_gate_min_lines') | int -%}
{%- set min_days = var('edge_gate_min_days') | int -%}
{%- set gate_off = var('edge_gate') | string | lower in ['false', '0', 'no', 'off'] -%}
{%- set gate_on = 'false' if gate_off else 'true' -%}
{%- set benchmark = var('edge_gate_benchmark') | string | lower -%}
{%- if benchmark not in ['close', 'priced'] -%}
    {{ exceptions.raise_compiler_error(
        "var edge_gate_benchmark must be close or priced, not " ~ benchmark
    ) }}
{%- endif -%}
{%- set market_prob = 'prob_devig_close' if benchmark == 'close' else 'prob_market_priced' -%}
{%- set z = 1.959964 -%}
{%- set eps = 1e-6 -%}

with

lines as (
    select * from {{ ref('fct_line_settlements') }}
),

slates as (
    -- every slate date with predictions, per league and family (pending lines included)
    select distinct
        game_date,
        league,
        market_family
    from lines
),

scored as (
    select
        game_date,
        league,
        market_family,
        -(
            went_over * ln(greatest(least(prob_model, 1.0 - {{ eps }}), {{ eps }}))
            + (1 - went_over) * ln(greatest(least(1.0 - prob_model, 1.0 - {{ eps }}), {{ eps }}))
        ) as model_logloss,
        -(
            went_over * ln(greatest(least({{ market_prob }}, 1.0 - {{ eps }}), {{ eps }}))
            + (1 - went_over)
            * ln(greatest(least(1.0 - {{ market_prob }}, 1.0 - {{ eps }}), {{ eps }}))
        ) as market_logloss
    from lines
    where went_over is not null and {{ market_prob }} is not null
),

per_day as (
    -- s_d = the day's summed differences, n_d its lines: the cluster sums of the SE
    select
        game_date,
        league,
        market_family,
        count(*) as n_lines,
        sum(model_logloss) as sum_model,
        sum(market_logloss) as sum_market,
        sum(model_logloss - market_logloss) as sum_diff
    from scored
    group by game_date, league, market_family
),

windowed as (
    select
        slates.game_date,
        slates.league,
        slates.market_family,
        coalesce(sum(per_day.n_lines), 0) as n_lines,
        count(per_day.game_date) as n_days,
        sum(per_day.sum_model) as sum_model,
        sum(per_day.sum_market) as sum_market,
        sum(per_day.sum_diff) as sum_diff,
        sum(per_day.sum_diff * per_day.sum_diff) as sum_diff_sq,
        sum(per_day.n_lines * per_day.sum_diff) as sum_n_diff,
        sum(per_day.n_lines * per_day.n_lines) as sum_n_sq
    from slates
    left join per_day
        on
            slates.league = per_day.league
            and slates.market_family = per_day.market_family
            and {{ dbt.datediff('per_day.game_date', 'slates.game_date', 'day') }}
            between 1 and {{ window_days }}
    group by slates.game_date, slates.league, slates.market_family
),

measured as (
    select
        *,
        sum_model / nullif(n_lines, 0) as model_logloss,
        sum_market / nullif(n_lines, 0) as market_logloss,
        sum_diff / nullif(n_lines, 0) as logloss_diff
    from windowed
),

clustered as (
    -- Var(Δ) = D / (D − 1) × Σ_d n_d² (m_d − Δ)² / N², with n_d m_d = s_d:
    -- Σ n_d² (m_d − Δ)² = Σ s_d² − 2 Δ Σ n_d s_d + Δ² Σ n_d²
    select
        *,
        case
            when n_days >= 2
                then sqrt(greatest(
                    (
                        sum_diff_sq - 2.0 * logloss_diff * sum_n_diff
                        + logloss_diff * logloss_diff * sum_n_sq
                    )
                    * n_days / (n_days - 1.0) / (1.0 * n_lines * n_lines),
                    0.0
                ))
        end as logloss_diff_se
    from measured
),

gated as (
    select
        *,
        logloss_diff - {{ z }} * logloss_diff_se as ci_low,
        logloss_diff + {{ z }} * logloss_diff_se as ci_high,
        coalesce(
            logloss_diff + {{ z }} * logloss_diff_se < 0
            and n_lines >= {{ min_lines }}
            and n_days >= {{ min_days }},
            false
        ) as is_edge_shown
    from clustered
)

select
    game_date,
    league,
    market_family,
    cast(n_lines as {{ dbt.type_bigint() }}) as n_lines,
    cast(n_days as {{ dbt.type_bigint() }}) as n_days,
    cast({{ window_days }} as {{ dbt.type_bigint() }}) as window_days,
    cast(round(model_logloss, 6) as {{ type_double() }}) as model_logloss,
    cast(round(market_logloss, 6) as {{ type_double() }}) as market_logloss,
    cast(round(logloss_diff, 6) as {{ type_double() }}) as logloss_diff,
    cast(round(logloss_diff_se, 6) as {{ type_double() }}) as logloss_diff_se,
    cast(round(ci_low, 6) as {{ type_double() }}) as ci_low,
    cast(round(ci_high, 6) as {{ type_double() }}) as ci_high,
    is_edge_shown,
    is_edge_shown or not {{ gate_on }} as gate_open,
    cast(round(case
        when not {{ gate_on }} then 1.0
        when is_edge_shown
            then greatest(least(1.0 - {{ z }} * logloss_diff_se / abs(logloss_diff), 1.0), 0.0)
        else 0.0
    end, 6) as {{ type_double() }}) as shrink_weight,
    case
        when not {{ gate_on }}
            then 'gate off (var edge_gate false): the raw model probability is priced'
        when n_lines = 0 then 'no settled lines in the window'
        when n_days < {{ min_days }} or n_lines < {{ min_lines }}
            then 'too little evidence (needs {{ min_lines }} lines over {{ min_days }} days)'
        when is_edge_shown then 'model better than the market: the interval excludes zero'
        when logloss_diff >= 0 then 'model no better than the market'
        else 'model ahead within noise: the interval includes zero'
    end as reason
from gated
