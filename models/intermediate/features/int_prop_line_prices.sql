{#-
    The market for each line offered at its date's pricing cutoff (one row per game x player x
    market x line on at least one book's board, int_prop_line_quotes_at_cutoff): when it was
    last quoted, how many books quote it, the consensus de-vigged P(over) (each book's fair
    probability on its board, vendors quoting the same book averaged, then averaged over the
    books) and the best over and under prices on the bettable books' boards. A quote flagged
    as a wrong line (int_prop_quote_outliers) is left out of all of it: a line only such quotes
    offer is not priced.
-#}
{{ config(**game_date_slices()) }}

with

board_quotes as (
    select * from {{ ref('int_prop_line_quotes_at_cutoff') }}
    where
        {{ in_build_slice('game_date') }}
        and is_on_board
        and not is_wrong_line
),

-- One fair probability per book and line (vendors quoting the same book are averaged).
-- Probabilities are averaged on a 1e-12 grid: a sum of whole numbers is exact in any order, so
-- the mean does not depend on the order DuckDB's threads combine rows in (a plain double avg
-- differs in its last bits from run to run, and the model trained on it in its version).
book_lines as (
    select
        game_id,
        player_id,
        market,
        line,
        book_id,
        avg(round(case when is_two_sided then fair_prob_over end * 1e12)) / 1e12
            as book_fair_prob_over
    from board_quotes
    group by game_id, player_id, market, line, book_id
),

priced_lines as (
    select
        board_quotes.game_id,
        board_quotes.player_id,
        board_quotes.market,
        board_quotes.line,
        any_value(board_quotes.league) as league,
        any_value(board_quotes.game_date) as game_date,
        any_value(board_quotes.game_start_utc) as game_start_utc,
        any_value(board_quotes.pricing_cutoff_utc) as pricing_cutoff_utc,
        max(board_quotes.fetched_at) as priced_fetched_at,
        count(distinct board_quotes.book_id) as books_quoting,
        count(distinct case when board_quotes.is_bettable_book then board_quotes.book_id end)
            as bettable_books_quoting
    from board_quotes
    group by
        board_quotes.game_id,
        board_quotes.player_id,
        board_quotes.market,
        board_quotes.line
),

consensus as (
    select
        game_id,
        player_id,
        market,
        line,
        avg(round(book_fair_prob_over * 1e12)) / 1e12 as market_prob_over,
        count(book_fair_prob_over) as books_with_fair_prob
    from book_lines
    group by game_id, player_id, market, line
),

{{ best_side_price_ctes(
    'board_quotes', ['game_id', 'player_id', 'market', 'line'], tie_breakers=['vendor']
) }}

select
    priced_lines.game_id,
    priced_lines.player_id,
    priced_lines.market,
    priced_lines.line,
    priced_lines.league,
    priced_lines.game_date,
    priced_lines.game_start_utc,
    priced_lines.pricing_cutoff_utc,
    priced_lines.priced_fetched_at,
    consensus.market_prob_over,
    priced_lines.books_quoting,
    consensus.books_with_fair_prob,
    priced_lines.bettable_books_quoting,
    {{ best_side_price_columns() }}
from priced_lines
inner join consensus
    on
        priced_lines.game_id = consensus.game_id
        and priced_lines.player_id = consensus.player_id
        and priced_lines.market = consensus.market
        and priced_lines.line = consensus.line
{%- for side in ['over', 'under'] %}
    left join best_{{ side }}
        on
            priced_lines.game_id = best_{{ side }}.game_id
            and priced_lines.player_id = best_{{ side }}.player_id
            and priced_lines.market = best_{{ side }}.market
            and priced_lines.line = best_{{ side }}.line
            and best_{{ side }}.price_rank = 1
{%- endfor %}
