-- The best line never uses a quote fetched at or after the game's start, nor a book that is
-- not bettable. Returns offending best-line rows.

with

best_lines as (
    select * from {{ ref('int_prop_odds_best_line') }}
),

games as (
    select * from {{ ref('dim_game') }}
),

sportsbooks as (
    select * from {{ ref('sportsbooks') }}
)

select
    best_lines.game_id,
    best_lines.player_id,
    best_lines.market,
    best_lines.line,
    best_lines.side,
    best_lines.as_of,
    best_lines.best_book_id,
    best_lines.best_quote_fetched_at,
    games.start_time_utc
from best_lines
left join games
    on best_lines.game_id = games.game_id
left join sportsbooks
    on best_lines.best_book_id = sportsbooks.book_id
where
    best_lines.best_quote_fetched_at >= games.start_time_utc
    or best_lines.as_of >= games.start_time_utc
    or not coalesce(sportsbooks.bettable, false)
