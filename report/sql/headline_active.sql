-- grain: one row: active exceptions, those being handled, and their money at risk, each
-- entity's value counted once (as the reported run measured it, warehouse/ledger/money.sql).
select
    count(*) as open,
    count(*) filter (where status = 'acknowledged') as acknowledged,
    coalesce(
        (select money_at_risk from exceptions.publications where run_id = $run_id),
        sum(amount_at_risk),
        0
    ) as money_at_risk
from report_active
