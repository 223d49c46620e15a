{#-
    The fallback guard of DESIGN §5 in SQL, per date (the same rules as
    propcast.models.check_not_fallback, so a table written by any path is checked the same way).
    A date fails when its probabilities are flat and its market is not:
      - all_half: >= 90 % of rows within 0.001 of 0.5;
      - constant: population standard deviation below 0.005;
    on dates with at least `min_rows` rows; a smaller date fails only when every row is at 0.5.
    The market (`market_prob_column`) is flat by the same rules; a flat market excuses flat
    predictions. Returns one row per failing date.
-#}
{% test predictions_not_fallback(
    model, prob_column='prob_over', market_prob_column='market_prob_over',
    date_column='game_date', min_rows=10, min_std=0.005, half_band=0.001, half_share=0.9
) %}
    with per_date as (
        select
            {{ date_column }} as checked_date,
            count(*) as n_rows,
            stddev_pop({{ prob_column }}) as prob_std,
            avg(case when abs({{ prob_column }} - 0.5) <= {{ half_band }} then 1.0 else 0.0 end)
                as share_near_half,
            count({{ market_prob_column }}) as n_market,
            stddev_pop({{ market_prob_column }}) as market_std,
            avg(
                case
                    when {{ market_prob_column }} is null then null
                    when abs({{ market_prob_column }} - 0.5) <= {{ half_band }} then 1.0
                    else 0.0
                end
            ) as market_share_near_half
        from {{ model }}
        group by {{ date_column }}
    ),

    judged as (
        select
            *,
            case
                when n_rows >= {{ min_rows }} and share_near_half >= {{ half_share }}
                    then 'all_half'
                when n_rows >= {{ min_rows }} and coalesce(prob_std, 0) < {{ min_std }}
                    then 'constant'
                when n_rows < {{ min_rows }} and share_near_half >= 1.0 then 'all_half'
            end as rule,
            coalesce(
                (
                    n_market >= {{ min_rows }}
                    and (
                        market_share_near_half >= {{ half_share }}
                        or coalesce(market_std, 0) < {{ min_std }}
                    )
                )
                or (n_market > 0 and n_market < {{ min_rows }} and market_share_near_half >= 1.0),
                false
            ) as market_is_flat
        from per_date
    )

    select *
    from judged
    where rule is not null and not market_is_flat
{% endtest %}
