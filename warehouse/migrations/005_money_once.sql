-- The headline money at risk of each publication, each entity's value counted once
-- (warehouse/ledger/money.sql). Null for publications made before this column existed.
alter table exceptions.publications add column money_at_risk decimal(18, 2);
