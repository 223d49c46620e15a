{#-
    Opening and closing line per (game, player, market, book): the book's first snapshot of the
    player's market, and its last snapshot fetched before the game's start. When a snapshot
    offers several lines, its main line is the most balanced one (over and under implied
    probabilities closest), then the lower line.
    The closing line is final once the game is (status final); before that it is only the
    latest quote so far, and it is never an input to pricing the same game.
    A quote flagged as a wrong line (int_prop_quote_outliers) neither opens nor closes: the
    opening and closing are the book's first and last snapshots with an unflagged quote.
-#}
{{ config(**game_date_slices()) }}

with

devigged as (
    select * from {{ ref('int_prop_odds_devigged') }}
    where
        {{ in_build_slice('game_date') }}
        and game_id is not null
        and player_id is not null
        and is_two_sided
        and fetched_at < game_start_utc
),

wrong_lines as (
    select * from {{ ref('int_prop_quote_outliers') }}
    where
        {{ in_build_slice('game_date') }}
        and is_wrong_line
),

quotes as (
    select devigged.*
    from devigged
    left join wrong_lines
        on {{ join_on_quote_snapshot('devigged', 'wrong_lines') }}
    where wrong_lines.vendor is null
),

-- One row per game not postponed (its home side); a postponed game's closing is never final.
games as (
    select * from {{ ref('int_team_games') }}
    where is_home
),

snapshot_bounds as (
    select
        game_date,
        game_id,
        player_id,
        market,
        book_id,
        min(fetched_at) as opening_fetched_at,
        max(fetched_at) as closing_fetched_at,
        count(distinct fetched_at) as snapshot_count
    from quotes
    group by game_date, game_id, player_id, market, book_id
),

main_lines as (
    select
        *,
        row_number() over (
            partition by game_id, player_id, market, book_id, fetched_at
            order by abs(over_implied_prob - under_implied_prob), line, vendor
        ) as line_rank
    from quotes
),

{%- for end in ['opening', 'closing'] %}

    {{ end }} as (
        select main_lines.*
        from main_lines
        inner join snapshot_bounds
            on
                main_lines.game_id = snapshot_bounds.game_id
                and main_lines.player_id = snapshot_bounds.player_id
                and main_lines.market = snapshot_bounds.market
                and main_lines.book_id = snapshot_bounds.book_id
                and main_lines.fetched_at = snapshot_bounds.{{ end }}_fetched_at
        where main_lines.line_rank = 1
    ){{ ',' if not loop.last }}
{%- endfor %}

select
    snapshot_bounds.game_date,
    snapshot_bounds.game_id,
    snapshot_bounds.player_id,
    snapshot_bounds.market,
    snapshot_bounds.book_id,
    snapshot_bounds.snapshot_count,
    {%- for end in ['opening', 'closing'] %}
        snapshot_bounds.{{ end }}_fetched_at,
        {{ end }}.line as {{ end }}_line,
        {{ end }}.over_price_american as {{ end }}_over_price_american,
        {{ end }}.under_price_american as {{ end }}_under_price_american,
        {{ end }}.fair_prob_over as {{ end }}_fair_prob_over,
    {%- endfor %}
    closing.line - opening.line as line_movement,
    coalesce(games.status = 'final', false) as is_closing_final
from snapshot_bounds
left join games
    on snapshot_bounds.game_id = games.game_id
{%- for end in ['opening', 'closing'] %}
    inner join {{ end }}
        on
            snapshot_bounds.game_id = {{ end }}.game_id
            and snapshot_bounds.player_id = {{ end }}.player_id
            and snapshot_bounds.market = {{ end }}.market
            and snapshot_bounds.book_id = {{ end }}.book_id
{%- endfor %}
