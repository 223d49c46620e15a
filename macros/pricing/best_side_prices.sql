{#-
    CTEs best_over and best_under: per `keys`, the best decimal price of the side on a bettable
    book among `quotes` (columns <side>_price_decimal, <side>_price_american, fetched_at,
    is_bettable_book and the book column), ranked price_rank (1 = the best; ties: the latest
    snapshot, then the book, then `tie_breakers`). Join on `keys` and price_rank = 1; select
    best_side_price_columns(). The props' and the game totals' pricing share it.
-#}
{% macro best_side_price_ctes(quotes, keys, book='book_id', tie_breakers=[]) -%}
    {%- for side in ['over', 'under'] %}
        best_{{ side }} as (
            select
                {{ keys | join(',\n                ') }},
                {{ side }}_price_decimal as best_{{ side }}_price_decimal,
                {{ side }}_price_american as best_{{ side }}_price_american,
                {{ book }} as best_{{ side }}_book_id,
                row_number() over (
                    partition by {{ keys | join(', ') }}
                    order by
                        {{ side }}_price_decimal desc,
                        fetched_at desc,
                        {{ ([book] + tie_breakers) | join(' asc, ') }} asc
                ) as price_rank
            from {{ quotes }}
            where is_bettable_book and {{ side }}_price_decimal is not null
        ){{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The six columns of best_side_price_ctes, as best_<side>_price_decimal, _american, _book_id. -#}
{% macro best_side_price_columns() -%}
    {%- for side in ['over', 'under'] -%}
        {%- for what in ['price_decimal', 'price_american', 'book_id'] -%}
            best_{{ side }}.best_{{ side }}_{{ what }}{{ ',\n    ' if not (loop.last and side == 'under') }}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}
