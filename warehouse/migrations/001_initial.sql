-- The warehouse layout: raw (as landed), staging (typed, latest), core (facts),
-- exceptions (per-check tables), audit (runs, batches, validations).
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists core;
create schema if not exists exceptions;
create schema if not exists audit;

-- raw: every column as delivered (text), plus lineage. Append-only.
create table raw.orders (
    order_id varchar, channel varchar, customer_id varchar, placed_at varchar,
    status varchar, currency varchar, shipping_amount varchar, discount_amount varchar,
    total_amount varchar, promised_ship_by varchar, promised_delivery_by varchar,
    ship_to_country varchar, ship_to_region varchar, ship_to_postcode varchar,
    cancelled_at varchar, updated_at varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.order_lines (
    order_id varchar, order_updated_at varchar, line_no varchar, sku varchar,
    quantity varchar, unit_price varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.payments (
    payment_id varchar, order_id varchar, order_updated_at varchar, kind varchar,
    amount varchar, currency varchar, occurred_at varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.skus (
    sku varchar, description varchar, unit_weight_kg varchar, reorder_point varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.allocations (
    allocation_id varchar, order_id varchar, line_no varchar, sku varchar,
    warehouse_id varchar, quantity varchar, allocated_at varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.stock_snapshots (
    snapshot_at varchar, warehouse_id varchar, sku varchar, on_hand varchar, allocated varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.stock_movements (
    movement_id varchar, occurred_at varchar, warehouse_id varchar, sku varchar,
    quantity_delta varchar, reason varchar, order_id varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.shipments (
    shipment_id varchar, order_id varchar, warehouse_id varchar, carrier varchar,
    tracking_number varchar, shipped_at varchar, declared_weight_kg varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.shipment_lines (
    shipment_id varchar, sku varchar, quantity varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.tracking_events (
    carrier varchar, tracking_number varchar, event_at varchar, status varchar, location varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);
create table raw.carrier_invoices (
    invoice_id varchar, carrier varchar, tracking_number varchar, billed_weight_kg varchar,
    charged_amount varchar, service varchar, invoiced_at varchar,
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);

-- audit: what each run did.
create table audit.runs (
    run_id varchar primary key, flow_run_id varchar, window_start timestamptz not null,
    window_end timestamptz not null, started_at timestamptz not null,
    finished_at timestamptz, status varchar not null
);
-- One row per landed file: rows in = rows loaded + rows rejected.
create table audit.batches (
    batch_id varchar primary key, run_id varchar not null, source varchar not null,
    file varchar not null, sha256 varchar not null, rows_in bigint not null,
    rows_loaded bigint not null, rows_rejected bigint not null, loaded_at timestamptz not null
);
create table audit.row_counts (
    run_id varchar not null, step varchar not null, table_name varchar not null, row_count bigint not null
);
create table audit.validations (
    run_id varchar not null, suite varchar not null, check_id varchar not null,
    expectation varchar not null, success boolean not null, unexpected_count bigint,
    duration_s double not null, validated_at timestamptz not null
);
