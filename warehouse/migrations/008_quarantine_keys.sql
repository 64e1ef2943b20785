-- raw.quarantine learns which entity a quarantined row was about, where it could be read:
-- its key (entity_key, e.g. "allocation_id=A-1") and the order it concerns (order_id). The
-- check order_inputs_quarantined reports orders that cannot be judged because an input of
-- theirs is here. Rows quarantined before this version keep NULL in both.
alter table raw.quarantine add column entity_key varchar;
alter table raw.quarantine add column order_id varchar;
