"""A warehouse with many open exceptions, written straight into the tables the report reads.

Running 100,000 exceptions through the simulator would take minutes; the report only reads
exceptions.* and published.*, so this fills those with SQL in about a second. Evidence, ids
and amounts look like the real checks' (late_shipment's evidence, md5 ids), so sizes are honest.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from expectations.catalog import all_checks, configured_catalog
from warehouse.database import connect, migrate

AS_OF = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
CARRIERS = ("Correios", "Jadlog", "Loggi", "Total Express", "Azul Cargo")

# One run: the exceptions open at it, each opened some hours before and found every run since.
EXCEPTIONS = """
insert into published.exceptions by name
with numbered as (
    select range as n, checks.*
    from range($count::bigint)
    inner join (select unnest($checks::varchar[]) as check_id, unnest($stages::varchar[]) as stage,
                       unnest($entities::varchar[]) as entity_type, unnest($owners::varchar[]) as owner,
                       unnest($severities::varchar[]) as severity, generate_subscripts($checks, 1) - 1 as k)
        as checks on checks.k = range % len($checks)
)
select
    $run_id::varchar as run_id, $as_of::timestamptz as as_of,
    md5(check_id || '|' || 'O-' || lpad(n::varchar, 7, '0')) as exception_id,
    check_id, stage, entity_type, 'O-' || lpad(n::varchar, 7, '0') as entity_id, owner,
    case when n % 50 = 0 then 'acknowledged' when n % 17 = 0 then 'reopened' else 'open' end as status,
    severity as base_severity,
    case when n % 7 = 0 then 'critical' else severity end as severity,
    $as_of::timestamptz - to_minutes((n * 37) % 20000) as first_seen_at,
    $as_of::timestamptz - to_minutes((n * 37) % 20000) as opened_at,
    $as_of::timestamptz as last_seen_at, null as resolved_at, 1 + n % 30 as occurrences, 0 as reopen_count,
    round(((n * 37) % 20000) / 60 * 0.4, 1) as age_business_hours,
    (100 + (n * 7919) % 250000 / 100.0)::decimal(18, 2) as amount_at_risk,
    json_object('status', 'paid', 'promised_ship_by',
                strftime($as_of::timestamptz - to_minutes((n * 37) % 20000), '%Y-%m-%d %H:%M:%S+00'),
                'shipped_at', null, 'hours_late', round(((n * 37) % 20000) / 60, 1),
                'sku', 'SKU-' || lpad((n % 997)::varchar, 5, '0'))::varchar as evidence,
    case when n % 50 = 0 then 'ana' end as acknowledged_by,
    case when n % 50 = 0 then $as_of::timestamptz - interval 1 hour end as acknowledged_at,
    null as acknowledged_severity, null as note, null as snoozed_until
from numbered
"""

HISTORY = """
insert into exceptions.history
select run_id, as_of, stage, check_id, severity, status, count(*), sum(amount_at_risk)
from published.exceptions where run_id = $run_id::varchar group by all
"""

EVENTS = """
insert into exceptions.ledger_events
select $run_id::varchar, $as_of::timestamptz, exception_id, 'new', base_severity, opened_at
from published.exceptions where run_id = $run_id::varchar
"""

LINKS = """
insert into published.exception_links
select run_id, as_of, exception_id, 'carrier',
       list_extract($carriers::varchar[], (1 + hash(exception_id) % 5)::integer)
from published.exceptions where run_id = $run_id::varchar
union all
select run_id, as_of, exception_id, 'owner', owner from published.exceptions where run_id = $run_id::varchar
"""


def build_big_warehouse(path: Path, count: int) -> duckdb.DuckDBPyConnection:
    """A warehouse whose latest publication has `count` open exceptions; the one before it had none."""
    con = connect(path)
    migrate(con, AS_OF)
    checks = [check for check in all_checks(configured_catalog({})) if check.enabled]
    previous, run_id = uuid.uuid4().hex, uuid.uuid4().hex
    con.execute("insert into exceptions.publications values (?, ?, ?, 0)",
                [previous, AS_OF - timedelta(hours=1), AS_OF - timedelta(hours=1)])
    con.execute(EXCEPTIONS, {
        "run_id": run_id, "as_of": AS_OF, "count": count,
        "checks": [c.id for c in checks], "stages": [c.stage for c in checks],
        "entities": [c.entity for c in checks], "owners": [c.owner for c in checks],
        "severities": [c.severity for c in checks],
    })
    money = con.execute("select sum(amount_at_risk) from published.exceptions").fetchone()[0]
    con.execute("insert into exceptions.publications values (?, ?, ?, ?)", [run_id, AS_OF, AS_OF, money])
    con.execute("insert into published.on_time values (?, ?, 900, 800, 700, 650)", [run_id, AS_OF])
    con.execute(HISTORY, {"run_id": run_id})
    con.execute(EVENTS, {"run_id": run_id, "as_of": AS_OF})
    con.execute(LINKS, {"run_id": run_id, "carriers": list(CARRIERS)})
    return con
