-- grain: one row per exception ever seen, as it stands after the run at as_of,
-- with the change the run made to it (event: new, reopened, escalated, resolved or null).
-- Severities rank by their position in getvariable('severities'), lowest first.
-- A new episode opens when the problem began (exceptions.current.began_at, the check's own
-- rule), not when this run saw it; a reopened one no earlier than its last resolution, so
-- episodes never overlap. first_seen_at keeps when the tool first saw the exception.
-- Ids: md5(check_id|entity_id) for the single shop; a named tenant's (getvariable('tenant')) start
-- with its name, md5(tenant|check_id|entity_id), so ids of different tenants never meet.
create or replace temp table ledger_next as
with found as (
    select
        md5(coalesce(getvariable('tenant') || '|', '') || check_id || '|' || entity_id) as exception_id,
        check_id, stage, entity_type, entity_id, owner, severity as base_severity, amount_at_risk, evidence,
        began_at
    from exceptions.current
),

previous as (
    select * from exceptions.ledger
),

merged as (
    select
        coalesce(found.exception_id, previous.exception_id) as exception_id,
        coalesce(found.check_id, previous.check_id) as check_id,
        coalesce(found.stage, previous.stage) as stage,
        coalesce(found.entity_type, previous.entity_type) as entity_type,
        coalesce(found.entity_id, previous.entity_id) as entity_id,
        coalesce(found.owner, previous.owner) as owner,
        coalesce(found.base_severity, previous.base_severity) as base_severity,
        found.began_at,
        found.exception_id is not null as is_found,
        previous.exception_id is not null as is_known,
        previous.status as previous_status,
        previous.severity as previous_severity,
        previous.first_seen_at,
        previous.opened_at,
        previous.last_seen_at,
        previous.resolved_at,
        previous.occurrences,
        previous.reopen_count,
        previous.age_business_hours,
        coalesce(found.amount_at_risk, previous.amount_at_risk) as amount_at_risk,
        coalesce(found.evidence, previous.evidence) as evidence,
        previous.acknowledged_by,
        previous.acknowledged_at,
        previous.acknowledged_severity,
        previous.note,
        previous.snoozed_until
    from found
    full outer join previous on found.exception_id = previous.exception_id
),

episodes as (
    select
        *,
        is_found and (not is_known or previous_status = 'resolved') as starts_episode,
        is_known and not is_found and previous_status <> 'resolved' as ends_episode
    from merged
),

timed as (
    select
        episodes.*,
        case
            when starts_episode and is_known
                then greatest(coalesce(began_at, getvariable('as_of')), resolved_at)
            when starts_episode then coalesce(began_at, getvariable('as_of'))
            else opened_at
        end as new_opened_at,
        checks.escalate_every_business_hours
    from episodes
    left join exceptions.checks as checks on episodes.check_id = checks.check_id
),

aged as (
    select
        *,
        case
            when is_found then business_hours_between(new_opened_at, getvariable('as_of'))
            else age_business_hours
        end as new_age
    from timed
),

rated as (
    select
        *,
        case
            when not is_found then coalesce(previous_severity, base_severity)
            when escalate_every_business_hours is null or new_age is null then base_severity
            else getvariable('severities')[least(
                list_position(getvariable('severities'), base_severity)
                    + floor(new_age / escalate_every_business_hours)::integer,
                len(getvariable('severities'))
            )]
        end as new_severity
    from aged
),

ranked as (
    select
        *,
        list_position(getvariable('severities'), new_severity) as new_rank,
        list_position(getvariable('severities'), previous_severity) as previous_rank,
        list_position(getvariable('severities'), acknowledged_severity) as acknowledged_rank
    from rated
),

final as (
    select
        exception_id,
        check_id,
        stage,
        entity_type,
        entity_id,
        owner,
        case
            when starts_episode and is_known then 'reopened'
            when starts_episode then 'open'
            when ends_episode or not is_found then 'resolved'
            -- an acknowledged exception comes back when its severity rises or its snooze ends
            when previous_status = 'acknowledged' and new_rank > acknowledged_rank then 'open'
            when previous_status = 'acknowledged' and snoozed_until <= getvariable('as_of') then 'open'
            else previous_status
        end as status,
        base_severity,
        new_severity as severity,
        coalesce(first_seen_at, getvariable('as_of')) as first_seen_at,
        new_opened_at as opened_at,
        case when is_found then getvariable('as_of') else last_seen_at end as last_seen_at,
        case
            when ends_episode then getvariable('as_of')
            when is_found then null
            else resolved_at
        end as resolved_at,
        coalesce(occurrences, 0)
            + case when is_found and (last_seen_at is null or last_seen_at < getvariable('as_of')) then 1 else 0 end
            as occurrences,
        coalesce(reopen_count, 0) + case when starts_episode and is_known then 1 else 0 end as reopen_count,
        new_age as age_business_hours,
        amount_at_risk,
        evidence,
        case when starts_episode then null else acknowledged_by end as acknowledged_by,
        case when starts_episode then null else acknowledged_at end as acknowledged_at,
        case when starts_episode then null else acknowledged_severity end as acknowledged_severity,
        case when starts_episode then null else note end as note,
        case when starts_episode then null else snoozed_until end as snoozed_until,
        case
            when starts_episode and is_known then 'reopened'
            when starts_episode then 'new'
            when ends_episode then 'resolved'
            when is_found and new_rank > previous_rank then 'escalated'
        end as event
    from ranked
)

select * from final;
