-- After publication: alerts that must survive a crash, failures that happen once the
-- publication is committed, and totals wide enough for any valid amount.

-- Alerts to send, written in the publish transaction and drained by the share step and by
-- the next run (oldest first). sent_at stays null until the notification went out: at least once.
create table audit.outbox (
    alert_id varchar primary key, run_id varchar not null, created_at timestamptz not null,
    block varchar not null, subject varchar not null, body varchar not null,
    changes integer not null, sent_at timestamptz
);

-- A run is completed when its publication commits; what fails after that (report, alerts,
-- pruning) is kept here and leaves audit.runs saying completed.
create table audit.run_errors (
    run_id varchar not null, failed_at timestamptz not null, error varchar not null
);

-- Sums of 18-digit amounts need more digits than one amount.
alter table exceptions.history alter amount_at_risk type decimal(38, 2);
alter table exceptions.publications alter money_at_risk type decimal(38, 2);
