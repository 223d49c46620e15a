{#-
    Per (league, game_date, player, market): the consensus line of imported props. Each
    book's latest quote (quoted_at; every row when the file gives none) is its closing
    quote, its earliest its opening quote. The consensus is the line most books quote (ties:
    the lower line); at it, the best American price of each side across books, the de-vigged
    P(over) averaged over the books quoting it (the method chosen for the league and market
    on the game's date, int_devig_method_periods, else var devig_method), whether a price was
    assumed (-110) and the number of books. The opening consensus (same rule on the opening
    quotes) is given only when quoted_at holds more than one time for the player-game. The
    consensus rule is macro consensus_line_ctes (shared with game totals).
-#}
{%- set newton_steps = 8 -%}

with

props as (
    select * from {{ ref('stg_imports__prop_odds') }}
    where player_name_key is not null
),

method_periods as (
    select * from {{ ref('int_devig_method_periods') }}
),

{{ devig_power_exponent_ctes('props', 'over_implied_prob', 'under_implied_prob', newton_steps) }},

with_method as (
    select
        power_newton_{{ newton_steps }}.*,
        {{ chosen_devig_method('method_periods') }} as devig_method
    from power_newton_{{ newton_steps }}
    {{ join_devig_method_periods(
        'method_periods',
        'power_newton_' ~ newton_steps ~ '.league',
        'power_newton_' ~ newton_steps ~ '.market',
        'power_newton_' ~ newton_steps ~ '.game_date',
    ) }}
),

quotes as (
    select
        league,
        game_date,
        player_name_key,
        market,
        book,
        line,
        over_price_american,
        under_price_american,
        prices_assumed,
        quoted_at,
        {{ devig_fair_over_by_method(
            'devig_method', 'over_implied_prob', 'under_implied_prob', 'power_k_' ~ newton_steps
        ) }} as fair_prob_over,
        dense_rank() over (
            partition by league, game_date, player_name_key, market, book
            order by quoted_at desc nulls last
        ) as latest_rank,
        dense_rank() over (
            partition by league, game_date, player_name_key, market, book
            order by quoted_at asc nulls last
        ) as earliest_rank
    from with_method
),

sided as (
    select
        'close' as quote_side,
        quotes.*
    from quotes
    where quotes.latest_rank = 1
    union all
    select
        'open' as quote_side,
        quotes.*
    from quotes
    where quotes.earliest_rank = 1
),

{{ consensus_line_ctes(
    'sided',
    ['league', 'game_date', 'player_name_key', 'market', 'quote_side'],
    book_count='count(distinct book)',
) }},

quote_times as (
    select
        league,
        game_date,
        player_name_key,
        market,
        count(distinct quoted_at) as quote_time_count
    from quotes
    group by league, game_date, player_name_key, market
),

opening as (
    select at_consensus.*
    from at_consensus
    inner join quote_times
        on
            at_consensus.league = quote_times.league
            and at_consensus.game_date = quote_times.game_date
            and at_consensus.player_name_key = quote_times.player_name_key
            and at_consensus.market = quote_times.market
    where
        at_consensus.quote_side = 'open'
        and quote_times.quote_time_count > 1
)

select
    closing.league,
    closing.game_date,
    closing.player_name_key,
    closing.market,
    closing.line,
    opening.line as open_line,
    closing.line - opening.line as line_move,
    closing.over_price,
    closing.under_price,
    closing.market_prob_over,
    closing.prices_assumed,
    cast(closing.book_count as {{ dbt.type_bigint() }}) as book_count,
    opening.over_price as open_over_price,
    opening.under_price as open_under_price,
    opening.market_prob_over as open_market_prob_over,
    cast(opening.book_count as {{ dbt.type_bigint() }}) as open_book_count
from at_consensus as closing
left join opening
    on
        closing.league = opening.league
        and closing.game_date = opening.game_date
        and closing.player_name_key = opening.player_name_key
        and closing.market = opening.market
where closing.quote_side = 'close'
