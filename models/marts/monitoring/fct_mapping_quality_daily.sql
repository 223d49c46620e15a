{#-
    How well each vendor's quotes map, per game_date: a quote is one two-sided (or one-sided)
    price of a book for a player's line at a snapshot (int_prop_odds_devigged's grain). Names
    that do not map are not bad data: their quotes load with a null player_id and are counted
    here until an alias or a row in seeds/player_alias_overrides.csv maps them.
-#}
{{ config(tags=['phase_analytics'], **game_date_slices()) }}
{%- set top_names = 5 -%}

with

quotes as (
    select * from {{ ref('int_prop_odds_devigged') }}
    where {{ in_build_slice('game_date') }}
),

sportsbooks as (
    select * from {{ ref('sportsbooks') }}
),

quote_flags as (
    select
        quotes.game_date,
        quotes.vendor,
        quotes.vendor_player_name,
        quotes.player_mapping,
        quotes.player_id is not null as is_player_mapped,
        quotes.game_id is not null as is_game_mapped,
        quotes.home_team_id is null or quotes.away_team_id is null as is_team_unmapped,
        sportsbooks.book_id is null as is_book_unknown
    from quotes
    left join sportsbooks
        on quotes.book_id = sportsbooks.book_id
),

daily as (
    select
        game_date,
        vendor,
        count(*) as quotes,
        count(case when is_player_mapped then 1 end) as quotes_player_mapped,
        count(case when not is_player_mapped then 1 end) as quotes_player_unmapped,
        count(case when player_mapping = 'ambiguous' then 1 end) as quotes_player_ambiguous,
        count(case when player_mapping = 'override' then 1 end) as quotes_player_override,
        count(distinct case when not is_player_mapped then vendor_player_name end)
            as unmapped_player_names,
        count(case when is_team_unmapped then 1 end) as quotes_team_unmapped,
        count(case when not is_game_mapped then 1 end) as quotes_game_unmapped,
        count(case when is_book_unknown then 1 end) as quotes_book_unknown,
        count(case when is_player_mapped and is_game_mapped then 1 end)
            as quotes_fully_mapped
    from quote_flags
    group by game_date, vendor
),

unmapped_names as (
    select
        game_date,
        vendor,
        vendor_player_name,
        count(*) as name_quotes
    from quote_flags
    where not is_player_mapped
    group by game_date, vendor, vendor_player_name
),

ranked_names as (
    select
        *,
        row_number() over (
            partition by game_date, vendor
            order by name_quotes desc, vendor_player_name asc
        ) as name_rank
    from unmapped_names
),

top_names as (
    select
        game_date,
        vendor,
        {{ ordered_string_agg(
            "concat(vendor_player_name, ' (', cast(name_quotes as " ~ dbt.type_string() ~ "), ')')",
            'name_rank') }} as top_unmapped_player_names
    from ranked_names
    where name_rank <= {{ top_names }}
    group by game_date, vendor
)

select
    daily.game_date,
    daily.vendor,
    daily.quotes,
    daily.quotes_player_mapped,
    daily.quotes_player_unmapped,
    daily.quotes_player_ambiguous,
    daily.quotes_player_override,
    daily.unmapped_player_names,
    daily.quotes_team_unmapped,
    daily.quotes_game_unmapped,
    daily.quotes_book_unknown,
    daily.quotes_fully_mapped,
    cast(daily.quotes_player_mapped as {{ type_double() }}) / daily.quotes as mapped_share,
    cast(daily.quotes_fully_mapped as {{ type_double() }}) / daily.quotes as fully_mapped_share,
    top_names.top_unmapped_player_names
from daily
left join top_names
    on
        daily.game_date = top_names.game_date
        and daily.vendor = top_names.vendor
