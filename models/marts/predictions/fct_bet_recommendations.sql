{#-
    One row per prediction (player props and game totals): the better side at its best
    bettable price, EV per unit stake, fractional Kelly with caps per bet, per game and per
    day, and a reason code. The edge gate
    (fct_edge_evidence_daily, README "The edge gate"): EV and Kelly price the market's
    probability moved toward the model's by the family's shrink weight, and a line is
    recommended only while its family's gate is open.
    Incremental by game_date over the scored dates (vars score_start..score_end, default
    run_date), so past days keep the bankroll and limits they were priced with.
-#}
{{ config(
    pre_hook="{{ drop_not_null_if_exists(this, 'player_id') }}",
    **replaced_by_game_date(on_schema_change='append_new_columns')
) }}

{%- set bankroll = var('bankroll') | float -%}
{%- set min_ev = var('min_ev') | float -%}
{%- set kelly_multiplier = var('kelly_fraction') | float -%}
{%- set max_bet_fraction = var('max_bet_fraction') | float -%}
{%- set max_game_fraction = var('max_game_fraction') | float -%}
{%- set max_daily_fraction = var('max_daily_fraction') | float -%}
{%- set gate_off = var('edge_gate') | string | lower in ['false', '0', 'no', 'off'] -%}
{%- set gate_on = 'false' if gate_off else 'true' -%}

with

predictions as (
    -- player props and game totals alike (a total known from an imported close alone has no
    -- bettable price: no_bettable_price)
    select * from {{ ref('fct_predictions') }}
    {%- if is_incremental() %}
        where game_date between {{ pricing_score_start() }} and {{ pricing_score_end() }}
    {%- endif %}
),

evidence as (
    select * from {{ ref('fct_edge_evidence_daily') }}
),

gated as (
    -- the family's gate on the slate (props' market ids are one league's: the league only
    -- disambiguates); without an evidence row the gate is closed (weight 0) unless it is off
    select
        predictions.*,
        -- the gate off: open, w = 1, whatever the evidence was built with
        not {{ gate_on }} or coalesce(evidence.gate_open, false) as gate_open,
        case
            when {{ gate_on }} then coalesce(evidence.shrink_weight, 0.0) else 1.0
        end as edge_weight,
        -- p_used = p_market + w (p_model − p_market); without a market probability the
        -- model's while the gate is open, else nothing to price; the gate off: the model's
        case
            when not {{ gate_on }} then predictions.prob_over
            when predictions.market_prob_over is not null
                then round(
                    predictions.market_prob_over
                    + coalesce(evidence.shrink_weight, 0.0)
                    * (predictions.prob_over - predictions.market_prob_over),
                    6
                )
            when coalesce(evidence.gate_open, false) then predictions.prob_over
        end as prob_over_used
    from predictions
    left join evidence
        on
            predictions.game_date = evidence.game_date
            and predictions.market = evidence.market_family
            and (predictions.league is null or upper(predictions.league) = evidence.league)
),

priced as (
    select
        *,
        {{ ev_per_unit('prob_over_used', 'best_over_price_decimal') }} as ev_over,
        {{ ev_per_unit('1.0 - prob_over_used', 'best_under_price_decimal') }} as ev_under,
        {{ ev_per_unit('prob_over', 'best_over_price_decimal') }} as ev_over_model,
        {{ ev_per_unit('1.0 - prob_over', 'best_under_price_decimal') }} as ev_under_model
    from gated
),

sided as (
    select
        *,
        case
            when ev_over is null and ev_under is null then null
            when ev_under is null or ev_over >= ev_under then 'over'
            else 'under'
        end as side,
        case
            when ev_over_model is null and ev_under_model is null then null
            when ev_under_model is null or ev_over_model >= ev_under_model then 'over'
            else 'under'
        end as model_side
    from priced
),

chosen as (
    select
        *,
        case
            when side = 'over' then prob_over_used when side = 'under' then 1.0 - prob_over_used
        end as side_prob,
        case when side = 'over' then prob_over when side = 'under' then 1.0 - prob_over end
            as side_model_prob,
        case
            when side = 'over' then market_prob_over
            when side = 'under' then 1.0 - market_prob_over
        end as side_market_prob,
        case
            when side = 'over' then best_over_price_decimal
            when side = 'under' then best_under_price_decimal
        end as price_decimal,
        case
            when side = 'over' then best_over_price_american
            when side = 'under' then best_under_price_american
        end as price_american,
        case
            when side = 'over' then best_over_book_id
            when side = 'under' then best_under_book_id
        end as book_id,
        case when side = 'over' then ev_over when side = 'under' then ev_under end as ev,
        case
            when model_side = 'over' then ev_over_model
            when model_side = 'under' then ev_under_model
        end as ev_model
    from sided
),

judged as (
    select
        *,
        coalesce(gate_open and ev >= {{ min_ev }}, false) as is_recommended,
        case
            when side is null and model_side is null then 'no_bettable_price'
            when gate_open and ev >= {{ min_ev }} then 'value'
            when not gate_open and ev_model >= {{ min_ev }} then 'edge_not_shown'
            else 'below_threshold'
        end as reason_code,
        {{ kelly_full_fraction('side_prob', 'price_decimal') }} as kelly_full
    from chosen
),

bet_capped as (
    select
        *,
        case
            when is_recommended then {{ kelly_multiplier }} * kelly_full else 0.0
        end as kelly_fractional,
        case
            when is_recommended
                then least({{ kelly_multiplier }} * kelly_full, {{ max_bet_fraction }})
            else 0.0
        end as bet_fraction
    from judged
),

game_capped as (
    select
        *,
        bet_fraction * {{ cap_scale(
            'sum(bet_fraction) over (partition by game_date, game_id)', max_game_fraction
        ) }} as game_fraction
    from bet_capped
),

day_capped as (
    select
        *,
        game_fraction * {{ cap_scale(
            'sum(game_fraction) over (partition by game_date)', max_daily_fraction
        ) }} as stake_fraction
    from game_capped
),

-- Caps can shrink a stake under a cent: such a bet is not placed (reason stake_under_a_cent).
staked as (
    select
        *,
        {{ round_stake_down(bankroll ~ ' * ' ~ round_stake_down('stake_fraction', 6), 2) }}
            as stake_amount
    from day_capped
),

placed as (
    select
        *,
        is_recommended and stake_amount > 0 as is_placed
    from staked
)

select
    game_date,
    game_id,
    player_id,
    coalesce(subject_id, player_id) as subject_id,
    upper(league) as league,
    market,
    line,
    model_version,
    priced_fetched_at,
    prob_over,
    market_prob_over,
    side,
    side_prob,
    side_model_prob,
    cast(edge_weight as {{ type_double() }}) as edge_weight,
    side_market_prob,
    side_prob - side_market_prob as edge_vs_market,
    book_id,
    price_decimal,
    price_american,
    round(ev_over, 6) as ev_over,
    round(ev_under, 6) as ev_under,
    round(ev, 6) as ev,
    round(kelly_full, 6) as kelly_full_fraction,
    round(kelly_fractional, 6) as kelly_fraction,
    case
        when is_placed then {{ round_stake_down('stake_fraction', 6) }} else 0.0
    end as stake_fraction,
    stake_amount as stake,
    cast({{ bankroll }} as {{ type_double() }}) as bankroll,
    is_placed as is_recommended,
    case
        when is_recommended and not is_placed then 'stake_under_a_cent' else reason_code
    end as reason_code,
    is_placed and kelly_fractional > {{ max_bet_fraction }} as is_capped_by_bet,
    is_placed and game_fraction < bet_fraction as is_capped_by_game,
    is_placed and stake_fraction < game_fraction as is_capped_by_day
from placed
