{#- The payload registry (source propcast_raw.odds_payloads): one row per received payload. -#}
with

source as (
    select * from {{ source('propcast_raw', 'odds_payloads') }}
),

renamed as (
    select
        -- ids
        payload_sha256,

        -- strings
        vendor,
        feed,
        source_file,
        lower(status) as load_status,
        error as quarantine_reason,

        -- numerics
        rows_loaded,
        rows_quarantined,

        -- timestamps (naive UTC)
        fetched_at,
        loaded_at,
        cast({{ utc_to_slate_timestamp('loaded_at') }} as date) as load_date
    from source
)

select * from renamed
