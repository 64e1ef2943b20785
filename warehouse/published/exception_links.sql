-- grain: one row per (active exception, dimension, name) published at $as_of: the SKUs, warehouses,
-- carriers and owner an exception involves, for the report's top offenders.
-- An exception involves what its evidence or entity id names; the warehouses and carriers of its
-- shipments (its own, or its order's) after payment; its order's SKUs in allocation and picking,
-- where the item is the likely cause.
insert into published.exception_links
with active as (
    select exception_id, stage, entity_type, entity_id, owner, try_cast(evidence as json) as evidence
    from exceptions.ledger
    where status <> 'resolved'
),

keyed as (
    select
        *,
        coalesce(
            evidence->>'order_id',
            case entity_type when 'order' then entity_id when 'order_line' then split_part(entity_id, ':', 1) end
        ) as order_id,
        coalesce(evidence->>'shipment_id', case when entity_type = 'shipment' then entity_id end) as shipment_id,
        coalesce(evidence->>'tracking_number', case when entity_type = 'tracking_number' then entity_id end)
            as tracking_number
    from active
),

shipment_links as (
    select * from exception_shipment_ids('keyed')  -- warehouse/macros.sql
),

shipped as (
    select keyed.exception_id, keyed.stage, shipments.warehouse_id, shipments.carrier
    from shipment_links
    inner join keyed on shipment_links.exception_id = keyed.exception_id
    inner join staging.shipments as shipments on shipment_links.shipment_id = shipments.shipment_id
),

links as (
    select exception_id, 'sku' as dimension, evidence->>'sku' as name from keyed
    union
    select exception_id, 'sku', split_part(entity_id, ':', 2) from keyed where entity_type = 'stock_position'
    union
    select keyed.exception_id, 'sku', lines.sku
    from keyed
    inner join staging.order_lines as lines on keyed.order_id = lines.order_id
    where (keyed.entity_type = 'order_line' and lines.line_no = try_cast(split_part(keyed.entity_id, ':', 2) as integer))
       or (keyed.entity_type = 'order' and keyed.stage in ('allocation', 'picking_packing'))
    union
    select exception_id, 'warehouse', evidence->>'warehouse_id' from keyed
    union
    select exception_id, 'warehouse', split_part(entity_id, ':', 1) from keyed where entity_type = 'stock_position'
    union
    select exception_id, 'warehouse', warehouse_id from shipped where stage not in ('order_capture', 'payment')
    union
    select exception_id, 'carrier', evidence->>'carrier' from keyed
    union
    select exception_id, 'carrier', carrier from shipped
    where stage in ('handover', 'in_transit', 'delivery', 'returns', 'carrier_billing')
    union
    select exception_id, 'owner', owner from keyed
)

select $run_id::varchar, $as_of::timestamptz, exception_id, dimension, name
from links
where name is not null and name <> ''
