{#-
    Total lines per game × book × line_type, imported (int_imported_game_total_quotes) and
    from the odds vendors (int_vendor_game_total_quotes; when both have a game's book and
    line_type, the vendor's wins; vendors alone have the priced line_type, the board at the
    pricing cutoff), with the game's id (int_game_results), whether the book is bettable
    (sportsbooks seed),
    implied probabilities and the de-vigged P(over) by multiplicative and power; fair_prob_over
    by the method chosen for the league's game_total on the game's date
    (int_devig_method_periods), else var('devig_method'), as fct_prop_odds does. Rows whose teams do not map have no game and
    are left out (visible in stg_imports__game_totals).
-#}
{%- set newton_steps = 8 -%}

with

imported as (
    select * from {{ ref('int_imported_game_total_quotes') }}
    where
        home_team_id is not null
        and away_team_id is not null
),

vendor_quotes as (
    select * from {{ ref('int_vendor_game_total_quotes') }}
),

{%- set quote_columns = [
    'league', 'game_date', 'home_team_id', 'away_team_id', 'book', 'line_type', 'line',
    'over_price_american', 'under_price_american', 'over_implied_prob', 'under_implied_prob',
    'prices_assumed', 'fetched_at', 'loaded_at'
] %}

quotes as (
    select
        {{ quote_columns | join(',\n        ') }},
        'imports' as quote_source
    from imported
    union all
    select
        {{ quote_columns | join(',\n        ') }},
        vendor as quote_source
    from vendor_quotes
),

games as (
    select * from {{ ref('int_game_results') }}
),

sportsbooks as (
    select * from {{ ref('sportsbooks') }}
),

method_periods as (
    select * from {{ ref('int_devig_method_periods') }}
),

matched as (
    select
        games.game_id,
        quotes.league,
        quotes.game_date,
        quotes.home_team_id,
        quotes.away_team_id,
        quotes.book,
        quotes.line_type,
        quotes.line,
        quotes.over_price_american,
        quotes.under_price_american,
        quotes.over_implied_prob,
        quotes.under_implied_prob,
        quotes.prices_assumed,
        quotes.quote_source,
        quotes.fetched_at,
        quotes.loaded_at,
        coalesce(sportsbooks.bettable, false) as is_bettable_book,
        row_number() over (
            partition by games.game_id, quotes.book, quotes.line_type
            order by case when quotes.quote_source = 'imports' then 1 else 0 end
        ) as source_rank
    from quotes
    inner join games
        on
            quotes.league = games.league
            and quotes.game_date = games.game_date
            and quotes.home_team_id = games.home_team_id
            and quotes.away_team_id = games.away_team_id
    left join sportsbooks
        on quotes.book = sportsbooks.book_id
),

with_game as (
    select * from matched
    where source_rank = 1
),

{{ devig_power_exponent_ctes(
    'with_game', 'over_implied_prob', 'under_implied_prob', newton_steps
) }},

devigged as (
    select
        *,
        over_implied_prob + under_implied_prob - 1.0 as overround,
        {{ devig_multiplicative('over_implied_prob', 'over_implied_prob', 'under_implied_prob') }}
            as fair_prob_over_multiplicative,
        {{ devig_power('over_implied_prob', 'power_k_' ~ newton_steps) }} as fair_prob_over_power
    from power_newton_{{ newton_steps }}
),

with_method as (
    select
        devigged.*,
        {{ chosen_devig_method('method_periods') }} as devig_method,
        {{ devig_fair_over_by_method(
            chosen_devig_method('method_periods'),
            'devigged.over_implied_prob',
            'devigged.under_implied_prob',
            'devigged.power_k_' ~ newton_steps,
        ) }} as fair_prob_over
    from devigged
    {{ join_devig_method_periods(
        'method_periods', 'devigged.league', "'game_total'", 'devigged.game_date'
    ) }}
)

select
    game_id,
    league,
    game_date,
    home_team_id,
    away_team_id,
    book,
    line_type,
    line,
    over_price_american,
    under_price_american,
    {{ american_to_decimal('over_price_american') }} as over_price_decimal,
    {{ american_to_decimal('under_price_american') }} as under_price_decimal,
    over_implied_prob,
    under_implied_prob,
    overround,
    fair_prob_over_multiplicative,
    fair_prob_over_power,
    devig_method,
    fair_prob_over,
    1.0 - fair_prob_over as fair_prob_under,
    prices_assumed,
    quote_source,
    is_bettable_book,
    fetched_at,
    loaded_at
from with_method
