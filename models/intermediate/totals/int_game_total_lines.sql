{#-
    Per game: the consensus closing and opening totals across books. The consensus line is
    the line most books quote (the mode of one row per book); on a tie, the lower line. At
    the closing line: the best American price of each side across books (the highest, i.e.
    the best payout), the de-vigged P(over) averaged over the books quoting it, whether any
    price used was assumed (-110), and the number of books. Games without a closing line
    have no row. The consensus rule is macro consensus_line_ctes (shared with imported props).
-#}
with

quotes as (
    select * from {{ ref('int_game_total_quotes') }}
),

{{ consensus_line_ctes(
    'quotes',
    ['game_id', 'line_type'],
    carry=['league', 'game_date', 'home_team_id', 'away_team_id'],
) }},

opening as (
    select
        game_id,
        line as open_line,
        book_count as open_book_count
    from consensus_lines
    where
        line_type = 'open'
        and consensus_rank = 1
)

select
    closing.game_id,
    closing.league,
    closing.game_date,
    closing.home_team_id,
    closing.away_team_id,
    closing.line,
    opening.open_line,
    closing.line - opening.open_line as line_move,
    closing.over_price,
    closing.under_price,
    closing.market_prob_over,
    closing.prices_assumed,
    closing.book_count,
    opening.open_book_count
from at_consensus as closing
left join opening
    on closing.game_id = opening.game_id
where closing.line_type = 'close'
