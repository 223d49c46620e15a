{{ config(**game_date_slices()) }}

-- Adding a vendor: its staging model in this list (one line), plus the staging model itself.
{% set vendor_models = [
    'stg_oddsapi__prop_odds',
    'stg_csvfeed__prop_odds',
    'stg_decimalfeed__prop_odds',
] %}

{% for vendor_model in vendor_models -%}
    select {{ prop_odds_columns() | join(', ') }}
    from {{ ref(vendor_model) }}
    where {{ in_build_slice('game_date') }}
    {{ 'union all' if not loop.last }}
{% endfor %}
