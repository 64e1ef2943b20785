-- grain: one row per (carrier, tracking_number, event_at, status), known at as_of
create or replace table staging.tracking_events as
with source as (
    select * from raw.tracking_events
    where cast(event_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        carrier,
        tracking_number,
        cast(event_at as timestamptz) as event_at,
        status,
        location,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (
        partition by carrier, tracking_number, event_at, status
        order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
