{#-
    Rank of a staged prop quote among the versions of its business key (vendor event, book,
    market, player as spelled, side, line, snapshot): 1 is the latest load. A re-sent or
    corrected snapshot is a new raw row, never an update; every vendor's staging keeps rank 1.
    game_date leads the partition (an event has one date) so that a filter on game_date over
    the staging view is pushed below the window: incremental models read only their slices.
-#}
{% macro prop_quote_version_rank() -%}
    row_number() over (
        partition by
            game_date,
            vendor_event_id, book_id, market, vendor_player_name, side, line, fetched_at
        order by loaded_at desc, payload_sha256 desc
    )
{%- endmacro %}
