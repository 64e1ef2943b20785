-- grain: one row: whether every active exception's id is md5(check_id|entity_id), as
-- warehouse/ledger/next.sql makes them; then the page can compute ids instead of carrying them.
select coalesce(bool_and(exception_id = md5(check_id || '|' || entity_id)), true) as derived
from report_active
