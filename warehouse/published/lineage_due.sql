-- grain: one row per active exception whose lineage the publication of $run_id writes: those with
-- none yet, those whose evidence changed since theirs was written, and those the run reopened.
-- Everything else keeps the lineage it has, so a run's cost follows its changes, not the open ledger.
create or replace temp table lineage_due as
with written as (
    select distinct exception_id, evidence_md5 from published.exception_lineage
),

reopened as (
    select exception_id from exceptions.ledger_events
    where run_id = $run_id::varchar and event = 'reopened'
),

active as (
    select
        exception_id, check_id, entity_type, entity_id, md5(coalesce(evidence, '')) as evidence_md5,
        try_cast(evidence as json) as evidence
    from exceptions.ledger
    where status <> 'resolved'
)

select active.*
from active
where not exists (
    select 1 from written
    where written.exception_id = active.exception_id and written.evidence_md5 = active.evidence_md5
)
union
select active.*
from active
inner join reopened on active.exception_id = reopened.exception_id
