{#-
    Every imported total line in one shape: the CSV imports (stg_imports__game_totals) and the
    SBR season workbooks (stg_imports__sbr_games, book `sbr`). The one place the totals chain
    reads imported lines and scores from (int_game_results, int_game_total_quotes).
-#}
{%- set columns = [
    'league', 'game_date', 'home_team_id', 'away_team_id', 'vendor_home_team',
    'vendor_away_team', 'home_team_key', 'away_team_key', 'book', 'line_type', 'line',
    'over_price_american', 'under_price_american', 'over_implied_prob', 'under_implied_prob',
    'prices_assumed', 'home_score', 'away_score', 'fetched_at', 'loaded_at', 'payload_sha256',
    'source_file', 'source_row_number'
] -%}
with

csv_imports as (
    select * from {{ ref('stg_imports__game_totals') }}
),

sbr_imports as (
    select * from {{ ref('stg_imports__sbr_games') }}
)

select
    {{ columns | join(',\n    ') }}
from csv_imports
union all
select
    {{ columns | join(',\n    ') }}
from sbr_imports
