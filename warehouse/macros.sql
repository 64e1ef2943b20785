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
