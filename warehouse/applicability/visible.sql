-- grain: one row for one (staging table, column) a check needs: the table's rows visible as of
-- the run (staging keeps only rows known at as_of) and how many of them fill the column.
-- The placeholders in braces are names from the canonical model (sources/canonical.py), never data.
select count(*) as visible_rows, count({column}) as filled_rows
from staging.{table}
