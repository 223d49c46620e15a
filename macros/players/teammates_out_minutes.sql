{#-
    Teammates the league's availability report lists out for the game, as of the date's pricing
    cutoff (macro pricing_cutoff_utc); the books react to such news late
    (propcast/world/market.py), a predictor that reads the report need not. Renders CTEs (no
    leading `with`, no trailing comma) on `spine`, the player x game spine (player_id, game_id,
    league, game_date, team_id, has_boxscore, minutes), the last of them `teammates_out`: one
    row per spine row with a team (player_id, game_id) and its teammates_out_minutes.
    `played_through`: per player and played game (player_id, through_date), his form means
    through that game, minutes_avg_10 among them (int_player_game_features_asof's CTE).

    For player p on team T on date D: the sum, over the teammates q != p whose latest report
    row for (D, T) reported by the cutoff says `out` (a later report may clear him), of q's mean
    minutes over his last 10 games before D, when q played within the 30 days before D (one out
    longer has had his minutes shared out already, which the players' own recent minutes show).
    Null when no report of the game's league and date was known by the cutoff (no availability
    feed, or history before it), 0 when the report names none of the team.
-#}
{% macro teammates_out_minutes(spine, played_through) -%}
to_spine as (
    select * from {{ spine }}
    where team_id is not null
),

to_reports as (
    select * from {{ ref('stg_league__availability') }}
    where team_id is not null
),

to_known_reports as (
    select
        league,
        game_date,
        team_id,
        player_id,
        status,
        row_number() over (
            partition by game_date, team_id, player_id
            order by reported_at desc
        ) as report_rank
    from to_reports
    where reported_at <= {{ pricing_cutoff_utc('game_date') }}
),

to_reported_dates as (
    select distinct
        league,
        game_date
    from to_known_reports
),

to_out_players as (
    select
        game_date,
        team_id,
        player_id
    from to_known_reports
    where report_rank = 1 and status = 'out'
),

-- Report rows (kind 0) and played games (kind 1) on one timeline per player; on a tie of
-- dates the report row sorts first, so the games before it are of strictly earlier dates.
to_timeline as (
    select
        player_id,
        game_date,
        team_id,
        0 as row_kind,
        cast(null as date) as through_date
    from to_out_players
    union all
    select
        player_id,
        through_date as game_date,
        cast(null as {{ dbt.type_string() }}) as team_id,
        1 as row_kind,
        through_date
    from {{ played_through }}
),

to_as_of as (
    select
        player_id,
        game_date,
        team_id,
        row_kind,
        max(through_date) over (
            partition by player_id
            order by game_date, row_kind
            rows between unbounded preceding and 1 preceding
        ) as last_played_date
    from to_timeline
),

to_out_minutes as (
    select
        to_as_of.game_date,
        to_as_of.team_id,
        to_as_of.player_id,
        {{ played_through }}.minutes_avg_10
    from to_as_of
    inner join {{ played_through }}
        on
            to_as_of.player_id = {{ played_through }}.player_id
            and to_as_of.last_played_date = {{ played_through }}.through_date
    where
        to_as_of.row_kind = 0
        and to_as_of.last_played_date >= {{ dbt.dateadd('day', -30, 'to_as_of.game_date') }}
),

teammates_out as (
    select
        to_spine.player_id,
        to_spine.game_id,
        case
            -- Rounded: a float sum's last bits depend on the order threads add the rows in, and
            -- a rebuild must give the same bits (tests/reliability/test_reruns.py).
            when to_reported_dates.game_date is not null
                then round(coalesce(sum(to_out_minutes.minutes_avg_10), 0), 9)
        end as teammates_out_minutes
    from to_spine
    left join to_reported_dates
        on
            to_spine.league = to_reported_dates.league
            and to_spine.game_date = to_reported_dates.game_date
    left join to_out_minutes
        on
            to_spine.team_id = to_out_minutes.team_id
            and to_spine.game_date = to_out_minutes.game_date
            and to_spine.player_id != to_out_minutes.player_id
    group by to_spine.player_id, to_spine.game_id, to_reported_dates.game_date
)
{%- endmacro %}
