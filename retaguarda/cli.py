"""The operators' command line: `retaguarda --help`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from expectations.catalog import SEVERITIES
from retaguarda.output import LOCAL_FORMAT, in_zone, limit_note, print_rows, zone_name
from retaguarda.serve import DEFAULT_HOST, DEFAULT_PORT
from retaguarda.settings import Settings, SettingsError, load_settings
from retaguarda.tenants import TENANTS_VARIABLE, load_tenant
from retaguarda.window import STEPS, hourly_window, local_midnight, window_of
from tasks.ledger import ACTIVE, STATUSES
from warehouse.access import open_writer
from warehouse.database import WarehouseCorrupt, WarehouseError, WarehouseUnwritable

# Exit codes scripts can rely on.
OK, FAILED, USAGE, BUSY, NOT_FOUND, NO_SERVER = 0, 1, 2, 3, 4, 5


class CliError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _when(value: str) -> datetime:
    """An ISO-8601 instant with its zone, e.g. 2026-11-27T14:00:00Z."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {value}Z or {value}-03:00")
    return parsed


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (--all for no limit), got {number}")
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {number}")
    return number


def _on_the_hour(value: datetime | None) -> None:
    if value is not None and (value.minute, value.second, value.microsecond) != (0, 0, 0):
        raise CliError(f"a window starts on the hour, got {value.isoformat()}", USAGE)


def _check_mapping(settings: Settings) -> None:
    """A run fails on a bad mapping file anyway; say so as a settings error before starting Prefect."""
    if settings.source.kind != "mapped":
        return
    from sources.mapping import MappingError, load_mapping

    try:
        load_mapping(settings.source.mapping)
    except (MappingError, OSError) as exc:
        raise CliError(f"mapping {settings.source.mapping}: {exc}", USAGE) from exc


def _start_prefect() -> None:
    from retaguarda.server import ServerStartError, start_temporary_server

    try:
        start_temporary_server()
    except ServerStartError as exc:
        raise CliError(str(exc), NO_SERVER) from exc


def _read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The reader copy of the last publication: never waits for a run, never makes one wait."""
    from warehouse.reader_copy import open_reader_copy

    if settings.warehouse.kind == "ducklake":  # a lake's readers read its last snapshot
        return open_reader_copy(settings.warehouse.target)
    path = settings.warehouse.path
    if path.is_dir():
        raise WarehouseUnwritable(f"{path} is a folder, not a warehouse file: point warehouse.path at a file")
    if not path.exists():
        raise CliError(f"no warehouse at {path}: run `retaguarda run` first", NOT_FOUND)
    try:
        return open_reader_copy(path)
    except (FileNotFoundError, WarehouseCorrupt):
        _refresh_reader_copy(settings)  # a warehouse from before reader copies, or a damaged copy
    return open_reader_copy(path)


def _refresh_reader_copy(settings: Settings) -> None:
    """Write the reader copy from the warehouse, as a writer (waits for a run like `ack` does)."""
    from warehouse.lock import writer_lock
    from warehouse.reader_copy import write_reader_copy

    path = settings.warehouse.path
    with writer_lock(path, "reader copy", settings.warehouse.lock_wait_seconds):
        con = open_writer(path, settings.warehouse.lock_wait_seconds)
        try:
            write_reader_copy(con, path)
        finally:
            con.close()


def _show(
    columns: list[str], rows: list[tuple], total: int, args: argparse.Namespace, settings: Settings,
    times: set[str],
) -> None:
    """Print the rows; when the limit cut them, say so (beside a table; on stderr for data formats)."""
    zone = ZoneInfo(settings.calendar.timezone)
    print_rows(columns, rows, args.output, times, zone, datetime.now(UTC))
    note = limit_note(len(rows), total)
    if note:
        print(note, file=sys.stdout if args.output == "table" else sys.stderr)


def _limit(args: argparse.Namespace) -> int | None:
    return None if args.all else args.limit


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    _on_the_hour(args.window_start)
    _check_mapping(settings)
    _start_prefect()
    from flows.hourly_reconciliation import hourly_reconciliation

    hourly_reconciliation(window_start=args.window_start, settings_file=args.settings, tenant=args.tenant)
    return OK


def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    _check_mapping(settings)
    _start_prefect()  # once for the process, unless PREFECT_API_URL names a server
    from flows.schedule import run_hourly

    try:
        run_hourly(args.settings, args.tenant, minute=args.minute, runs=args.runs)
    except KeyboardInterrupt:  # Ctrl-C between or during runs: the writer lock and the run record handle it
        pass
    return OK


def default_backfill_end(now: datetime, timezone: str, step: str) -> datetime:
    """The end of the last whole window of `step` before now: the last local midnight, or the last whole hour."""
    if step == "day":
        return local_midnight(now, timezone)
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    _on_the_hour(args.start)
    _on_the_hour(args.end)
    if args.start is not None and args.end is not None and args.end <= args.start:
        raise CliError(f"backfill end {args.end.isoformat()} is not after its start {args.start.isoformat()}", USAGE)
    _check_mapping(settings)
    _start_prefect()
    from flows.backfill import backfill

    timezone = settings.calendar.timezone
    if args.from_data:
        if args.end is not None:
            raise CliError("with --from-data give only the end (or nothing: up to the last whole window)", USAGE)
        start, end = None, args.start
    else:
        if args.start is None or args.end is None:
            raise CliError("give START and END, or --from-data", USAGE)
        start, end = args.start, args.end
        try:
            window_of(start, timezone, args.step)
        except ValueError as exc:
            raise CliError(str(exc), USAGE) from exc
    end = end or default_backfill_end(datetime.now(UTC), timezone, args.step)
    summaries = backfill(
        start=start, end=end, settings_file=args.settings, resume=not args.no_resume, step=args.step,
        tenant=args.tenant,
    )
    print(f"backfill done: {len(summaries)} windows run")
    return OK


EXCEPTIONS_SQL = Path(__file__).with_name("sql") / "exceptions.sql"
RUNS_SQL = Path(__file__).with_name("sql") / "runs.sql"


def _catalog_values(settings: Settings) -> dict[str, set[str]]:
    """Valid --stage and --check values, and the owners the catalog and the settings give."""
    from expectations.catalog import CatalogError, all_checks, configured_catalog, load_catalog

    try:
        configured = all_checks(configured_catalog(settings.check_overrides()))
    except CatalogError as exc:
        raise CliError(str(exc), USAGE) from exc
    return {
        "stage": {check.stage for check in configured},
        "check_id": {check.id for check in configured},
        "owner": {check.owner for check in (*all_checks(load_catalog()), *configured)},
    }


def _check_filter(args: argparse.Namespace, column: str, valid: set[str]) -> None:
    value = getattr(args, column)
    if value and value not in valid:
        option = "--check" if column == "check_id" else f"--{column}"
        raise CliError(f"unknown {option} {value!r}; valid: {', '.join(sorted(valid))}", USAGE)


def cmd_exceptions(args: argparse.Namespace, settings: Settings) -> int:
    known = _catalog_values(settings)
    _check_filter(args, "stage", known["stage"])
    _check_filter(args, "check_id", known["check_id"])
    con = _read_only(settings)
    try:
        if args.owner:  # owners the ledger still holds are valid too (a team renamed since)
            ledger_owners = {owner for (owner,) in con.execute("select distinct owner from exceptions.ledger")
                             .fetchall()}
            _check_filter(args, "owner", known["owner"] | ledger_owners)
        cursor = con.execute(EXCEPTIONS_SQL.read_text(), {
            "statuses": [args.status] if args.status else list(ACTIVE),
            "stage": args.stage, "owner": args.owner, "severity": args.severity, "check_id": args.check_id,
            "severities": list(SEVERITIES), "limit": _limit(args),
        })
        columns, rows, total = _with_total(cursor)
    finally:
        con.close()
    _show(columns, rows, total, args, settings, {"opened", "snoozed_until"})
    return OK


def _with_total(cursor: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple], int]:
    """Columns, rows and the count before the limit, which the query gives as its last column."""
    columns = [d[0] for d in cursor.description][:-1]
    found = cursor.fetchall()
    return columns, [row[:-1] for row in found], found[0][-1] if found else 0


def _echo_acknowledgement(row: tuple, zone: ZoneInfo, prefix: str) -> str:
    exception_id, check_id, stage, entity_type, entity_id, by, at, note, until = row
    lines = [
        f"{prefix} {exception_id[:12]}",
        f"  check   {check_id} ({stage})",
        f"  entity  {entity_type} {entity_id}",
        f"  by      {by}" + (f" at {_local(at, zone)}" if at else ""),
        f"  note    {note}",
    ]
    if until is not None:
        lines.append(f"  snoozed until {_local(until, zone)}")
    return "\n".join(lines)


def _local(instant: datetime, zone: ZoneInfo) -> str:
    local = in_zone(instant, zone)
    return f"{local:{LOCAL_FORMAT}} {zone_name(local)}"


ACK_ROW_SQL = (
    "select exception_id, check_id, stage, entity_type, entity_id, acknowledged_by, acknowledged_at, note, "
    "snoozed_until from exceptions.ledger where exception_id = ?"
)


def cmd_ack(args: argparse.Namespace, settings: Settings) -> int:
    from tasks.ledger import LedgerError, acknowledge
    from warehouse.lock import writer_lock
    from warehouse.reader_copy import write_reader_copy

    zone = ZoneInfo(settings.calendar.timezone)
    now = datetime.now(UTC)
    snooze_until = args.snooze_until or (now + timedelta(hours=args.snooze_hours) if args.snooze_hours else None)
    with writer_lock(settings.warehouse.target, f"ack by {args.by}", settings.warehouse.lock_wait_seconds):
        con = open_writer(settings.warehouse.target, settings.warehouse.lock_wait_seconds)
        try:
            matches = con.execute(
                "select exception_id, status from exceptions.ledger where exception_id like ? || '%'",
                [args.exception_id],
            ).fetchall()
            if len(matches) != 1:
                raise CliError(
                    f"{'no' if not matches else 'several'} exceptions match {args.exception_id!r}", NOT_FOUND
                )
            exception_id, status = matches[0]
            if status == "acknowledged" and not args.again:
                before = con.execute(ACK_ROW_SQL, [exception_id]).fetchone()
                print(_echo_acknowledgement(before, zone, "already acknowledged:"))
                print("nothing changed; --again to acknowledge it anew")
                return OK
            acknowledge(con, exception_id, args.by, args.note, now, snooze_until)
            write_reader_copy(con, settings.warehouse.target)
            after = con.execute(ACK_ROW_SQL, [exception_id]).fetchone()
        except LedgerError as exc:
            raise CliError(str(exc), USAGE) from exc
        finally:
            con.close()
    print(_echo_acknowledgement(after, zone, "snoozed" if snooze_until else "acknowledged"))
    return OK


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    from report.explain import AmbiguousException, UnknownException, explain, find_exception
    from retaguarda.show import print_json, print_text

    con = _read_only(settings)
    try:
        try:
            detail = explain(con, find_exception(con, args.exception_id))
        except UnknownException as exc:
            raise CliError(str(exc), NOT_FOUND) from exc
        except AmbiguousException as exc:
            raise CliError(str(exc), USAGE) from exc
    finally:
        con.close()
    if args.output == "json":
        print_json(detail)
    else:
        print_text(detail, settings.calendar.timezone)
    return OK

def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from report.build import build_report
    from report.queries import ReportError

    con = _read_only(settings)
    try:
        run_id = None
        if args.window_start:
            window = hourly_window(args.window_start, settings.calendar.timezone)
            found = con.execute(
                "select run_id from exceptions.publications where as_of = ? order by published_at desc limit 1",
                [window.end],
            ).fetchone()
            if found is None:
                raise CliError(f"no published run for the window starting {args.window_start.isoformat()}", NOT_FOUND)
            run_id = found[0]
            con = _as_published(con, settings, run_id)
        try:
            path = build_report(con, settings, run_id)
        except ReportError as exc:
            raise CliError(str(exc), NOT_FOUND) from exc
    finally:
        con.close()
    print(path)
    return OK


def _as_published(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str) -> duckdb.DuckDBPyConnection:
    """A lake read as that run's publication left it (DuckLake time travel); a DuckDB file as it is,
    its report reading the run's own published.* rows."""
    if settings.warehouse.kind != "ducklake":
        return con
    from warehouse.access import open_reader
    from warehouse.ducklake import published_snapshot

    snapshot = published_snapshot(con, run_id)
    if snapshot is None:  # pruned from the catalog's snapshots: the run's own published.* rows still tell
        return con
    con.close()
    return open_reader(settings.warehouse.target, snapshot)


def cmd_runs(args: argparse.Namespace, settings: Settings) -> int:
    con = _read_only(settings)
    try:
        columns, rows, total = _with_total(con.execute(RUNS_SQL.read_text(), {"limit": _limit(args)}))
    finally:
        con.close()
    _show(columns, rows, total, args, settings, {"window_start", "started"})
    return OK


def _last_run(settings: Settings) -> tuple | None:
    """(window start, status, started) of the tenant's latest run, from its reader copy; None: never run."""
    if settings.warehouse.kind == "duckdb" and not settings.warehouse.path.exists():
        return None
    try:
        con = _read_only(settings)
    except (FileNotFoundError, WarehouseError):  # a lake no run has written yet
        return None
    try:
        found = con.execute(RUNS_SQL.read_text(), {"limit": 1}).fetchone()
    finally:
        con.close()
    return None if found is None else (found[1], found[2], found[3])


def _where(settings: Settings) -> str:
    if settings.warehouse.kind == "ducklake":
        return str(settings.warehouse.target)
    return os.path.normpath(settings.warehouse.path)


def cmd_tenants(args: argparse.Namespace, settings: Settings) -> int:
    from retaguarda.tenants import load_all, tenants_folder

    folder = tenants_folder(args.tenants, args.settings)
    tenants = load_all(folder, args.settings)
    rows = []
    for name, theirs in tenants.items():
        last = _last_run(theirs) or (None, "never run", None)
        rows.append((name, _where(theirs), *last))
    columns = ["tenant", "warehouse", "last_window_start", "last_status", "last_started"]
    print_rows(columns, rows, args.output, {"last_window_start", "last_started"}, ZoneInfo("UTC"), datetime.now(UTC))
    if args.output == "table":
        print(f"{len(rows)} tenants in {folder}")
    return OK


def cmd_prune(args: argparse.Namespace, settings: Settings) -> int:
    from tasks.retention import prune_all
    from warehouse.lock import writer_lock
    from warehouse.reader_copy import write_reader_copy

    with writer_lock(settings.warehouse.target, "prune", settings.warehouse.lock_wait_seconds):
        con = open_writer(settings.warehouse.target, settings.warehouse.lock_wait_seconds)
        try:
            deleted = prune_all(con, settings, datetime.now(UTC))
            write_reader_copy(con, settings.warehouse.target)
        finally:
            con.close()
    print("\n".join(f"{what}: {n} deleted" for what, n in deleted.items()) or "nothing to prune")
    return OK


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from tasks.transform import fold_raw, rebuild_models
    from warehouse.database import migrate
    from warehouse.lock import writer_lock

    target = settings.warehouse.target
    if settings.warehouse.kind == "duckdb" and not settings.warehouse.path.exists():
        raise CliError(f"no warehouse at {target}: run `retaguarda run` first", NOT_FOUND)

    def progress(line: str) -> None:
        print(line, flush=True)

    with writer_lock(target, "rebuild", settings.warehouse.lock_wait_seconds):
        con = open_writer(target, settings.warehouse.lock_wait_seconds)
        try:
            migrate(con, datetime.now(UTC))
            as_of = con.execute("select max(as_of) from exceptions.publications").fetchone()[0]
            if as_of is None:
                from tasks.transform import drop_derived

                drop_derived(con)
                fold_raw(con, progress)
                print("staging history rebuilt from raw; nothing published yet, so the next run builds the rest")
                return OK
            counts = rebuild_models(con, settings, as_of, progress)
        finally:
            con.close()
    print(f"rebuilt {len(counts)} staging and core tables from raw, as of {as_of:%Y-%m-%d %H:%MZ} "
          "(the latest published window); published exceptions are unchanged until the next run")
    return OK


def cmd_check_config(args: argparse.Namespace, settings: Settings) -> int:
    from expectations.catalog import all_checks, configured_catalog
    from tasks.check_reasons import decide_statically

    suites = configured_catalog(settings.check_overrides())
    checks = all_checks(suites)
    mapping = None
    if settings.source.kind == "mapped":
        from sources.mapping import MappingError, load_mapping  # only then: it brings polars

        try:
            mapping = load_mapping(settings.source.mapping)
        except MappingError as exc:  # its message gives every problem as file:line
            print(f"retaguarda: {exc}", file=sys.stderr)
            return USAGE
    shop = f"tenant {settings.tenant}; " if settings.tenant else ""
    print(f"settings valid; {shop}{len(checks)} checks in {len(suites)} stages; warehouse {settings.warehouse.target}")
    if mapping is not None:
        print(f"mapping valid: {mapping.path} ({len(mapping.spec.sources)} sources)")
    skipped = decide_statically(checks, mapping)
    print(f"will be evaluated ({len(checks) - len(skipped)}): "
          + (", ".join(c.id for c in checks if c.id not in skipped) or "none"))
    for check_id, reason in skipped.items():
        print(f"not evaluated: {check_id}: {reason}")
    print("(decided from the configuration; each run decides again from the rows it sees)")
    return OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from retaguarda.serve import latest_url, reports_server

    folder = args.dir or settings.report.dir
    try:
        server = reports_server(folder, args.host, args.port)
    except FileNotFoundError as exc:
        raise CliError(str(exc), NOT_FOUND) from exc
    except OSError as exc:  # port taken, host not on this machine
        raise CliError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", USAGE) from exc
    print(f"serving {folder} read-only; the latest report: {latest_url(server)} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return OK


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="retaguarda",
        description="Hourly back-office reconciliation: run windows, work the exception ledger.",
        epilog="exit codes: 0 ok, 1 run failed, 2 usage or settings error, 3 warehouse busy, 4 not found, "
        "5 the temporary Prefect server did not start",
    )
    settings_help = "settings YAML (default: config/defaults.yaml, or $RETAGUARDA_SETTINGS)"
    tenant_help = "the shop: tenants/NAME.yaml over tenants/defaults.yaml (default: the single-shop settings)"
    folder_help = ("the tenants folder (default: $RETAGUARDA_TENANTS, else tenants/ beside the settings file, "
                   "else tenants/ in the repository)")
    root.add_argument("--settings", help=settings_help)
    root.add_argument("-t", "--tenant", help=tenant_help)
    root.add_argument("--tenants", metavar="FOLDER", help=folder_help)
    # also accepted after the command; SUPPRESS keeps a value given before it
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--settings", default=argparse.SUPPRESS, help=settings_help)
    after.add_argument("-t", "--tenant", default=argparse.SUPPRESS, help=tenant_help)
    after.add_argument("--tenants", metavar="FOLDER", default=argparse.SUPPRESS, help=folder_help)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[after])
        sub.set_defaults(handler=handler)
        return sub

    run = command("run", cmd_run, "reconcile one hourly window (default: the last whole hour)")
    run.add_argument("--window-start", type=_when, help="start of the hour, e.g. 2026-11-27T14:00:00Z")

    fill = command(
        "backfill", cmd_backfill,
        "reconcile every window (hour or local day) in [start, end), oldest first, resuming; "
        "only the last one alerts, reports and prunes",
    )
    fill.add_argument("start", type=_when, nargs="?", help="start of the first window (with --from-data: the end)")
    fill.add_argument("end", type=_when, nargs="?", help="end of the last window (default with --from-data: "
                      "the last local midnight for --step day, the last whole hour for --step hour)")
    fill.add_argument("--step", choices=STEPS, default="hour",
                      help="window length: hour, or day (local midnight to midnight); default hour")
    fill.add_argument("--from-data", action="store_true",
                      help="start at the earliest timestamp in the configured sources' data")
    fill.add_argument("--no-resume", action="store_true", help="re-run windows that already completed")

    schedule = command(
        "schedule", cmd_schedule,
        "reconcile every hour in this one long-lived process, oldest missed hour first (Ctrl-C stops)",
    )
    schedule.add_argument("--minute", type=int, default=5, choices=range(60), metavar="0-59",
                          help="minutes past each UTC hour to run (default 5, as prefect.yaml's hourly deployment)")
    schedule.add_argument("--runs", type=int, help="stop after this many windows (default: never)")

    listing = command("exceptions", cmd_exceptions, "list exceptions in the ledger (default: the active ones)")
    listing.add_argument("--stage", help="a stage of the catalog, e.g. payment")
    listing.add_argument("--owner", help="an owning team (the catalog's, the settings' or one in the ledger)")
    listing.add_argument("--severity", choices=SEVERITIES)
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--check", dest="check_id", help="a check id of the catalog")
    listing.add_argument("--limit", type=_positive, default=50, help="at most this many rows (default 50)")
    listing.add_argument("--all", action="store_true", help="every row: no limit")
    listing.add_argument("--output", choices=("table", "csv", "json"), default="table",
                         help="table, csv or json; times in calendar.timezone (labelled), json with offsets")

    ack = command("ack", cmd_ack, "acknowledge an exception (optionally snooze it) with a note")
    ack.add_argument("exception_id", help="the id, or a unique prefix of it (as listed)")
    ack.add_argument("--by", required=True, help="who takes it")
    ack.add_argument("--note", required=True)
    snooze = ack.add_mutually_exclusive_group()
    snooze.add_argument("--snooze-until", type=_when, help="hide it until then")
    snooze.add_argument("--snooze-hours", type=float, help="hide it for this many hours")
    ack.add_argument("--again", action="store_true",
                     help="acknowledge it anew when someone already did (otherwise it says who, and changes nothing)")

    show = command("show", cmd_show, "explain one exception: its check, evidence, input rows, events and history")
    show.add_argument("exception_id", help="the id, or a unique prefix of it (as listed)")
    show.add_argument("--output", choices=("text", "json"), default="text")

    report = command("report", cmd_report, "write the HTML exception report (default: the latest published window)")
    report.add_argument("--window-start", type=_when, help="the window of a past published run")

    runs = command("runs", cmd_runs, "show the last runs and their state")
    runs.add_argument("--limit", type=_positive, default=20, help="at most this many runs (default 20)")
    runs.add_argument("--all", action="store_true", help="every run: no limit")
    runs.add_argument("--output", choices=("table", "csv", "json"), default="table")

    serve = command("serve", cmd_serve, "serve the reports folder over HTTP, read-only, until Ctrl-C")
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT,
                       help=f"default {DEFAULT_PORT}; 0: any free port")
    serve.add_argument("--dir", type=Path, help="the folder to serve (default: report.dir of the settings)")

    command("prune", cmd_prune, "apply the retention settings now")
    listed = command("tenants", cmd_tenants, "list the tenants, their warehouse and their last run")
    listed.add_argument("--output", choices=("table", "csv", "json"), default="table",
                        help="table, csv or json; times in UTC")
    command("rebuild", cmd_rebuild,
            "drop staging (with its history) and core, and build them again from all of raw, "
            "as of the latest published window")
    command("check-config", cmd_check_config, "validate the settings and the check catalog, then exit")
    return root


def main(argv: list[str] | None = None) -> int:
    from retaguarda.server import set_startup_timeout, turn_analytics_off

    set_startup_timeout()  # before anything imports Prefect
    turn_analytics_off()
    args = parser().parse_args(argv)
    from warehouse.lock import WarehouseBusy

    try:
        if args.tenants:  # the flows run in this process and find the folder there
            os.environ[TENANTS_VARIABLE] = str(Path(args.tenants).expanduser().resolve())
        if args.tenant:
            settings = load_tenant(args.tenant, settings_file=args.settings)
        else:
            settings = load_settings(args.settings)
        if settings.warehouse.kind == "duckdb" and settings.warehouse.path.is_dir():
            raise CliError(f"warehouse.path {settings.warehouse.path} is a folder, not a DuckDB file", USAGE)
        return args.handler(args, settings)
    except SettingsError as exc:
        print(f"retaguarda: {exc}", file=sys.stderr)
        return USAGE
    except WarehouseBusy as exc:
        print(f"retaguarda: {exc}", file=sys.stderr)
        return BUSY
    except WarehouseUnwritable as exc:  # where warehouse.path points is a settings matter
        print(f"retaguarda: {exc}", file=sys.stderr)
        return USAGE
    except WarehouseError as exc:  # corrupt, or newer than this release
        print(f"retaguarda: {exc}", file=sys.stderr)
        return FAILED
    except CliError as exc:
        print(f"retaguarda: {exc}", file=sys.stderr)
        return exc.code
    except Exception as exc:  # a failed run: the flow has logged the details
        print(f"retaguarda: failed: {exc}", file=sys.stderr)
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
