{#- Rows and payloads refused by ingest (source propcast_raw.quarantine), with the reason. -#}
with

source as (
    select * from {{ source('propcast_raw', 'quarantine') }}
),

renamed as (
    select
        -- ids
        payload_sha256,
        row_number as payload_row_number,

        -- strings
        vendor,
        feed,
        source_file,
        row_text,
        reason,
        row_number is null as is_whole_payload,

        -- timestamps (naive UTC)
        quarantined_at,
        cast({{ utc_to_slate_timestamp('quarantined_at') }} as date) as load_date
    from source
)

select * from renamed
