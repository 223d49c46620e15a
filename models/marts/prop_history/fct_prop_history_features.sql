{#-
    One row per (league, game_date, player_name_key, market) with a consensus line of
    imported props, i.e. per (league, game_date, player_name_key, market, line): what the
    props predictor and the backtest read (docs/imports.md). The consensus close and open
    lines, the best prices, the market's de-vigged P(over), the player's form in the market
    from actual_value alone as of the game's date (only earlier dates), and the outcome.
-#}
with

lines as (
    select * from {{ ref('int_prop_consensus_lines') }}
),

form as (
    select * from {{ ref('int_prop_form_asof') }}
),

joined as (
    select
        lines.league,
        lines.game_date,
        lines.player_name_key,
        form.player_name,
        form.team_id,
        form.team,
        form.opponent_team_id,
        lines.market,
        lines.line,
        lines.open_line,
        lines.line_move,
        lines.over_price,
        lines.under_price,
        lines.market_prob_over,
        lines.open_over_price,
        lines.open_under_price,
        lines.open_market_prob_over,
        lines.prices_assumed,
        lines.book_count,
        lines.open_book_count,
        form.form_avg_5,
        form.form_avg_10,
        form.form_std_10,
        form.season_avg,
        form.season_games,
        form.games_before,
        form.prior_settled_games,
        form.rest_days,
        form.form_through_date,
        form.actual_value
    from lines
    inner join form
        on
            lines.league = form.league
            and lines.player_name_key = form.player_name_key
            and lines.market = form.market
            and lines.game_date = form.game_date
)

select
    *,
    actual_value = line as is_push,
    case when actual_value != line then actual_value > line end as went_over
from joined
