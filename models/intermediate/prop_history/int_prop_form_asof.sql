{#-
    Per player, market and game of int_prop_player_game_results: the player's form in that
    market as known before the game's date, from the history of actual_value alone (no box
    scores). Means over his previous 5 and 10 settled games, their standard deviation (10),
    the season-to-date mean and count, games before, days of rest. Only games of strictly
    earlier dates feed a row (a player has one game per date). The season starts on July 1.
    The game's name, teams and own actual_value ride along (the outcome, never a feature).
-#}
with

results as (
    select
        *,
        extract(year from {{ dbt.dateadd('month', -6, 'game_date') }}) as season
    from {{ ref('int_prop_player_game_results') }}
),

-- Each settled game with the player's form through it (itself included).
settled_through as (
    select
        league,
        player_name_key,
        market,
        season,
        game_date as through_date,
        row_number() over player_games as settled_seq,
        avg(actual_value) over last_5 as form_avg_5,
        avg(actual_value) over last_10 as form_avg_10,
        stddev_samp(actual_value) over last_10 as form_std_10,
        avg(actual_value) over season_to_date as season_avg,
        count(*) over season_to_date as season_games
    from results
    where is_settled
    window
        player_games as (
            partition by league, player_name_key, market order by game_date
        ),
        last_5 as (
            partition by league, player_name_key, market order by game_date
            rows between 4 preceding and current row
        ),
        last_10 as (
            partition by league, player_name_key, market order by game_date
            rows between 9 preceding and current row
        ),
        season_to_date as (
            partition by league, player_name_key, market, season order by game_date
            rows between unbounded preceding and current row
        )
),

-- Rows of a player and market are one per date: "preceding rows" are earlier dates.
positioned as (
    select
        *,
        cast(row_number() over player_games - 1 as {{ dbt.type_bigint() }}) as games_before,
        cast(coalesce(
            count(actual_value) over (
                partition by league, player_name_key, market order by game_date
                rows between unbounded preceding and 1 preceding
            ), 0
        ) as {{ dbt.type_bigint() }}) as prior_settled_games
    from results
    window player_games as (
        partition by league, player_name_key, market order by game_date
    )
),

player_dates as (
    select distinct
        league,
        player_name_key,
        game_date
    from results
),

rest as (
    select
        league,
        player_name_key,
        game_date,
        lag(game_date) over (
            partition by league, player_name_key order by game_date
        ) as previous_game_date
    from player_dates
)

select
    positioned.league,
    positioned.player_name_key,
    positioned.market,
    positioned.game_date,
    positioned.season,
    positioned.games_before,
    positioned.prior_settled_games,
    settled_through.through_date as form_through_date,
    settled_through.form_avg_5,
    settled_through.form_avg_10,
    settled_through.form_std_10,
    case
        when settled_through.season = positioned.season then settled_through.season_avg
    end as season_avg,
    cast(case
        when settled_through.season = positioned.season then settled_through.season_games
        else 0
    end as {{ dbt.type_bigint() }}) as season_games,
    rest.previous_game_date,
    cast(
        {{ dbt.datediff('rest.previous_game_date', 'positioned.game_date', 'day') }}
        as {{ dbt.type_bigint() }}
    ) as rest_days,
    positioned.player_name,
    positioned.team_id,
    positioned.team,
    positioned.opponent_team_id,
    positioned.actual_value,
    positioned.is_settled
from positioned
inner join rest
    on
        positioned.league = rest.league
        and positioned.player_name_key = rest.player_name_key
        and positioned.game_date = rest.game_date
left join settled_through
    on
        positioned.league = settled_through.league
        and positioned.player_name_key = settled_through.player_name_key
        and positioned.market = settled_through.market
        and positioned.prior_settled_games = settled_through.settled_seq
