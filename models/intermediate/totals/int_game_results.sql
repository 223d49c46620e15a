{#-
    One row per game: the league schedule's games (not postponed) and the imported games the
    schedule does not have. The schedule wins when it has the same league, date, home and
    away: its game_id, and its final scores once final (an imported score fills a schedule
    game that is not final yet). An imported game's id is
    `<league>-<yyyymmdd>-<home code>-<away code>`; its scores are those of its latest load
    with both. Imported rows whose teams do not map are left out (visible in staging).
-#}
with

schedule as (
    select * from {{ ref('stg_league__schedule') }}
    where
        status != 'postponed'
        and home_team_id is not null
        and away_team_id is not null
),

imported_rows as (
    select * from {{ ref('int_imported_game_total_quotes') }}
    where
        home_team_id is not null
        and away_team_id is not null
),

imported_scores as (
    select
        league,
        game_date,
        home_team_id,
        away_team_id,
        home_score,
        away_score,
        row_number() over (
            partition by league, game_date, home_team_id, away_team_id
            order by loaded_at desc, payload_sha256 desc, source_row_number desc
        ) as score_rank
    from imported_rows
    where home_score is not null and away_score is not null
),

imported_games as (
    select distinct
        league,
        game_date,
        home_team_id,
        away_team_id
    from imported_rows
),

imported as (
    select
        imported_games.league,
        imported_games.game_date,
        imported_games.home_team_id,
        imported_games.away_team_id,
        imported_scores.home_score,
        imported_scores.away_score,
        concat(
            imported_games.league, '-',
            replace(cast(imported_games.game_date as {{ dbt.type_string() }}), '-', ''), '-',
            substr(imported_games.home_team_id, length(imported_games.league) + 2), '-',
            substr(imported_games.away_team_id, length(imported_games.league) + 2)
        ) as imported_game_id
    from imported_games
    left join imported_scores
        on
            imported_games.league = imported_scores.league
            and imported_games.game_date = imported_scores.game_date
            and imported_games.home_team_id = imported_scores.home_team_id
            and imported_games.away_team_id = imported_scores.away_team_id
            and imported_scores.score_rank = 1
),

combined as (
    select
        coalesce(schedule.game_id, imported.imported_game_id) as game_id,
        coalesce(schedule.league, imported.league) as league,
        coalesce(schedule.game_date, imported.game_date) as game_date,
        coalesce(schedule.home_team_id, imported.home_team_id) as home_team_id,
        coalesce(schedule.away_team_id, imported.away_team_id) as away_team_id,
        case
            when schedule.status = 'final' then schedule.home_score
            else imported.home_score
        end as home_score,
        case
            when schedule.status = 'final' then schedule.away_score
            else imported.away_score
        end as away_score,
        case
            when schedule.status = 'final' then 'schedule'
            when imported.home_score is not null then 'imports'
        end as result_source,
        schedule.game_id is not null as is_in_schedule,
        imported.league is not null as is_imported
    from schedule
    full outer join imported
        on
            schedule.league = imported.league
            and schedule.game_date = imported.game_date
            and schedule.home_team_id = imported.home_team_id
            and schedule.away_team_id = imported.away_team_id
)

select
    game_id,
    league,
    game_date,
    home_team_id,
    away_team_id,
    home_score,
    away_score,
    home_score + away_score as total_score,
    home_score is not null and away_score is not null as is_final,
    result_source,
    is_in_schedule,
    is_imported
from combined
