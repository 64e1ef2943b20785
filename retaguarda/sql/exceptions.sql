-- `retaguarda exceptions`: the ledger rows matching the filters, worst first, with their count.
-- grain: one row per exception (check, entity); `total` repeats the count before the limit.
with matching as (
    select *
    from exceptions.ledger
    where list_contains($statuses, status)
        and ($stage is null or stage = $stage)
        and ($owner is null or owner = $owner)
        and ($severity is null or severity = $severity)
        and ($check_id is null or check_id = $check_id)
),

final as (
    select
        exception_id[:12] as id,  -- enough for `ack` and `show`, as before
        severity,
        status,
        stage,
        check_id,
        entity_id,
        owner,
        round(age_business_hours, 1) as age_bh,
        amount_at_risk,
        opened_at as opened,
        acknowledged_by,
        note,
        snoozed_until,
        count(*) over () as total
    from matching
)

select * from final
order by list_position($severities, severity) desc, amount_at_risk desc nulls last, id
limit $limit
