{#-
    The ledger's entries before settlement: one row per placed bet, mapped to its game and
    player and matched to the recommendation it followed, if any, and one row per
    recommendation of the ledger's date span that no placed bet followed (skipped), each with
    its game's facts (postponed, final total) and the de-vigged closes of its line and side.
    The player is his name key's player as of the date (int_player_name_map); his game that
    date the one he was quoted in (int_prop_odds_opening_closing). A game total's game is
    found by date, home and away team (dim_game: the league schedule; an imported-only game
    is not matched). A bet follows a recommendation (fct_bet_recommendations.is_recommended)
    of the same date, game, subject (player, or the game for a total), market, line and side,
    at whatever book; the recommendation's stake is the run's staking policy's
    (fct_bet_stakes, macro recommendations_at_chosen_stake), recommended_staking the policy.
-#}
{{ config(tags=['phase_predictions']) }}

with

placed as (
    select * from {{ ref('stg_ledger__placed_bets') }}
),

-- Every entry (a placed bet, or a recommendation skipped in the span) is dated in the span:
-- the lines and closes are read for its dates only, not for the whole history.
ledger_span as (
    select
        min(game_date) as first_date,
        max(game_date) as last_date
    from placed
),

name_map as (
    select * from {{ ref('int_player_name_map') }}
    where player_id is not null
),

prop_lines as (
    select * from {{ ref('int_prop_odds_opening_closing') }}
    where
        game_date between (select ledger_span.first_date from ledger_span)
        and (select ledger_span.last_date from ledger_span)
),

games as (
    select * from {{ ref('dim_game') }}
),

recommendations as (
    {{ recommendations_at_chosen_stake() | indent(4) }}
),

total_closes as (
    select * from {{ ref('fct_game_total_odds') }}
    where
        line_type = 'close'
        and fair_prob_over is not null
        and game_date between (select ledger_span.first_date from ledger_span)
        and (select ledger_span.last_date from ledger_span)
),

player_games as (
    select distinct
        game_date,
        player_id,
        game_id
    from prop_lines
),

team_games as (
    select
        game_date,
        home_team_id,
        away_team_id,
        min(game_id) as game_id
    from games
    group by game_date, home_team_id, away_team_id
),

mapped as (
    select
        placed.*,
        placed.market = 'game_total' as is_game_total,
        name_map.player_id,
        coalesce(player_games.game_id, team_games.game_id) as game_id
    from placed
    left join name_map
        on
            placed.market != 'game_total'
            and placed.league = name_map.league
            and placed.player_name_key = name_map.player_name_key
            and placed.game_date >= name_map.valid_from
            and (name_map.valid_until is null or placed.game_date < name_map.valid_until)
    left join player_games
        on
            placed.game_date = player_games.game_date
            and name_map.player_id = player_games.player_id
    left join team_games
        on
            placed.market = 'game_total'
            and placed.game_date = team_games.game_date
            and placed.home_team_id = team_games.home_team_id
            and placed.away_team_id = team_games.away_team_id
),

matched as (
    select
        mapped.*,
        recommendations.book_id as recommended_book_id,
        recommendations.price_decimal as recommended_price_decimal,
        recommendations.side_prob as recommended_side_prob,
        recommendations.ev as recommended_ev,
        recommendations.chosen_stake as recommended_stake,
        recommendations.staking as recommended_staking,
        recommendations.model_version,
        recommendations.game_id is not null as is_matched,
        case
            when recommendations.game_id is not null then 'matched'
            when mapped.market is null then 'market_unknown'
            when not mapped.is_game_total and mapped.player_id is null then 'player_unknown'
            when mapped.game_id is null then 'game_unknown'
            else 'not_recommended'
        end as match_status
    from mapped
    left join recommendations
        on
            mapped.game_date = recommendations.game_date
            and mapped.game_id = recommendations.game_id
            and coalesce(mapped.player_id, mapped.game_id) = recommendations.subject_id
            and mapped.market = recommendations.market
            and mapped.line = recommendations.line
            and mapped.side = recommendations.side
),

followed as (
    select distinct
        game_id,
        coalesce(player_id, game_id) as subject_id,
        market,
        line,
        side
    from matched
    where is_matched
),

skipped as (
    select recommendations.*
    from recommendations
    inner join ledger_span
        on recommendations.game_date between ledger_span.first_date and ledger_span.last_date
    left join followed
        on
            recommendations.game_id = followed.game_id
            and recommendations.subject_id = followed.subject_id
            and recommendations.market = followed.market
            and recommendations.line = followed.line
            and recommendations.side = followed.side
    where followed.game_id is null
),

entries as (
    select
        bet_hash as ledger_entry_id,
        case when is_matched then 'taken' else 'not_recommended' end as entry_status,
        true as is_placed,
        is_matched,
        match_status,
        bet_hash,
        bet_id,
        league,
        game_date,
        game_id,
        player_id,
        is_game_total,
        market,
        subject,
        side,
        line,
        book_id,
        vendor_book,
        price_decimal,
        price_american,
        stake,
        recommended_book_id,
        recommended_price_decimal,
        recommended_side_prob,
        recommended_ev,
        recommended_stake,
        model_version,
        recommended_staking
    from matched
    union all
    select
        'skipped:' || game_id || ':' || subject_id || ':' || market || ':'
        || cast(line as {{ dbt.type_string() }}) as ledger_entry_id,
        'skipped' as entry_status,
        false as is_placed,
        false as is_matched,
        'skipped' as match_status,
        cast(null as {{ dbt.type_string() }}) as bet_hash,
        cast(null as {{ dbt.type_string() }}) as bet_id,
        cast(null as {{ dbt.type_string() }}) as league,
        game_date,
        game_id,
        player_id,
        market = 'game_total' as is_game_total,
        market,
        cast(null as {{ dbt.type_string() }}) as subject,
        side,
        line,
        book_id,
        cast(null as {{ dbt.type_string() }}) as vendor_book,
        price_decimal,
        price_american,
        cast(null as {{ type_double() }}) as stake,
        book_id as recommended_book_id,
        price_decimal as recommended_price_decimal,
        side_prob as recommended_side_prob,
        ev as recommended_ev,
        chosen_stake as recommended_stake,
        model_version,
        staking as recommended_staking
    from skipped
),

side_closes as (
    -- each book's de-vigged close of a line, one row per side with its closing price
    select
        game_id,
        player_id as subject_id,
        market,
        closing_line as line,
        'over' as side,
        book_id,
        closing_fair_prob_over as side_prob_close,
        {{ american_to_decimal('closing_over_price_american') }} as close_price_decimal
    from prop_lines
    where is_closing_final and closing_fair_prob_over is not null
    union all
    select
        game_id,
        player_id as subject_id,
        market,
        closing_line as line,
        'under' as side,
        book_id,
        1.0 - closing_fair_prob_over as side_prob_close,
        {{ american_to_decimal('closing_under_price_american') }} as close_price_decimal
    from prop_lines
    where is_closing_final and closing_fair_prob_over is not null
    union all
    select
        game_id,
        game_id as subject_id,
        'game_total' as market,
        line,
        'over' as side,
        lower(book) as book_id,
        fair_prob_over as side_prob_close,
        over_price_decimal as close_price_decimal
    from total_closes
    union all
    select
        game_id,
        game_id as subject_id,
        'game_total' as market,
        line,
        'under' as side,
        lower(book) as book_id,
        fair_prob_under as side_prob_close,
        under_price_decimal as close_price_decimal
    from total_closes
),

best_closes as (
    -- the book with the best closing price for the side (ties: the first book id)
    select *
    from (
        select
            *,
            row_number() over (
                partition by game_id, subject_id, market, line, side
                order by close_price_decimal desc, book_id asc
            ) as price_rank
        from side_closes
    ) as ranked
    where price_rank = 1
)

select
    entries.*,
    upper(coalesce(entries.league, games.league)) as game_league,
    coalesce(games.is_postponed, false) as is_postponed,
    coalesce(games.is_final, false) as is_game_final,
    games.total_score,
    same_book.side_prob_close as side_prob_close_book,
    same_book.close_price_decimal as close_price_decimal_book,
    best_book.book_id as best_close_book_id,
    best_book.side_prob_close as side_prob_close_best_book,
    best_book.close_price_decimal as close_price_decimal_best_book
from entries
left join games
    on entries.game_id = games.game_id
{#- the same book's close, then the best book's: one join key, the book only for the first #}
{%- for alias, closes in [('same_book', 'side_closes'), ('best_book', 'best_closes')] %}
    left join {{ closes }} as {{ alias }}
        on
            entries.game_id = {{ alias }}.game_id
            and coalesce(entries.player_id, entries.game_id) = {{ alias }}.subject_id
            and entries.market = {{ alias }}.market
            and entries.line = {{ alias }}.line
            and entries.side = {{ alias }}.side
            {%- if alias == 'same_book' %}
                and entries.book_id = {{ alias }}.book_id
            {%- endif %}
{%- endfor %}
