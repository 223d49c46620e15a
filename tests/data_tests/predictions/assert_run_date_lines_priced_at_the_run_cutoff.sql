-- The run date's predictions were priced under this run's cutoff (var cutoff_utc, or the
-- pricing clock when none is given) and from no snapshot after it. Returns offending rows.
{{ config(tags=['phase_predictions']) }}

select
    game_id,
    player_id,
    market,
    line,
    pricing_cutoff_utc,
    priced_fetched_at,
    {{ pricing_cutoff_utc('game_date') }} as run_cutoff_utc
from {{ ref('fct_predictions') }}
where
    game_date = {{ pricing_run_date() }}
    and (
        pricing_cutoff_utc != {{ pricing_cutoff_utc('game_date') }}
        or priced_fetched_at > {{ pricing_cutoff_utc('game_date') }}
    )
