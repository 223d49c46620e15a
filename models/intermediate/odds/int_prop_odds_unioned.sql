-- Adding a vendor: its staging model in this list (one line), plus the staging model itself.
{% set vendor_models = [
    'stg_oddsapi__prop_odds',
    'stg_csvfeed__prop_odds',
    'stg_decimalfeed__prop_odds',
] %}

{% for vendor_model in vendor_models -%}
    select {{ prop_odds_columns() | join(', ') }}
    from {{ ref(vendor_model) }}
    {{ 'union all' if not loop.last }}
{% endfor %}
