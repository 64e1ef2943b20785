"""The exception ledger: merge a run's exceptions, acknowledge, snooze, export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
from duckdb.sqltypes import VARCHAR

from expectations.catalog import SEVERITIES, Suite, all_checks
from report.csv_cells import defuse
from retaguarda.settings import Settings
from warehouse.database import SQL_DIR, prepare_session, set_variables

NEXT_SQL = SQL_DIR / "ledger" / "next.sql"
# The ledger's statuses, defined only here; every one but the last is still being worked.
STATUSES = ("open", "acknowledged", "reopened", "resolved")
ACTIVE = STATUSES[:-1]
MONEY_SQL = SQL_DIR / "ledger" / "money.sql"
EXPORT_COLUMNS = ("exception_id", "check_id", "stage", "severity", "status", "owner", "entity_type", "entity_id",
                  "opened_at", "age_business_hours", "amount_at_risk", "acknowledged_by", "note", "evidence")
TEXT_EXPORT_COLUMNS = {"exception_id", "check_id", "stage", "severity", "status", "owner", "entity_type", "entity_id",
                       "acknowledged_by", "note", "evidence"}


class LedgerError(ValueError):
    """An action the ledger cannot take; the message says why."""


def published_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The newest as_of published: the ledger's present."""
    return con.execute("select max(as_of) from exceptions.publications").fetchone()[0]


def refresh_checks(con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...], settings: Settings) -> None:
    con.execute("delete from exceptions.checks")
    con.executemany(
        "insert into exceptions.checks values (?, ?, ?, ?, ?, ?, ?)",
        [[c.id, c.stage, c.entity, c.severity, c.owner, c.catches, settings.escalation(c.id)]
         for c in all_checks(suites)],
    )


def update_ledger(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: datetime, keep: list[str] | None = None,
    tenant: str | None = None,
) -> dict[str, int]:
    """Merge exceptions.current into the ledger (inside the caller's transaction); events by kind.

    The rows of the checks in `keep` (not evaluated this run) stay exactly as they were. A named
    `tenant`'s exception ids start from its name (warehouse/ledger/next.sql).
    """
    set_variables(con, {"severities": list(SEVERITIES), "tenant": tenant})
    con.execute(NEXT_SQL.read_text())
    if keep:
        con.execute("delete from ledger_next where list_contains(?, check_id)", [keep])
        con.execute(
            "insert into ledger_next by name select *, null::varchar as event from exceptions.ledger "
            "where list_contains(?, check_id)",
            [keep],
        )
    con.execute(
        "insert into exceptions.ledger_events (run_id, as_of, exception_id, event, severity, opened_at) "
        "select ?, ?, exception_id, event, severity, opened_at from ledger_next where event is not null",
        [run_id, as_of],
    )
    con.execute("delete from exceptions.ledger")
    con.execute("insert into exceptions.ledger select * exclude (event) from ledger_next")
    events = dict(
        con.execute(
            "select event, count(*) from ledger_next where event is not null group by event"
        ).fetchall()
    )
    con.execute("drop table ledger_next")
    con.execute("delete from exceptions.history where as_of = ?", [as_of])
    con.execute(
        """
        insert into exceptions.history
        select ?, ?, stage, check_id, severity, status, count(*), coalesce(sum(amount_at_risk), 0)
        from exceptions.ledger
        where status <> 'resolved' or resolved_at = ?
        group by all
        """,
        [run_id, as_of, as_of],
    )
    money = con.execute(MONEY_SQL.read_text()).fetchone()[0]
    con.execute(
        "insert into exceptions.publications (run_id, as_of, published_at, money_at_risk) values (?, ?, now(), ?)",
        [run_id, as_of, money],
    )
    return events


def acknowledge(
    con: duckdb.DuckDBPyConnection,
    exception_id: str,
    actor: str,
    note: str,
    now: datetime,
    snooze_until: datetime | None = None,
) -> None:
    """Mark an active exception as being handled, optionally hidden until `snooze_until`."""
    if not actor.strip() or not note.strip():
        raise LedgerError("an acknowledgement needs who did it and a note")
    row = con.execute(
        "select status, severity from exceptions.ledger where exception_id = ?", [exception_id]
    ).fetchone()
    if row is None:
        raise LedgerError(f"no exception {exception_id!r} in the ledger")
    if row[0] not in ACTIVE:
        raise LedgerError(f"exception {exception_id} is {row[0]}; only open ones can be acknowledged")
    if snooze_until is not None and snooze_until <= now:
        raise LedgerError("snooze_until must be in the future")
    con.execute("begin transaction")
    con.execute(
        """
        update exceptions.ledger
        set status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, acknowledged_severity = severity,
            note = ?, snoozed_until = ?
        where exception_id = ?
        """,
        [actor, now, note, snooze_until, exception_id],
    )
    con.execute(
        "insert into exceptions.ledger_actions values (?, ?, ?, ?, ?, ?)",
        [exception_id, "snooze" if snooze_until else "acknowledge", actor, note, snooze_until, now],
    )
    con.execute("commit")


def export_open(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    """Write the active ledger as Parquet and CSV for the ops teams; the CSV's text cannot run as a formula."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f"defuse_formula({name}::varchar) as {name}" if name in TEXT_EXPORT_COLUMNS else name
                        for name in EXPORT_COLUMNS)
    query = (
        "select {columns} from exceptions.ledger where status <> 'resolved' "
        "order by list_position(?, severity) desc, opened_at, exception_id"  # worst first
    )
    paths = [folder / "open_exceptions.parquet", folder / "open_exceptions.csv"]
    cursor = con.cursor()  # the function is registered on this cursor's connection only
    try:
        prepare_session(cursor)  # a lake's schemas, as on `con`
        cursor.create_function("defuse_formula", defuse, [VARCHAR], VARCHAR)
        targets = (
            (paths[0], ", ".join(EXPORT_COLUMNS), "(format parquet)"),
            (paths[1], columns, "(format csv, header)"),
        )
        for path, selected, options in targets:
            # COPY cannot take its target as a bound parameter; the path is ours, quoted safely.
            target = str(path).replace("'", "''")
            cursor.execute(f"copy ({query.format(columns=selected)}) to '{target}' {options}", [list(SEVERITIES)])
    finally:
        cursor.close()
    return paths
