-- grain: one row per (due exception, input row) at $as_of: the rows staging used, of the tables the
-- exception's check needs (lineage_tables: its `needs:` and its entity's own table), that concern
-- the exception's entity, named by where they were read (raw _source, _file, _row_number).
-- An exception concerns what its entity id and evidence name: its order (and that order's lines,
-- payments, allocations, shipments, movements), its shipment or the shipments carrying its tracking
-- number or its invoice's, those shipments' lines, carrier events and invoices; a stock position's
-- snapshots (the latest and the previous one) and the movements between them; a SKU's catalog row;
-- for an order, its rows in quarantine.
insert into published.exception_lineage
with keyed as (
    select
        exception_id,
        check_id,
        entity_type,
        evidence_md5,
        coalesce(
            evidence->>'order_id',
            case entity_type when 'order' then entity_id when 'order_line' then split_part(entity_id, ':', 1) end
        ) as order_id,
        case when entity_type = 'order_line' then try_cast(split_part(entity_id, ':', 2) as integer) end as line_no,
        coalesce(evidence->>'shipment_id', case when entity_type = 'shipment' then entity_id end) as shipment_id,
        coalesce(evidence->>'tracking_number', case when entity_type = 'tracking_number' then entity_id end)
            as tracking_number,
        case when entity_type = 'invoice' then entity_id end as invoice_id,
        coalesce(evidence->>'warehouse_id', case when entity_type = 'stock_position' then split_part(entity_id, ':', 1) end)
            as warehouse_id,
        coalesce(evidence->>'sku', case when entity_type = 'stock_position' then split_part(entity_id, ':', 2) end)
            as sku,
        try_cast(evidence->>'snapshot_at' as timestamptz) as snapshot_at,
        try_cast(evidence->>'previous_snapshot_at' as timestamptz) as previous_snapshot_at
    from lineage_due
),

invoiced as (
    select keyed.exception_id, invoices.carrier, invoices.tracking_number
    from keyed
    inner join staging.carrier_invoices as invoices on keyed.invoice_id = invoices.invoice_id
),

shipment_ids as (
    select * from exception_shipment_ids('keyed')  -- warehouse/macros.sql
),

parcels as (
    select shipment_ids.exception_id, shipments.carrier, shipments.tracking_number
    from shipment_ids
    inner join staging.shipments as shipments on shipment_ids.shipment_id = shipments.shipment_id
    union
    select exception_id, carrier, tracking_number from invoiced
),

used as (
    select keyed.exception_id, 'orders' as table_name, 'order_id=' || rows.order_id as row_key,
        rows._batch_id, rows._row_number
    from keyed inner join staging.orders as rows on keyed.order_id = rows.order_id
    union all
    select keyed.exception_id, 'order_lines', 'order_id=' || rows.order_id || ', line_no=' || rows.line_no,
        rows._batch_id, rows._row_number
    from keyed inner join staging.order_lines as rows
        on keyed.order_id = rows.order_id and (keyed.line_no is null or keyed.line_no = rows.line_no)
    union all
    select keyed.exception_id, 'payments', 'payment_id=' || rows.payment_id, rows._batch_id, rows._row_number
    from keyed inner join staging.payments as rows on keyed.order_id = rows.order_id
    union all
    select keyed.exception_id, 'allocations', 'allocation_id=' || rows.allocation_id, rows._batch_id, rows._row_number
    from keyed inner join staging.allocations as rows on keyed.order_id = rows.order_id
    union all
    select keyed.exception_id, 'skus', 'sku=' || rows.sku, rows._batch_id, rows._row_number
    from keyed inner join staging.skus as rows on keyed.sku = rows.sku
    union all
    select keyed.exception_id, 'stock_snapshots',
        'warehouse_id=' || rows.warehouse_id || ', sku=' || rows.sku || ', snapshot_at=' || strftime(rows.snapshot_at, '%Y-%m-%dT%H:%M:%SZ'),
        rows._batch_id, rows._row_number
    from keyed inner join staging.stock_snapshots as rows
        on keyed.warehouse_id = rows.warehouse_id and keyed.sku = rows.sku
        and (rows.snapshot_at = keyed.snapshot_at or rows.snapshot_at = keyed.previous_snapshot_at)
    union all
    select keyed.exception_id, 'stock_movements', 'movement_id=' || rows.movement_id, rows._batch_id, rows._row_number
    from keyed inner join staging.stock_movements as rows
        on keyed.warehouse_id = rows.warehouse_id and keyed.sku = rows.sku
        and rows.occurred_at > keyed.previous_snapshot_at and rows.occurred_at <= keyed.snapshot_at
    union all
    select keyed.exception_id, 'stock_movements', 'movement_id=' || rows.movement_id, rows._batch_id, rows._row_number
    from keyed inner join staging.stock_movements as rows on keyed.order_id = rows.order_id
    union all
    select shipment_ids.exception_id, 'shipments', 'shipment_id=' || rows.shipment_id, rows._batch_id, rows._row_number
    from shipment_ids inner join staging.shipments as rows on shipment_ids.shipment_id = rows.shipment_id
    union all
    select shipment_ids.exception_id, 'shipment_lines', 'shipment_id=' || rows.shipment_id || ', sku=' || rows.sku,
        rows._batch_id, rows._row_number
    from shipment_ids inner join staging.shipment_lines as rows on shipment_ids.shipment_id = rows.shipment_id
    union all
    select parcels.exception_id, 'tracking_events',
        'tracking_number=' || rows.tracking_number || ', status=' || rows.status || ', event_at='
            || strftime(rows.event_at, '%Y-%m-%dT%H:%M:%SZ'),
        rows._batch_id, rows._row_number
    from parcels inner join staging.tracking_events as rows
        on parcels.carrier = rows.carrier and parcels.tracking_number = rows.tracking_number
    union all
    select keyed.exception_id, 'carrier_invoices', 'invoice_id=' || rows.invoice_id, rows._batch_id, rows._row_number
    from keyed inner join staging.carrier_invoices as rows on keyed.invoice_id = rows.invoice_id
    union all
    select parcels.exception_id, 'carrier_invoices', 'invoice_id=' || rows.invoice_id, rows._batch_id, rows._row_number
    from parcels inner join staging.carrier_invoices as rows
        on parcels.carrier = rows.carrier and parcels.tracking_number = rows.tracking_number
),

wanted as (
    select used.*
    from used
    inner join keyed on used.exception_id = keyed.exception_id
    inner join lineage_tables as tables on keyed.check_id = tables.check_id and used.table_name = tables.table_name
),

-- where each used row was read: its raw row (staging keeps _batch_id and _row_number)
read_from as (
    select wanted.exception_id, wanted.table_name, wanted.row_key, raw._source, raw._file, raw._row_number
    from wanted
    inner join (
        select 'orders' as table_name, _batch_id, _row_number, _source, _file from raw.orders
        union all select 'order_lines', _batch_id, _row_number, _source, _file from raw.order_lines
        union all select 'payments', _batch_id, _row_number, _source, _file from raw.payments
        union all select 'allocations', _batch_id, _row_number, _source, _file from raw.allocations
        union all select 'skus', _batch_id, _row_number, _source, _file from raw.skus
        union all select 'stock_snapshots', _batch_id, _row_number, _source, _file from raw.stock_snapshots
        union all select 'stock_movements', _batch_id, _row_number, _source, _file from raw.stock_movements
        union all select 'shipments', _batch_id, _row_number, _source, _file from raw.shipments
        union all select 'shipment_lines', _batch_id, _row_number, _source, _file from raw.shipment_lines
        union all select 'tracking_events', _batch_id, _row_number, _source, _file from raw.tracking_events
        union all select 'carrier_invoices', _batch_id, _row_number, _source, _file from raw.carrier_invoices
    ) as raw
        on wanted.table_name = raw.table_name
        and wanted._batch_id = raw._batch_id
        and wanted._row_number = raw._row_number
    union all
    -- an order's input rows that never loaded: read straight from the quarantine
    select keyed.exception_id, 'quarantine',
        quarantined.table_name || ' ' || quarantined.reason || coalesce(', ' || quarantined.entity_key, ''),
        quarantined._source, quarantined._file, quarantined._row_number
    from keyed
    inner join raw.quarantine as quarantined on keyed.order_id = quarantined.order_id
    inner join lineage_tables as tables on keyed.check_id = tables.check_id and tables.table_name = 'quarantine'
)

select distinct
    read_from.exception_id, $run_id::varchar, $as_of::timestamptz, keyed.evidence_md5,
    read_from.table_name, read_from.row_key, read_from._source, read_from._file, read_from._row_number
from read_from
inner join keyed on read_from.exception_id = keyed.exception_id
