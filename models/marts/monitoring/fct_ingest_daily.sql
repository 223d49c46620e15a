{#-
    What ingest received and refused, per load date (US/Eastern) x vendor x feed: payloads
    loaded whole, loaded in part, quarantined whole, rows loaded and rows quarantined, and the
    most frequent refusal reason. The morning's "how much was bad?" in one row per feed.
-#}
{{ config(tags=['phase_analytics']) }}

with

payloads as (
    select * from {{ ref('stg_propcast_raw__odds_payloads') }}
),

quarantined_rows as (
    select * from {{ ref('stg_propcast_raw__quarantine') }}
),

loads as (
    select
        load_date,
        vendor,
        feed,
        count(*) as payloads_received,
        sum(case when load_status = 'loaded' then 1 else 0 end) as payloads_loaded,
        sum(case when load_status = 'partial' then 1 else 0 end) as payloads_partial,
        sum(case when load_status = 'quarantined' then 1 else 0 end) as payloads_quarantined,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined,
        min(loaded_at) as first_loaded_at,
        max(loaded_at) as last_loaded_at
    from payloads
    group by load_date, vendor, feed
),

reasons as (
    select
        load_date,
        vendor,
        feed,
        reason,
        row_number() over (
            partition by load_date, vendor, feed
            order by count(*) desc, reason
        ) as reason_rank
    from quarantined_rows
    group by load_date, vendor, feed, reason
),

top_reason as (
    select
        load_date,
        vendor,
        feed,
        reason as top_quarantine_reason
    from reasons
    where reason_rank = 1
)

select
    loads.load_date,
    loads.vendor,
    loads.feed,
    loads.payloads_received,
    loads.payloads_loaded,
    loads.payloads_partial,
    loads.payloads_quarantined,
    loads.rows_loaded,
    loads.rows_quarantined,
    loads.rows_quarantined * 1.0
    / nullif(loads.rows_loaded + loads.rows_quarantined, 0) as quarantined_row_share,
    top_reason.top_quarantine_reason,
    loads.first_loaded_at,
    loads.last_loaded_at
from loads
left join top_reason
    on
        loads.load_date = top_reason.load_date
        and loads.vendor = top_reason.vendor
        and loads.feed = top_reason.feed
