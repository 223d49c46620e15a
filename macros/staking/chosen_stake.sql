{#-
    The stake a recommended bet is placed at is the run's staking policy's (fct_bet_stakes,
    README "Staking and simulation"), not fct_bet_recommendations' own stake, which is always
    the independent Kelly one. The one join of the two, for every SQL reader of a recommended
    stake (fct_bet_settlements, fct_slate_summary_daily, int_ledger_bets_matched).
-#}

{#-
    Renders a select (the body of a CTE): fct_bet_recommendations' rows (the recommended ones
    only, unless recommended_only is false) with the chosen stake as `chosen_stake`,
    `chosen_stake_fraction` and `staking`, joined from fct_bet_stakes on the bet's grain.
-#}
{% macro recommendations_at_chosen_stake(recommended_only=true) -%}
    select
        recommendations.*,
        -- A recommended bet without a stakes row keeps the recommendation's own stake, the
        -- independent Kelly one (hence staking 'kelly'): a date fct_bet_stakes has not staked,
        -- i.e. a build that selected this model without fct_bet_stakes (its first build stakes
        -- every date, later ones the scored dates, as fct_bet_recommendations rebuilds them).
        -- A line not recommended has no stakes row and keeps its stake of 0.
        coalesce(stakes.stake, recommendations.stake) as chosen_stake,
        coalesce(stakes.stake_fraction, recommendations.stake_fraction) as chosen_stake_fraction,
        case
            when recommendations.is_recommended then coalesce(stakes.staking, 'kelly')
        end as staking
    from {{ ref('fct_bet_recommendations') }} as recommendations
    left join {{ ref('fct_bet_stakes') }} as stakes
        on
            recommendations.game_id = stakes.game_id
            and coalesce(recommendations.player_id, recommendations.game_id)
            = coalesce(stakes.player_id, stakes.game_id)
            and recommendations.market = stakes.market
            and recommendations.line = stakes.line
    {%- if recommended_only %}
        where recommendations.is_recommended
    {%- endif %}
{%- endmacro %}
