-- audit.check_runs.reasons: why a check was not evaluated, as codes with their parameters
-- (tasks/applicability.py REASON_WORDING), so the report translates them by code rather than by
-- matching English words. `reason` keeps the English wording for logs and artifacts.
alter table audit.check_runs add column reasons struct(code varchar, table_name varchar, column_name varchar)[];

-- Rows decided before this release: their wording came from the same three templates a run writes.
update audit.check_runs
set reasons = list_transform(string_split(reason, '; '), part -> case
    when part = 'disabled in settings'
        then {'code': 'disabled', 'table_name': null::varchar, 'column_name': null::varchar}
    when regexp_full_match(part, 'no [a-z_]+ feed')
        then {'code': 'no_feed', 'table_name': regexp_extract(part, '^no ([a-z_]+) feed$', 1),
              'column_name': null::varchar}
    when regexp_full_match(part, '[a-z_]+\.[a-z_]+ is empty in every row')
        then {'code': 'empty_column', 'table_name': regexp_extract(part, '^([a-z_]+)\.', 1),
              'column_name': regexp_extract(part, '^[a-z_]+\.([a-z_]+) ', 1)}
end)
where reason is not null;
