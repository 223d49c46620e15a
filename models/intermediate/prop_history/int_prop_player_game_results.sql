{#-
    One row per (league, player_name_key, market, game_date) that imported props quote: the
    stat the player recorded (actual_value). A player is league + player_name_key (the name
    normalised by normalize_person_name, so "Nikola Jokić" and "nikola jokic" are one
    player). The result is the one of the latest load that gives a value (a later load
    without a value does not unsettle a game); the name and teams come from the same row.
-#}
with

props as (
    select * from {{ ref('stg_imports__prop_odds') }}
    where player_name_key is not null
),

ranked as (
    select
        league,
        player_name_key,
        market,
        game_date,
        vendor_player_name,
        team_id,
        vendor_team,
        opponent_team_id,
        actual_value,
        row_number() over (
            partition by league, player_name_key, market, game_date
            order by
                case when actual_value is null then 1 else 0 end,
                loaded_at desc,
                quoted_at desc nulls last,
                payload_sha256 desc,
                source_row_number desc
        ) as result_rank
    from props
)

select
    league,
    player_name_key,
    market,
    game_date,
    vendor_player_name as player_name,
    team_id,
    vendor_team as team,
    opponent_team_id,
    actual_value,
    actual_value is not null as is_settled
from ranked
where result_rank = 1
