{#-
    How far each line offered at its date's pricing cutoff (on at least one book's board,
    int_prop_line_quotes_at_cutoff) has moved since the open. The market at open: the mean of
    the opening main lines (int_prop_odds_opening_closing) of the books with a board at the
    cutoff, each counted when it opened by its board's snapshot; and the line's consensus
    fair P(over) when each book first quoted it two-sided by the cutoff. Quotes flagged as wrong
    lines (int_prop_quote_outliers) neither offer a line nor open one.
-#}
{{ config(**game_date_slices()) }}

with

quotes as (
    select * from {{ ref('int_prop_line_quotes_at_cutoff') }}
    where {{ in_build_slice('game_date') }}
),

opening_lines as (
    select * from {{ ref('int_prop_odds_opening_closing') }}
    where {{ in_build_slice('game_date') }}
),

-- Each book's board at the cutoff.
boards as (
    select distinct
        game_id,
        player_id,
        market,
        book_id,
        board_fetched_at
    from quotes
),

-- The lines offered: on at least one board.
offered_lines as (
    select distinct
        game_date,
        game_id,
        player_id,
        market,
        line
    from quotes
    where is_on_board and not is_wrong_line
),

-- The market at open: each book's first main line ...
opening_main_lines as (
    select
        opening_lines.game_id,
        opening_lines.player_id,
        opening_lines.market,
        avg(opening_lines.opening_line) as opening_line
    from opening_lines
    inner join boards
        on
            opening_lines.game_id = boards.game_id
            and opening_lines.player_id = boards.player_id
            and opening_lines.market = boards.market
            and opening_lines.book_id = boards.book_id
            and opening_lines.opening_fetched_at <= boards.board_fetched_at
    group by opening_lines.game_id, opening_lines.player_id, opening_lines.market
),

-- ... and this line's fair probability when each book first quoted it (two-sided).
line_first_quotes as (
    select
        game_id,
        player_id,
        market,
        line,
        book_id,
        fair_prob_over,
        row_number() over (
            partition by game_id, player_id, market, line, book_id
            order by fetched_at asc, vendor asc
        ) as quote_rank
    from quotes
    where is_two_sided and not is_wrong_line
),

line_openings as (
    select
        game_id,
        player_id,
        market,
        line,
        -- On a 1e-12 grid, exact in any order (as in int_prop_line_prices).
        avg(round(fair_prob_over * 1e12)) / 1e12 as opening_market_prob_over
    from line_first_quotes
    where quote_rank = 1
    group by game_id, player_id, market, line
)

select
    offered_lines.game_date,
    offered_lines.game_id,
    offered_lines.player_id,
    offered_lines.market,
    offered_lines.line,
    opening_main_lines.opening_line,
    offered_lines.line - opening_main_lines.opening_line as line_move_from_open,
    line_openings.opening_market_prob_over
from offered_lines
left join opening_main_lines
    on
        offered_lines.game_id = opening_main_lines.game_id
        and offered_lines.player_id = opening_main_lines.player_id
        and offered_lines.market = opening_main_lines.market
left join line_openings
    on
        offered_lines.game_id = line_openings.game_id
        and offered_lines.player_id = line_openings.player_id
        and offered_lines.market = line_openings.market
        and offered_lines.line = line_openings.line
