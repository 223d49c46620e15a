{#-
    When each chosen de-vig method holds: per (league, market family), a choice applies to
    game dates from its chosen_on until the next choice's chosen_on (valid_until, exclusive;
    null for the current one). Of two choices stored for the same chosen_on the later stored
    (choice_batch) wins. The de-vig models join it on their game_date and use
    var('devig_method') where no period covers a date. A view: a choice just stored is what
    the next build of those models reads, whether or not this model was rebuilt.
-#}
{{ config(materialized='view') }}

with

choices as (
    select * from {{ ref('stg_propcast_raw__devig_method_choices') }}
),

latest_per_date as (
    select
        league,
        market_family,
        chosen_on,
        devig_method,
        row_number() over (
            partition by league, market_family, chosen_on
            order by choice_batch desc
        ) as stored_rank
    from choices
)

select
    league,
    market_family,
    devig_method,
    chosen_on as valid_from,
    lead(chosen_on) over (
        partition by league, market_family
        order by chosen_on
    ) as valid_until
from latest_per_date
where stored_rank = 1
