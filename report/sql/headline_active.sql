-- grain: one row: active exceptions, those being handled, and their money at risk.
select
    count(*) as open,
    count(*) filter (where status = 'acknowledged') as acknowledged,
    coalesce(sum(amount_at_risk), 0) as money_at_risk
from report_active
