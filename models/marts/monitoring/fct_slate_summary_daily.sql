{#-
    "Why no bets": one row per date scored by the run (vars score_start..score_end, default
    run_date), counting each stage from the schedule to the recommendations, and the first
    stage that came up empty. Lines are counted at the pricing cutoff of the date (macro
    pricing_cutoff_utc), pre-game, in var('prop_markets'), and one per game total (the line
    fct_game_total_features prices). Incremental by game_date: each run
    replaces the dates it scored and its build slices (D-1 on: a name mapped once its player
    has played changes yesterday's counts) and keeps the rest; a first build or a full
    refresh covers every date in fct_predictions (read through fct_bet_recommendations, one row
    per prediction). The bets' stakes are the run's staking policy's (fct_bet_stakes, macro
    recommendations_at_chosen_stake), `staking` the policy.
-#}
{#- append_new_columns: a table built before `staking` gains it on its next run (null on the
    dates that run keeps, as fct_ev_summary_daily does with its later columns) -#}
{#- new_rows: every date of its window has a row (the date spine), and the window ends at
    score_end: emptying the build slice's open end would drop later dates it does not rebuild -#}
{%- set slices = game_date_slices(replaces='new_rows') -%}
{%- do slices.update({'on_schema_change': 'append_new_columns'}) -%}
{{ config(tags=['phase_predictions'], **slices) }}

with

games as (
    select * from {{ ref('dim_game') }}
),

quotes as (
    select * from {{ ref('fct_prop_odds') }}
    where {{ in_prop_markets('market') }}
),

total_lines as (
    select * from {{ ref('fct_game_total_features') }}
),

-- One row per prediction (fct_bet_recommendations keeps fct_predictions' grain), with the
-- chosen policy's stake of the recommended ones.
recommendations as (
    {{ recommendations_at_chosen_stake(recommended_only=false) | indent(4) }}
),

bounds as (
    select
        {% if is_incremental() -%}
            least({{ pricing_score_start() }}, {{ build_slice_start() }})
        {%- else -%}
            least(
                {{ pricing_score_start() }},
                coalesce(
                    (select min(game_date) as first_scored from recommendations),
                    {{ pricing_score_start() }}
                )
            )
        {%- endif %} as first_date,
        {{ pricing_score_end() }} as last_date
),

dates as (
    {{ pricing_date_spine(
        '(select bounds.first_date from bounds)', '(select bounds.last_date from bounds)'
    ) | indent(4) }}
),

-- games_listed counts postponed games too: a date the schedule lists no game on at all, while
-- books quote it, is a missing schedule, not an empty night
games_per_date as (
    select
        game_date,
        count(case when not coalesce(is_postponed, false) then 1 end) as games_scheduled,
        count(*) as games_listed
    from games
    group by game_date
),

offered_quotes as (
    select
        game_date,
        coalesce(game_id, vendor || ':' || vendor_event_id) as game_key,
        coalesce(player_id, vendor || ':' || vendor_player_name) as player_key,
        game_id is not null and player_id is not null as is_mapped,
        market,
        line
    from quotes
    where
        is_pregame
        and fetched_at <= {{ pricing_cutoff_utc('game_date') }}
        and game_date between (select bounds.first_date from bounds)
        and (select bounds.last_date from bounds)
    union all
    -- a game's total: the one line its model prices (on the boards at the cutoff, else an
    -- imported close), mapped by construction (its game is known)
    select
        game_date,
        game_id as game_key,
        game_id as player_key,
        true as is_mapped,
        market,
        line
    from total_lines
    where
        game_date between (select bounds.first_date from bounds)
        and (select bounds.last_date from bounds)
),

lines_per_date as (
    select
        game_date,
        count(distinct game_key || '|' || player_key || '|' || market || '|' || line)
            as lines_offered,
        count(
            distinct case
                when is_mapped then game_key || '|' || player_key || '|' || market || '|' || line
            end
        ) as lines_mapped
    from offered_quotes
    group by game_date
),

scored_per_date as (
    select
        game_date,
        count(*) as lines_scored,
        string_agg(distinct model_version, ', ' order by model_version) as model_versions
    from recommendations
    group by game_date
),

bets_per_date as (
    select
        game_date,
        count(case when is_recommended then 1 end) as bets_recommended,
        coalesce(sum(case when is_recommended then chosen_stake end), 0.0) as total_stake,
        coalesce(sum(case when is_recommended then chosen_stake_fraction end), 0.0)
            as total_stake_fraction,
        string_agg(distinct staking, ', ' order by staking) as staking,
        -- lines the edge gate withheld (README "The edge gate")
        count(case when reason_code = 'edge_not_shown' then 1 end) as lines_edge_withheld
    from recommendations
    group by game_date
),

counted as (
    select
        dates.game_date,
        coalesce(games_per_date.games_scheduled, 0) as games_scheduled,
        coalesce(games_per_date.games_listed, 0) as games_listed,
        coalesce(lines_per_date.lines_offered, 0) as lines_offered,
        coalesce(lines_per_date.lines_mapped, 0) as lines_mapped,
        coalesce(scored_per_date.lines_scored, 0) as lines_scored,
        coalesce(bets_per_date.bets_recommended, 0) as bets_recommended,
        coalesce(bets_per_date.total_stake, 0.0) as total_stake,
        coalesce(bets_per_date.total_stake_fraction, 0.0) as total_stake_fraction,
        scored_per_date.model_versions,
        coalesce(bets_per_date.lines_edge_withheld, 0) as lines_edge_withheld,
        bets_per_date.staking
    from dates
    left join games_per_date
        on dates.game_date = games_per_date.game_date
    left join lines_per_date
        on dates.game_date = lines_per_date.game_date
    left join scored_per_date
        on dates.game_date = scored_per_date.game_date
    left join bets_per_date
        on dates.game_date = bets_per_date.game_date
)

select
    game_date,
    games_scheduled,
    lines_offered,
    lines_mapped,
    lines_scored,
    bets_recommended,
    total_stake,
    total_stake_fraction,
    model_versions,
    case
        when bets_recommended > 0 then null
        when games_listed = 0 and lines_offered > 0 then 'no_schedule'
        when games_scheduled = 0 then 'no_games'
        when lines_offered = 0 then 'no_odds'
        when lines_mapped = 0 then 'no_mapped_players'
        when lines_scored = 0 then 'not_scored'
        when lines_edge_withheld > 0 then 'edge_not_shown'
        else 'no_value'
    end as no_bet_reason,
    staking
from counted
