{#-
    Best price across bettable books per (game, player, market, line, side) as of every
    snapshot time. At time t a book's board is its latest snapshot of that player's market
    fetched at or before t (across vendors); only the quotes on that board count, so a
    superseded quote, or a line the book has since moved off, is ignored. Quotes fetched at or
    after the game's start are not offers. A quote flagged as a wrong line
    (int_prop_quote_outliers) still makes its book's board (the book has moved off its older
    quotes) but never wins nor counts: it stays in fct_prop_odds, flagged.
-#}
{{ config(**game_date_slices()) }}

with

quotes as (
    select * from {{ ref('int_prop_odds_mapped') }}
    where {{ in_build_slice('game_date') }}
),

wrong_lines as (
    select * from {{ ref('int_prop_quote_outliers') }}
    where
        {{ in_build_slice('game_date') }}
        and is_wrong_line
),

bettable_quotes as (
    select
        quotes.game_date,
        quotes.game_id,
        quotes.player_id,
        quotes.market,
        quotes.line,
        quotes.side,
        quotes.book_id,
        quotes.vendor,
        quotes.fetched_at,
        quotes.price_american,
        quotes.price_decimal,
        quotes.implied_prob,
        wrong_lines.vendor is not null as is_wrong_line
    from quotes
    left join wrong_lines
        on {{ join_on_quote_snapshot('quotes', 'wrong_lines') }}
    where
        quotes.is_bettable_book
        and quotes.game_id is not null
        and quotes.player_id is not null
        and quotes.fetched_at < quotes.game_start_utc
),

snapshot_times as (
    select distinct
        game_date,
        game_id,
        player_id,
        market,
        fetched_at as as_of
    from bettable_quotes
),

book_snapshots as (
    select distinct
        game_id,
        player_id,
        market,
        book_id,
        fetched_at
    from bettable_quotes
),

boards as (
    select
        snapshot_times.game_date,
        snapshot_times.game_id,
        snapshot_times.player_id,
        snapshot_times.market,
        snapshot_times.as_of,
        book_snapshots.book_id,
        max(book_snapshots.fetched_at) as board_fetched_at
    from snapshot_times
    inner join book_snapshots
        on
            snapshot_times.game_id = book_snapshots.game_id
            and snapshot_times.player_id = book_snapshots.player_id
            and snapshot_times.market = book_snapshots.market
            and snapshot_times.as_of >= book_snapshots.fetched_at
    group by
        snapshot_times.game_date,
        snapshot_times.game_id,
        snapshot_times.player_id,
        snapshot_times.market,
        snapshot_times.as_of,
        book_snapshots.book_id
),

current_quotes as (
    select
        boards.as_of,
        bettable_quotes.*
    from boards
    inner join bettable_quotes
        on
            boards.game_id = bettable_quotes.game_id
            and boards.player_id = bettable_quotes.player_id
            and boards.market = bettable_quotes.market
            and boards.book_id = bettable_quotes.book_id
            and boards.board_fetched_at = bettable_quotes.fetched_at
),

ranked as (
    select
        *,
        row_number() over (
            partition by game_id, player_id, market, line, side, as_of
            order by price_decimal desc, fetched_at desc, book_id asc, vendor asc
        ) as price_rank,
        count(distinct book_id) over (
            partition by game_id, player_id, market, line, side, as_of
        ) as books_quoting
    from current_quotes
    where not is_wrong_line
)

select
    game_date,
    game_id,
    player_id,
    market,
    line,
    side,
    as_of,
    book_id as best_book_id,
    vendor as best_vendor,
    fetched_at as best_quote_fetched_at,
    price_american as best_price_american,
    price_decimal as best_price_decimal,
    implied_prob as best_implied_prob,
    books_quoting
from ranked
where price_rank = 1
