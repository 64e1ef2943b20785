-- The exception ledger: one row per (check, entity) across runs, its lifecycle and history.

-- Checks as configured for the last publish (severity, owner, escalation).
create table exceptions.checks (
    check_id varchar primary key, stage varchar not null, entity_type varchar not null,
    severity varchar not null, owner varchar not null, catches varchar not null,
    escalate_every_business_hours double
);

create table exceptions.ledger (
    exception_id varchar primary key,          -- md5 of check_id and entity_id: stable across runs
    check_id varchar not null,
    stage varchar not null,
    entity_type varchar not null,
    entity_id varchar not null,
    owner varchar not null,
    status varchar not null,                   -- open, acknowledged, resolved, reopened
    base_severity varchar not null,
    severity varchar not null,                 -- base severity escalated with age
    first_seen_at timestamptz not null,
    opened_at timestamptz not null,            -- start of the current episode
    last_seen_at timestamptz not null,
    resolved_at timestamptz,
    occurrences integer not null,              -- runs (distinct as_of) that found it
    reopen_count integer not null,
    age_business_hours double,
    amount_at_risk decimal(18, 2),
    evidence varchar,
    acknowledged_by varchar,
    acknowledged_at timestamptz,
    acknowledged_severity varchar,
    note varchar,
    snoozed_until timestamptz
);

-- What changed at each publish: new, reopened, escalated, resolved, returned (ack lifted).
create table exceptions.ledger_events (
    run_id varchar not null, as_of timestamptz not null, exception_id varchar not null,
    event varchar not null, severity varchar not null
);

-- Acknowledgements and snoozes as people gave them.
create table exceptions.ledger_actions (
    exception_id varchar not null, action varchar not null, actor varchar not null,
    note varchar, snoozed_until timestamptz, acted_at timestamptz not null
);

-- Counts by stage, check, severity and status, one snapshot per published as_of.
create table exceptions.history (
    run_id varchar not null, as_of timestamptz not null, stage varchar not null, check_id varchar not null,
    severity varchar not null, status varchar not null, exceptions integer not null,
    amount_at_risk decimal(18, 2) not null
);

-- Every as_of that was published; the newest is the ledger's present.
create table exceptions.publications (
    run_id varchar not null, as_of timestamptz not null, published_at timestamptz not null
);
