-- grain: one row per order shipped after its promise, or still unshipped past it
-- offends when: not cancelled nor awaiting payment (`pending_payment`), and fulfilled after `promised_ship_by`, or not fulfilled while `promised_ship_by` has passed
-- began_at: when the ship-by promise was missed: promised_ship_by
select
    order_id as entity_id,
    status,
    promised_ship_by,
    last_shipped_at as shipped_at,
    round(
        (epoch(coalesce(last_shipped_at, getvariable('as_of'))) - epoch(promised_ship_by)) / 3600, 1
    ) as hours_late,
    promised_ship_by as began_at,
    total_amount as amount_at_risk
from core.order_fulfillment
where status not in ('cancelled', 'pending_payment')
  and (
      (fulfilled and last_shipped_at > promised_ship_by)
      or (not fulfilled and promised_ship_by < getvariable('as_of'))
  )
