{#-
    Per game: the consensus closing and opening totals across books. The consensus line is
    the line most books quote (the mode of one row per book); on a tie, the lower line. At
    the closing line: the best American price of each side across books (the highest, i.e.
    the best payout), the de-vigged P(over) averaged over the books quoting it, whether any
    price used was assumed (-110), and the number of books. Games without a closing line
    have no row.
-#}
with

quotes as (
    select * from {{ ref('int_game_total_quotes') }}
),

line_counts as (
    select
        game_id,
        line_type,
        line,
        count(*) as book_count
    from quotes
    group by game_id, line_type, line
),

consensus as (
    select
        game_id,
        line_type,
        line,
        book_count,
        row_number() over (
            partition by game_id, line_type
            order by book_count desc, line asc
        ) as consensus_rank
    from line_counts
),

closing as (
    select
        quotes.game_id,
        quotes.league,
        quotes.game_date,
        quotes.home_team_id,
        quotes.away_team_id,
        consensus.line,
        consensus.book_count,
        max(quotes.over_price_american) as over_price,
        max(quotes.under_price_american) as under_price,
        avg(quotes.fair_prob_over) as market_prob_over,
        max(case when quotes.prices_assumed then 1 else 0 end) = 1 as prices_assumed
    from quotes
    inner join consensus
        on
            quotes.game_id = consensus.game_id
            and quotes.line_type = consensus.line_type
            and quotes.line = consensus.line
            and consensus.consensus_rank = 1
    where quotes.line_type = 'close'
    group by
        quotes.game_id,
        quotes.league,
        quotes.game_date,
        quotes.home_team_id,
        quotes.away_team_id,
        consensus.line,
        consensus.book_count
),

opening as (
    select
        game_id,
        line as open_line,
        book_count as open_book_count
    from consensus
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
from closing
left join opening
    on closing.game_id = opening.game_id
