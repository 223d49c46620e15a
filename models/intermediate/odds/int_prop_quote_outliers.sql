{#-
    Wrong lines that look valid: every prop quote (int_prop_odds_devigged's grain: one book's
    over/under pair for a player's line in one vendor snapshot) judged against the other books'
    consensus for the same game, player and market at the same snapshot window. Its peers are,
    for every other book, that book's snapshot fetched nearest the quote (within
    var wrong_line_window_minutes either side; ties: the later, then the vendor first by name),
    mapped, two-sided and of plausible price. Reasons, first that applies (thresholds per market
    in seed wrong_line_thresholds, its `*` row for a market not listed):
      implausible_price  - the two sides' implied probabilities sum outside
                           [min_implied_sum, max_implied_sum] (judged on the quote alone);
      line_off_consensus - the quote is its snapshot's main line (the most balanced) and sits
                           more than greatest(max_line_gap_points, max_line_gap_share *
                           |consensus line|) from the median of the peers' main lines;
      prob_off_consensus - its de-vigged P(over) differs by more than max_prob_gap from the
                           median of the peers' P(over) at the same line.
    A consensus needs min_peer_books peers (books quoting the line, for the probability): with
    fewer, or for an unmapped quote, the quote is not judged on it. Medians, not means, so one
    wrong peer among three does not move the consensus.
-#}
{{ config(**game_date_slices()) }}
{%- set window_minutes = var('wrong_line_window_minutes') -%}
{%- set quote_key = [
    'vendor', 'book_id', 'vendor_event_id', 'market', 'vendor_player_name', 'line', 'fetched_at',
] -%}

with

quotes as (
    select * from {{ ref('int_prop_odds_devigged') }}
    where {{ in_build_slice('game_date') }}
),

thresholds as (
    select * from {{ ref('wrong_line_thresholds') }}
),

judged_quotes as (
    select
        {%- for column in quote_key %}
            quotes.{{ column }},
        {%- endfor %}
        -- A row id for the joins below (one integer instead of the seven key columns). Ordered
        -- by the unique key: every reference to this CTE numbers the rows alike, even on an
        -- engine that evaluates a CTE once per reference (BigQuery).
        row_number() over (
            order by
                quotes.vendor, quotes.book_id, quotes.vendor_event_id, quotes.market,
                quotes.vendor_player_name, quotes.line, quotes.fetched_at
        ) as quote_id,
        quotes.game_date,
        quotes.game_id,
        quotes.player_id,
        quotes.is_two_sided,
        quotes.fair_prob_over,
        quotes.over_implied_prob + quotes.under_implied_prob as implied_prob_sum,
        coalesce(listed.max_line_gap_points, fallback.max_line_gap_points)
            as max_line_gap_points,
        coalesce(listed.max_line_gap_share, fallback.max_line_gap_share) as max_line_gap_share,
        coalesce(listed.max_prob_gap, fallback.max_prob_gap) as max_prob_gap,
        coalesce(listed.min_peer_books, fallback.min_peer_books) as min_peer_books,
        coalesce(
            quotes.is_two_sided
            and (
                quotes.over_implied_prob + quotes.under_implied_prob
                < coalesce(listed.min_implied_sum, fallback.min_implied_sum)
                or quotes.over_implied_prob + quotes.under_implied_prob
                > coalesce(listed.max_implied_sum, fallback.max_implied_sum)
            ),
            false
        ) as is_price_implausible,
        row_number() over (
            partition by
                quotes.vendor, quotes.book_id, quotes.vendor_event_id, quotes.market,
                quotes.vendor_player_name, quotes.fetched_at
            order by
                abs(quotes.over_implied_prob - quotes.under_implied_prob) asc nulls last,
                quotes.line asc
        ) = 1 as is_main_line
    from quotes
    left join thresholds as listed
        on quotes.market = listed.market_id
    left join thresholds as fallback
        on fallback.market_id = '*'
),

-- The quotes a consensus is made of: mapped, two-sided, of plausible price.
peers as (
    select
        game_id,
        player_id,
        market,
        book_id,
        vendor,
        fetched_at,
        line,
        is_main_line,
        fair_prob_over
    from judged_quotes
    where
        game_id is not null
        and player_id is not null
        and is_two_sided
        and not is_price_implausible
),

peer_quotes as (
    select
        judged.quote_id,
        judged.line,
        peers.book_id as peer_book_id,
        peers.line as peer_line,
        peers.is_main_line as peer_is_main_line,
        peers.fair_prob_over as peer_fair_prob_over,
        dense_rank() over (
            partition by judged.quote_id, peers.book_id
            order by
                abs({{ dbt.datediff('judged.fetched_at', 'peers.fetched_at', 'second') }}) asc,
                peers.fetched_at desc,
                peers.vendor asc
        ) as peer_snapshot_rank
    from judged_quotes as judged
    inner join peers
        on
            judged.game_id = peers.game_id
            and judged.player_id = peers.player_id
            and judged.market = peers.market
            and judged.book_id != peers.book_id
            and peers.fetched_at
            >= {{ dbt.dateadd('minute', -window_minutes, 'judged.fetched_at') }}
            and peers.fetched_at
            <= {{ dbt.dateadd('minute', window_minutes, 'judged.fetched_at') }}
),

-- One row per quote and peer book: the peer's main line, and its P(over) at the quote's line.
peer_books as (
    select
        quote_id,
        peer_book_id,
        max(case when peer_is_main_line then peer_line end) as peer_main_line,
        max(case when peer_line = line then peer_fair_prob_over end) as peer_fair_prob_at_line
    from peer_quotes
    where peer_snapshot_rank = 1
    group by quote_id, peer_book_id
),

ranked_peers as (
    select
        *,
        row_number() over (
            partition by quote_id
            order by peer_main_line asc nulls last
        ) as line_rank,
        count(peer_main_line) over (partition by quote_id) as line_books,
        row_number() over (
            partition by quote_id
            order by peer_fair_prob_at_line asc nulls last
        ) as prob_rank,
        count(peer_fair_prob_at_line) over (partition by quote_id) as prob_books
    from peer_books
),

-- Medians: the middle value, or the mean of the two middle values.
consensus as (
    select
        quote_id,
        max(line_books) as consensus_line_books,
        avg(
            case
                when line_rank between line_books / 2.0 and line_books / 2.0 + 1
                    then peer_main_line
            end
        ) as consensus_line,
        max(prob_books) as consensus_prob_books,
        avg(
            case
                when
                    prob_rank between prob_books / 2.0 and prob_books / 2.0 + 1
                    and peer_fair_prob_at_line is not null
                    then peer_fair_prob_at_line
            end
        ) as consensus_fair_prob_over
    from ranked_peers
    group by quote_id
),

judged as (
    select
        judged_quotes.*,
        coalesce(consensus.consensus_line_books, 0) as consensus_line_books,
        consensus.consensus_line,
        coalesce(consensus.consensus_prob_books, 0) as consensus_prob_books,
        consensus.consensus_fair_prob_over
    from judged_quotes
    left join consensus
        on judged_quotes.quote_id = consensus.quote_id
),

reasons as (
    select
        *,
        case
            when is_price_implausible then 'implausible_price'
            when
                is_main_line
                and consensus_line_books >= min_peer_books
                and abs(line - consensus_line)
                > greatest(max_line_gap_points, max_line_gap_share * abs(consensus_line))
                then 'line_off_consensus'
            when
                is_two_sided
                and consensus_prob_books >= min_peer_books
                and abs(fair_prob_over - consensus_fair_prob_over) > max_prob_gap
                then 'prob_off_consensus'
        end as wrong_line_reason
    from judged
)

select
    {%- for column in quote_key %}
        {{ column }},
    {%- endfor %}
    game_date,
    game_id,
    player_id,
    is_main_line,
    implied_prob_sum,
    consensus_line,
    consensus_line_books,
    consensus_fair_prob_over,
    consensus_prob_books,
    consensus_line_books >= min_peer_books or consensus_prob_books >= min_peer_books
        as is_judged_on_consensus,
    wrong_line_reason is not null as is_wrong_line,
    wrong_line_reason
from reasons
