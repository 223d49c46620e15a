{#-
    One row per game with a closing total (docs/imports.md, the predictor's and the
    backtest's input): the line the model prices with the market's de-vigged P(over) there,
    the consensus open and close, both teams' scoring as of the game's date (only games
    strictly before), and the outcome as books settle it. The priced line is the consensus of
    the books' boards at the pricing cutoff (int_game_total_lines), the snapshot props are
    priced at, with the best bettable price of each side: a game the odds vendors quote is
    trained and scored as of the cutoff, never on the close it could not have seen. A game
    known from imported closes alone is priced at its close, with no bettable price.
-#}
with

lines as (
    select * from {{ ref('int_game_total_lines') }}
),

team_scoring as (
    select * from {{ ref('int_team_game_scoring_asof') }}
),

home as (
    select * from team_scoring
    where is_home
),

away as (
    select * from team_scoring
    where not is_home
),

joined as (
    select
        lines.game_id,
        lines.league,
        lines.game_date,
        lines.home_team_id,
        lines.away_team_id,
        'game_total' as market,
        lines.priced_line is not null as is_priced_at_cutoff,
        coalesce(lines.priced_line, lines.line) as line,
        lines.line as closing_line,
        lines.market_prob_over as closing_market_prob_over,
        lines.open_line,
        coalesce(lines.priced_line, lines.line) - lines.open_line as line_move,
        {%- for column in ['over_price', 'under_price', 'market_prob_over', 'book_count'] %}
            case
                when lines.priced_line is not null then lines.priced_{{ column }}
                else lines.{{ column }}
            end as {{ column }},
        {%- endfor %}
        -- the vendors send both prices: only an imported close can have assumed ones
        case
            when lines.priced_line is null then lines.prices_assumed else false
        end as prices_assumed,
        lines.pricing_cutoff_utc,
        lines.priced_fetched_at,
        lines.best_over_price_decimal,
        lines.best_over_price_american,
        lines.best_over_book_id,
        lines.best_under_price_decimal,
        lines.best_under_price_american,
        lines.best_under_book_id,
        home.pts_for_avg_5 as home_pts_for_avg_5,
        home.pts_for_avg_10 as home_pts_for_avg_10,
        home.pts_against_avg_5 as home_pts_against_avg_5,
        home.pts_against_avg_10 as home_pts_against_avg_10,
        away.pts_for_avg_5 as away_pts_for_avg_5,
        away.pts_for_avg_10 as away_pts_for_avg_10,
        away.pts_against_avg_5 as away_pts_against_avg_5,
        away.pts_against_avg_10 as away_pts_against_avg_10,
        home.total_avg_10 as home_total_avg_10,
        away.total_avg_10 as away_total_avg_10,
        home.games_before as home_games_before,
        away.games_before as away_games_before,
        home.rest_days as home_rest_days,
        away.rest_days as away_rest_days,
        home.is_b2b as home_b2b,
        away.is_b2b as away_b2b,
        home.league_total_avg_30d,
        cast(case when home.is_final then home.total_score end as {{ dbt.type_bigint() }})
            as actual_total
    from lines
    inner join home
        on lines.game_id = home.game_id
    inner join away
        on lines.game_id = away.game_id
)

select
    *,
    actual_total = line as is_push,
    case when actual_total != line then actual_total > line end as went_over
from joined
