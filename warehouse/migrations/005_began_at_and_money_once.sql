-- Money counted once, and ages from when the problem began (issue 10).

-- The headline money at risk of each publication, each entity's value counted once
-- (warehouse/ledger/money.sql). Null for publications made before this column existed.
alter table exceptions.publications add column money_at_risk decimal(18, 2);

-- The episode's opened_at as of each event, so a past window's report ages its exceptions
-- from when their problems began. Null for events recorded before this column existed.
alter table exceptions.ledger_events add column opened_at timestamptz;
