{#-
    Feature mart for player points: one row per player x game (played games and the scheduled
    slate), features known strictly before the game's date (the teammates the availability
    report lists out: by the date's pricing cutoff), and the target `points` once played (null
    for scheduled games).
-#}
with

player_features as (
    select * from {{ ref('int_player_game_features_asof') }}
),

opponent_defense as (
    select * from {{ ref('int_team_game_defense_asof') }}
)

select
    player_features.player_id,
    player_features.game_id,
    player_features.league,
    player_features.game_date,
    player_features.team_id,
    player_features.opponent_team_id,
    player_features.is_home,
    player_features.game_status,
    player_features.has_boxscore,
    player_features.features_through_date,
    player_features.games_played,
    player_features.days_rest,
    player_features.is_back_to_back,
    {{ player_form_columns('player_features') }},
    opponent_defense.defense_through_date as opponent_defense_through_date,
    opponent_defense.prior_final_games as opponent_prior_games,
    opponent_defense.points_allowed_avg_5 as opponent_points_allowed_avg_5,
    opponent_defense.points_allowed_avg_10 as opponent_points_allowed_avg_10,
    player_features.teammates_missing_minutes,
    player_features.teammates_out_minutes,
    player_features.minutes,
    player_features.points
from player_features
left join opponent_defense
    on
        player_features.opponent_team_id = opponent_defense.team_id
        and player_features.game_id = opponent_defense.game_id
