{#-
    The run's vars as one row of text (an unset var reads 'None'), for the Python models: they
    have no var(), and vars rendered into their config at parse time would force dbt to parse
    the whole project again on every run. Rebuilt by every build and by `propcast train`
    (selection propcast.daily.TRAIN_SELECTION). now_utc is the run's clock (var now_utc when
    pinned, else the engine's now): the Python models' "now" (scored_at, registered_at, today).
    staking is var staking (PROPCAST_STAKING passes it: propcast.dbt_runner); the bankroll and
    the caps are the pricing vars fct_bet_recommendations reads (fct_bet_stakes reads them).
-#}
{{ config(materialized='table', tags=['phase_predictions']) }}
{%- set markets = var('prop_markets') -%}
{%- if markets is not string -%}{%- set markets = markets | join(',') -%}{%- endif %}

select
    {{ dbt.string_literal(var('run_date') | string) }} as run_date,
    {{ dbt.string_literal(var('score_start') | string) }} as score_start,
    {{ dbt.string_literal(var('score_end') | string) }} as score_end,
    {{ dbt.string_literal(var('train_end') | string) }} as train_end,
    {{ dbt.string_literal(var('model_version') | string) }} as model_version,
    {{ dbt.string_literal(markets) }} as prop_markets,
    {{ dbt.string_literal(tojson(var('train_overrides'))) }} as train_overrides,
    {{ dbt.string_literal(var('staking') | string) }} as staking,
    {{ dbt.string_literal(var('bankroll') | string) }} as bankroll,
    {{ dbt.string_literal(var('kelly_fraction') | string) }} as kelly_fraction,
    {{ dbt.string_literal(var('max_bet_fraction') | string) }} as max_bet_fraction,
    {{ dbt.string_literal(var('max_game_fraction') | string) }} as max_game_fraction,
    {{ dbt.string_literal(var('max_daily_fraction') | string) }} as max_daily_fraction,
    cast({{ current_timestamp_utc() }} as {{ dbt.type_string() }}) as now_utc
