-- Macros the models and the publication share, created before the core models are built.

-- Business time, read from core.business_calendar (one row per local day: open_at and
-- close_at in UTC on working days, null otherwise; hours_before = working hours from
-- the calendar's first day up to that day's opening).

-- Working hours from the calendar's start up to ts (null outside the calendar's range).
create or replace macro business_hours_at(ts) as (
    select
        calendar.hours_before + case
            when calendar.open_at is null then 0
            else greatest(0, least(epoch(ts), epoch(calendar.close_at)) - epoch(calendar.open_at)) / 3600
        end
    from core.business_calendar as calendar
    where calendar.day = cast(timezone(getvariable('calendar_timezone'), ts) as date)
);

-- Working hours elapsed from a to b (0 when b is not after a).
create or replace macro business_hours_between(a, b) as
    greatest(0, business_hours_at(b) - business_hours_at(a));

-- The instant h working hours after ts: the inverse of business_hours_between, like
-- BusinessCalendar.add_business_hours (a sum that fills a day exactly lands on its close).
create or replace macro add_business_hours(ts, h) as (
    select min(
        calendar.open_at
        + to_microseconds(((business_hours_at(ts) + h - calendar.hours_before) * 3600000000)::bigint)
    )
    from core.business_calendar as calendar
    where calendar.open_at is not null
      and calendar.hours_before < business_hours_at(ts) + h
      and business_hours_at(ts) + h
          <= calendar.hours_before + (epoch(calendar.close_at) - epoch(calendar.open_at)) / 3600
);

-- The shipments each exception concerns, for published/exception_links.sql and
-- exception_lineage.sql: its own (evidence or entity id), else its order's, else (no order)
-- those carrying its tracking number. `keys` names a relation of the calling query (a CTE
-- included) with exception_id, order_id, shipment_id and tracking_number.
create or replace macro exception_shipment_ids(keys) as table
    select exception_id, shipment_id from query_table(keys) where shipment_id is not null
    union
    select keys.exception_id, shipments.shipment_id
    from query_table(keys) as keys
    inner join staging.shipments as shipments on keys.order_id = shipments.order_id
    where keys.shipment_id is null
    union
    select keys.exception_id, shipments.shipment_id
    from query_table(keys) as keys
    inner join staging.shipments as shipments on keys.tracking_number = shipments.tracking_number
    where keys.shipment_id is null and keys.order_id is null;
