{#-
    Rank of a staged prop quote among the versions of its business key (vendor event, book,
    market, player as spelled, side, line, snapshot): 1 is the latest load. A re-sent or
    corrected snapshot is a new raw row, never an update; every vendor's staging keeps rank 1.
-#}
{% macro prop_quote_version_rank() -%}
    row_number() over (
        partition by
            vendor_event_id, book_id, market, vendor_player_name, side, line, fetched_at
        order by loaded_at desc, payload_sha256 desc
    )
{%- endmacro %}
