-- grain: one row: whether every active exception's id is md5($prefix || check_id|entity_id), as
-- warehouse/ledger/next.sql makes them ($prefix: 'tenant|' for a named tenant, '' for the single shop);
-- then the page can compute ids instead of carrying them.
select coalesce(bool_and(exception_id = md5($prefix::varchar || check_id || '|' || entity_id)), true) as derived
from report_active
