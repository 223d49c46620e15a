{#-
    As-of player form for every row of the player x game spine: rolling means over the
    player's last 5, 10 and 82 games (macro player_form_means: each count and minutes), games
    played, days of rest, back-to-back and the minutes of teammates missing from the team's
    previous game (macro teammates_missing_minutes) — computed only from games strictly before
    the game's date — and of the teammates the league's availability report lists out for the
    game by the date's pricing cutoff (macro teammates_out_minutes). `features_through_date` is the latest game_date that fed the row (null
    for a player's first game). The played games come from the spine's boxscore columns; the
    game's own minutes and points (null until played) ride along as the target and never feed
    the features.
-#}
with

spine as (
    select * from {{ ref('int_player_game_spine') }}
),

played_games as (
    select * from spine
    where has_boxscore
),

-- Form through each played game, that game included.
played_through as (
    select
        player_id,
        game_date as through_date,
        {%- for name, column, n in player_form_means() %}
            avg({{ column }}) over last_{{ n }} as {{ name }},
        {%- endfor %}
        count(*) over all_before as games_played
    from played_games
    window
        {%- for n in form_windows() %}
            last_{{ n }} as (
                partition by player_id order by game_date
                rows between {{ n - 1 }} preceding and current row
            ),
        {%- endfor %}
        all_before as (
            partition by player_id order by game_date
            rows unbounded preceding
        )
),

-- Spine rows (kind 0) and played games (kind 1) on one timeline; on a tie of dates the spine
-- row sorts first, so the rows before it are games of strictly earlier dates.
timeline as (
    select
        player_id,
        game_id,
        game_date,
        0 as row_kind,
        cast(null as date) as through_date
    from spine
    union all
    select
        player_id,
        cast(null as {{ dbt.type_string() }}) as game_id,
        through_date as game_date,
        1 as row_kind,
        through_date
    from played_through
),

as_of as (
    select
        player_id,
        game_id,
        row_kind,
        max(through_date) over (
            partition by player_id
            order by game_date, row_kind
            rows between unbounded preceding and 1 preceding
        ) as features_through_date
    from timeline
),

-- Teammates missing from the team's previous game (CTE teammates_missing).
{{ teammates_missing_minutes('spine') }},

-- Teammates the availability report lists out for the game (CTE teammates_out).
{{ teammates_out_minutes('spine', 'played_through') }}

select
    spine.player_id,
    spine.game_id,
    spine.league,
    spine.game_date,
    spine.team_id,
    spine.opponent_team_id,
    spine.is_home,
    spine.game_status,
    spine.has_boxscore,
    as_of.features_through_date,
    coalesce(played_through.games_played, 0) as games_played,
    {{ dbt.datediff('as_of.features_through_date', 'spine.game_date', 'day') }} as days_rest,
    coalesce(
        {{ dbt.datediff('as_of.features_through_date', 'spine.game_date', 'day') }} = 1, false
    ) as is_back_to_back,
    {{ player_form_columns('played_through') }},
    teammates_missing.teammates_missing_minutes,
    teammates_out.teammates_out_minutes,
    spine.minutes,
    spine.points
from spine
inner join as_of
    on
        spine.player_id = as_of.player_id
        and spine.game_id = as_of.game_id
        and as_of.row_kind = 0
left join played_through
    on
        as_of.player_id = played_through.player_id
        and as_of.features_through_date = played_through.through_date
left join teammates_missing
    on
        spine.player_id = teammates_missing.player_id
        and spine.game_id = teammates_missing.game_id
left join teammates_out
    on
        spine.player_id = teammates_out.player_id
        and spine.game_id = teammates_out.game_id
