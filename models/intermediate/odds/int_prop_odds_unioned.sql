{#- Adding a vendor: its staging model here (one line), plus the staging model itself. -#}
{%- set vendor_models = [
    'stg_oddsapi__prop_odds',
] -%}

{%- for vendor_model in vendor_models %}
    select
        {%- for column in prop_odds_columns() %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(vendor_model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
