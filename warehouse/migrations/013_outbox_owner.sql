-- One digest per owner and run: the outbox row names the owner it is for and, for an email
-- block, the addresses it goes to, so a row left by a crash is delivered as it was queued.
-- Rows queued before this migration were the run's one digest for everyone: owner null.
alter table audit.outbox add column owner varchar;
alter table audit.outbox add column recipients varchar[];
