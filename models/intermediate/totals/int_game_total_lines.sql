{#-
    Per game: the consensus closing and opening totals across books, and the priced one (the
    books' boards at the pricing cutoff, int_vendor_game_total_quotes). The consensus line is
    the line most books quote (the mode of one row per book); on a tie, the lower line. At
    each consensus line: the best American price of each side across books (the highest, i.e.
    the best payout), the de-vigged P(over) averaged over the books quoting it, whether any
    price used was assumed (-110), and the number of books; at the priced line also the best
    bettable price of each side in decimal with its book (what a bet is placed at) and the
    latest snapshot quoting it. Games without a closing line have no row. The consensus rule
    is macro consensus_line_ctes (shared with imported props).
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
),

priced as (
    select * from at_consensus
    where line_type = 'priced'
),

priced_quotes as (
    select quotes.*
    from quotes
    inner join priced
        on
            quotes.game_id = priced.game_id
            and quotes.line = priced.line
    where quotes.line_type = 'priced'
),

priced_snapshots as (
    select
        game_id,
        max(fetched_at) as priced_fetched_at
    from priced_quotes
    group by game_id
),

{{ best_side_price_ctes('priced_quotes', ['game_id'], book='book') }},

closing as (
    select * from at_consensus
    where line_type = 'close'
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
    opening.open_book_count,
    {{ pricing_cutoff_utc('closing.game_date') }} as pricing_cutoff_utc,
    priced_snapshots.priced_fetched_at,
    priced.line as priced_line,
    priced.over_price as priced_over_price,
    priced.under_price as priced_under_price,
    priced.market_prob_over as priced_market_prob_over,
    priced.book_count as priced_book_count,
    {{ best_side_price_columns() }}
from closing
left join opening
    on closing.game_id = opening.game_id
left join priced
    on closing.game_id = priced.game_id
left join priced_snapshots
    on closing.game_id = priced_snapshots.game_id
{%- for side in ['over', 'under'] %}
    left join best_{{ side }}
        on
            closing.game_id = best_{{ side }}.game_id
            and best_{{ side }}.price_rank = 1
{%- endfor %}
