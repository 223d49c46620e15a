{#-
    Odds coverage per game_date x vendor x book: the lines a book offered (through a vendor)
    against the games scheduled and the players expected to play. Scheduled: the date's games
    not postponed (int_team_game_defense_asof keeps int_team_games' grain: one row per team per
    game, with the team's latest final game before the date). Expected, as of the date: the
    players who played (have a boxscore) for either team in that team's most recent final game
    before game_date. Offered: quoted before the game's start, any snapshot up to the run's
    cutoff, any market. A vendor x book gets a row for every date with games or quotes on which
    it quoted anything in the 7 days up to the date, so a feed that stops shows 0 coverage
    instead of vanishing. Dates up to the run date (future slates have no odds yet).
    Wrong lines: the book's quotes (over/under pairs, every snapshot) the vendor sent that
    int_prop_quote_outliers flagged, in all and per reason.
-#}
{{ config(tags=['phase_analytics'], **game_date_slices()) }}
{%- set pair_lookback_days = 7 -%}
{%- set incremental_run = this is not none and is_incremental() -%}

with

-- The quotes of the slices plus the lookback that decides which vendor x book pairs get rows.
quotes as (
    select * from {{ ref('int_prop_odds_mapped') }}
    where
        {% if incremental_run -%}
            game_date >= {{ dbt.dateadd('day', -pair_lookback_days, build_slice_start()) }}
        {%- else -%}
            true
        {%- endif %}
        and game_date <= {{ pricing_run_date() }}
),

team_games as (
    select * from {{ ref('int_team_game_defense_asof') }}
    where
        {{ in_build_slice('game_date') }}
        and game_date <= {{ pricing_run_date() }}
),

player_games as (
    select * from {{ ref('int_player_game_features_asof') }}
    where has_boxscore
),

slice_quotes as (
    select * from quotes
    where {{ in_build_slice('game_date') }}
),

wrong_lines as (
    select * from {{ ref('int_prop_quote_outliers') }}
    where
        {{ in_build_slice('game_date') }}
        and game_date <= {{ pricing_run_date() }}
        and is_wrong_line
),

wrong_lines_counted as (
    select
        game_date,
        vendor,
        book_id,
        count(*) as wrong_lines_flagged,
        sum(case when wrong_line_reason = 'implausible_price' then 1 else 0 end)
            as wrong_lines_implausible_price,
        sum(case when wrong_line_reason = 'line_off_consensus' then 1 else 0 end)
            as wrong_lines_line_off_consensus,
        sum(case when wrong_line_reason = 'prob_off_consensus' then 1 else 0 end)
            as wrong_lines_prob_off_consensus
    from wrong_lines
    group by game_date, vendor, book_id
),

scheduled_games as (
    select distinct
        game_id,
        game_date
    from team_games
),

games_per_date as (
    select
        game_date,
        count(*) as games_scheduled
    from scheduled_games
    group by game_date
),

expected_players as (
    select distinct
        team_games.game_date,
        team_games.game_id,
        player_games.player_id
    from team_games
    inner join player_games
        on
            team_games.team_id = player_games.team_id
            and team_games.defense_through_date = player_games.game_date
),

players_per_date as (
    select
        game_date,
        count(*) as players_expected
    from expected_players
    group by game_date
),

dates as (
    select game_date from games_per_date
    union all
    select distinct game_date from slice_quotes
),

vendor_books_per_date as (
    select distinct
        game_date,
        vendor,
        book_id
    from quotes
),

rows_wanted as (
    select distinct
        dates.game_date,
        vendor_books_per_date.vendor,
        vendor_books_per_date.book_id
    from dates
    inner join vendor_books_per_date
        on
            dates.game_date >= vendor_books_per_date.game_date
            and {{ dbt.dateadd('day', -pair_lookback_days, 'dates.game_date') }}
            <= vendor_books_per_date.game_date
),

offers as (
    select
        slice_quotes.game_date,
        slice_quotes.vendor,
        slice_quotes.book_id,
        scheduled_games.game_id as scheduled_game_id,
        expected_players.player_id as expected_player_id,
        case
            when slice_quotes.player_id is not null and expected_players.player_id is null
                then slice_quotes.player_id
        end as other_player_id,
        coalesce(slice_quotes.game_id, slice_quotes.vendor_event_id)
        || '|' || coalesce(slice_quotes.player_id, slice_quotes.vendor_player_name)
        || '|' || slice_quotes.market
        || '|' || cast(slice_quotes.line as {{ dbt.type_string() }}) as line_key
    from slice_quotes
    left join scheduled_games
        on slice_quotes.game_id = scheduled_games.game_id
    left join expected_players
        on
            slice_quotes.game_id = expected_players.game_id
            and slice_quotes.player_id = expected_players.player_id
    where
        slice_quotes.game_start_utc is null
        or slice_quotes.fetched_at < slice_quotes.game_start_utc
),

offered as (
    select
        game_date,
        vendor,
        book_id,
        count(distinct scheduled_game_id) as games_offered,
        count(distinct expected_player_id) as players_offered,
        count(distinct other_player_id) as players_offered_not_expected,
        count(distinct line_key) as lines_offered
    from offers
    group by game_date, vendor, book_id
),

counted as (
    select
        rows_wanted.game_date,
        rows_wanted.vendor,
        rows_wanted.book_id,
        coalesce(games_per_date.games_scheduled, 0) as games_scheduled,
        coalesce(offered.games_offered, 0) as games_offered,
        coalesce(players_per_date.players_expected, 0) as players_expected,
        coalesce(offered.players_offered, 0) as players_offered,
        coalesce(offered.lines_offered, 0) as lines_offered,
        coalesce(offered.players_offered_not_expected, 0) as players_offered_not_expected,
        coalesce(wrong_lines_counted.wrong_lines_flagged, 0) as wrong_lines_flagged,
        coalesce(wrong_lines_counted.wrong_lines_implausible_price, 0)
            as wrong_lines_implausible_price,
        coalesce(wrong_lines_counted.wrong_lines_line_off_consensus, 0)
            as wrong_lines_line_off_consensus,
        coalesce(wrong_lines_counted.wrong_lines_prob_off_consensus, 0)
            as wrong_lines_prob_off_consensus
    from rows_wanted
    left join games_per_date
        on rows_wanted.game_date = games_per_date.game_date
    left join players_per_date
        on rows_wanted.game_date = players_per_date.game_date
    left join offered
        on
            rows_wanted.game_date = offered.game_date
            and rows_wanted.vendor = offered.vendor
            and rows_wanted.book_id = offered.book_id
    left join wrong_lines_counted
        on
            rows_wanted.game_date = wrong_lines_counted.game_date
            and rows_wanted.vendor = wrong_lines_counted.vendor
            and rows_wanted.book_id = wrong_lines_counted.book_id
)

select
    game_date,
    vendor,
    book_id,
    games_scheduled,
    games_offered,
    players_expected,
    players_offered,
    lines_offered,
    cast(games_offered as {{ type_double() }}) / nullif(games_scheduled, 0) as game_coverage,
    cast(players_offered as {{ type_double() }}) / nullif(players_expected, 0) as player_coverage,
    players_offered_not_expected,
    cast(wrong_lines_flagged as {{ dbt.type_bigint() }}) as wrong_lines_flagged,
    cast(wrong_lines_implausible_price as {{ dbt.type_bigint() }})
        as wrong_lines_implausible_price,
    cast(wrong_lines_line_off_consensus as {{ dbt.type_bigint() }})
        as wrong_lines_line_off_consensus,
    cast(wrong_lines_prob_off_consensus as {{ dbt.type_bigint() }})
        as wrong_lines_prob_off_consensus
from counted
