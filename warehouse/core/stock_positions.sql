-- grain: one row per stock position (warehouse_id, sku) at its latest snapshot,
-- with the previous snapshot and the movements between the two.
create or replace table core.stock_positions as
with snapshots as (
    select
        *,
        row_number() over (partition by warehouse_id, sku order by snapshot_at desc) as recency
    from staging.stock_snapshots
),

latest as (
    select * from snapshots where recency = 1
),

previous as (
    select * from snapshots where recency = 2
),

movements as (
    select latest.warehouse_id, latest.sku, sum(moves.quantity_delta) as movements_delta
    from latest
    inner join previous on latest.warehouse_id = previous.warehouse_id and latest.sku = previous.sku
    inner join staging.stock_movements as moves
        on moves.warehouse_id = latest.warehouse_id and moves.sku = latest.sku
        and moves.occurred_at > previous.snapshot_at and moves.occurred_at <= latest.snapshot_at
    group by latest.warehouse_id, latest.sku
),

prices as (
    select sku, avg(unit_price) as unit_price from staging.order_lines group by sku
),

final as (
    select
        latest.warehouse_id || ':' || latest.sku as position_id,
        latest.warehouse_id,
        latest.sku,
        latest.snapshot_at,
        latest.on_hand,
        latest.allocated,
        latest.on_hand - latest.allocated as available,
        previous.snapshot_at as previous_snapshot_at,
        previous.on_hand as previous_on_hand,
        coalesce(movements.movements_delta, 0) as movements_delta,
        previous.on_hand + coalesce(movements.movements_delta, 0) as expected_on_hand,
        skus.reorder_point,
        coalesce(prices.unit_price, 0) as unit_price
    from latest
    left join previous on latest.warehouse_id = previous.warehouse_id and latest.sku = previous.sku
    left join movements on latest.warehouse_id = movements.warehouse_id and latest.sku = movements.sku
    left join staging.skus as skus on latest.sku = skus.sku
    left join prices on latest.sku = prices.sku
)

select * from final;
