-- grain: one row per input row of exception $exception_id, as its last lineage was written.
select table_name, row_key, source, file, row_number, run_id, as_of
from published.exception_lineage
where exception_id = $exception_id::varchar
order by table_name, file, row_number, row_key
