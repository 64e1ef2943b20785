-- published: what each publication showed, kept per run so a past window's report reads its own
-- window. Written by the publish transaction (warehouse/published/*.sql); the CLI, the report and
-- the artifacts read exceptions.*, audit.* and published.*, never staging or core.
create schema if not exists published;

-- The active ledger rows as a publication left them (status, owner, age, evidence as of then).
-- Same columns as exceptions.ledger, whatever migrations before this one gave it.
create table published.exceptions as
select ''::varchar as run_id, null::timestamptz as as_of, *
from exceptions.ledger
limit 0;

-- What each active exception involves (sku, warehouse, carrier, owner), resolved at publish time
-- from the staged shipments and order lines of then.
create table published.exception_links (
    run_id varchar not null, as_of timestamptz not null, exception_id varchar not null,
    dimension varchar not null, name varchar not null
);

-- Orders whose promise fell in the 7 days up to as_of, and how many kept it.
-- Null on_time when the check that knows the rule (late_shipment, late_delivery) was not published.
create table published.on_time (
    run_id varchar not null, as_of timestamptz not null,
    ship_due bigint not null, ship_on_time bigint, delivery_due bigint not null, delivery_on_time bigint
);
