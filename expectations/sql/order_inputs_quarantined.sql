-- grain: one row per order with an input row in quarantine that no later delivery replaced
-- offends when: a row naming the order (the order itself with its lines and payments, an allocation, a shipment, a stock movement) is in `raw.quarantine`, and no row of that table for that order has landed since: the order cannot be fully judged
-- began_at: when the first such row was quarantined (its load time)
with landed as (
    select 'orders' as table_name, order_id, _loaded_at from raw.orders
    union all
    select 'allocations', order_id, _loaded_at from raw.allocations
    union all
    select 'shipments', order_id, _loaded_at from raw.shipments
    union all
    select 'stock_movements', order_id, _loaded_at from raw.stock_movements
),

still_missing as (
    select quarantined.*
    from raw.quarantine as quarantined
    where
        quarantined.order_id is not null
        and not exists (
            select 1
            from landed
            where
                landed.table_name = quarantined.table_name
                and landed.order_id = quarantined.order_id
                and landed._loaded_at > quarantined._loaded_at
        )
)

select
    still_missing.order_id as entity_id,
    string_agg(
        distinct still_missing.table_name || ' ' || still_missing.reason, '; '
        order by still_missing.table_name || ' ' || still_missing.reason
    ) as problems,
    count(*) as rows_quarantined,
    min(still_missing._file || ' row ' || still_missing._row_number) as first_row,
    min(still_missing._loaded_at) as began_at,
    any_value(orders.total_amount) as amount_at_risk
from still_missing
left join staging.orders as orders on still_missing.order_id = orders.order_id
group by still_missing.order_id
