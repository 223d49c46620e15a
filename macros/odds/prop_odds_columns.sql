{#-
    The shape every vendor's staged prop quotes share (one row per side): int_prop_odds_unioned
    selects exactly these columns from each vendor's staging model.
-#}
{% macro prop_odds_columns() -%}
    {{ return([
        'vendor', 'vendor_event_id', 'book_id', 'market', 'side', 'league',
        'vendor_player_name', 'player_name_key', 'home_team_id', 'away_team_id',
        'line', 'price_american', 'price_decimal', 'implied_prob',
        'game_date', 'commence_time', 'fetched_at', 'loaded_at', 'payload_sha256',
    ]) }}
{%- endmacro %}
