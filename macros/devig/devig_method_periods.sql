{#-
    The join of a de-vig model's rows to int_devig_method_periods: the period of the row's
    league and market family that covers its game date (a left join: no period, no match).
-#}
{% macro join_devig_method_periods(periods, league, market_family, game_date) -%}
    left join {{ periods }}
        on
            upper({{ league }}) = {{ periods }}.league
            and {{ market_family }} = {{ periods }}.market_family
            and {{ game_date }} >= {{ periods }}.valid_from
            and (
                {{ periods }}.valid_until is null
                or {{ game_date }} < {{ periods }}.valid_until
            )
{%- endmacro %}


{#- The method a row uses: its period's, else var('devig_method') (checked). -#}
{% macro chosen_devig_method(periods) -%}
    coalesce({{ periods }}.devig_method, '{{ checked_devig_method() }}')
{%- endmacro %}
