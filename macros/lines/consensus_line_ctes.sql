{#-
    The consensus line of a market across books: the line most books quote (ties: the lower
    line), and at it the best American price of each side across books (the highest: the best
    payout), the mean de-vigged P(over) of the books quoting it and whether any price used was
    assumed. Renders three CTEs (no leading `with`, no trailing comma) on `quotes`, which holds
    one row per book quote with columns line, over_price_american, under_price_american,
    fair_prob_over and prices_assumed:
      consensus_line_counts: books per (keys, line);
      consensus_lines: the same ranked, consensus_rank = 1 the consensus line;
      at_consensus: per `keys` (+ `carry`, columns constant within keys): line, book_count,
        over_price, under_price, market_prob_over, prices_assumed.
-#}
{% macro consensus_line_ctes(quotes, keys, book_count='count(*)', carry=[]) -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set quote_columns -%}
        {%- for column in keys + carry -%}
            {{ quotes }}.{{ column }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    {%- endset -%}
    {%- set same_keys -%}
        {%- for key in keys -%}
            {{ quotes }}.{{ key }} = consensus_lines.{{ key }} and{{ ' ' }}
        {%- endfor -%}
    {%- endset -%}
    consensus_line_counts as (
        select
            {{ key_list }},
            line,
            {{ book_count }} as book_count
        from {{ quotes }}
        group by {{ key_list }}, line
    ),

    consensus_lines as (
        select
            *,
            row_number() over (
                partition by {{ key_list }}
                order by book_count desc, line asc
            ) as consensus_rank
        from consensus_line_counts
    ),

    at_consensus as (
        select
            {{ quote_columns }},
            consensus_lines.line,
            consensus_lines.book_count,
            max({{ quotes }}.over_price_american) as over_price,
            max({{ quotes }}.under_price_american) as under_price,
            avg({{ quotes }}.fair_prob_over) as market_prob_over,
            max(case when {{ quotes }}.prices_assumed then 1 else 0 end) = 1 as prices_assumed
        from {{ quotes }}
        inner join consensus_lines
            on
                {{ same_keys }}{{ quotes }}.line = consensus_lines.line
                and consensus_lines.consensus_rank = 1
        group by {{ quote_columns }}, consensus_lines.line, consensus_lines.book_count
    )
{%- endmacro %}
