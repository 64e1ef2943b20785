"""Prefect artifacts of a run: the summary, what changed, and where the report is.

Call these from the flow body, not from a task: an artifact created inside a task hangs on
that task run, and the flow run's own artifact section stays empty. Keys are stable, so
each run adds a version and the UI shows the trend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import quote

import duckdb
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from expectations.catalog import Suite, all_checks
from report.formats import Formats
from retaguarda.serve import DEFAULT_PORT
from retaguarda.settings import Settings
from tasks.digest import Change, run_changes

SUMMARY_KEY = "reconciliation-summary"  # a tenant's keys start with its name: artifact_key()
CHANGES_KEY = "changes"
REPORT_KEY = "exception-report"
CHANGES_ROWS = 200  # a run can change thousands; the table shows the worst, the ledger keeps all
EVENTS = ("new", "reopened", "escalated", "resolved")  # in the order a reader acts on them
SQL_DIR = Path(__file__).resolve().parent / "sql"
NOTHING_CHANGED = "Nothing changed in this run: no exception is new, reopened, escalated or resolved."


def artifact_key(key: str, tenant: str | None) -> str:
    """Prefect's artifact keys are global: a tenant's start with its name (keys allow only a-z, 0-9 and -)."""
    return key if tenant is None else f"{tenant.replace('_', '-')}-{key}"


def _shop(settings: Settings) -> str:
    return f"{settings.tenant} " if settings.tenant else ""


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


@dataclass(frozen=True)
class CheckFigures:
    check_id: str
    active: int
    active_before: int
    new: int
    reopened: int
    escalated: int
    resolved: int
    money_at_risk: Decimal


@dataclass(frozen=True)
class RunFigures:
    """What the run's publication shows, per check, next to the publication before it."""

    checks: dict[str, CheckFigures]
    previous_as_of: datetime | None  # the window end of the publication before, None for the first
    money_at_risk: Decimal  # each order's value counted once (warehouse/ledger/money.sql)

    def total(self, name: str) -> int:
        return sum(getattr(figures, name) for figures in self.checks.values())


def run_figures(con: duckdb.DuckDBPyConnection, run_id: str) -> RunFigures:
    previous = con.execute(_sql("previous_publication"), {"run_id": run_id}).fetchone()
    previous_run_id, previous_as_of = previous if previous else (None, None)
    cursor = con.execute(_sql("check_figures"), {"run_id": run_id, "previous_run_id": previous_run_id})
    checks = {row[0]: CheckFigures(*row) for row in cursor.fetchall()}
    money = con.execute(
        "select money_at_risk from exceptions.publications where run_id = ?", [run_id]
    ).fetchone()
    total = money[0] if money and money[0] is not None else sum((c.money_at_risk for c in checks.values()), Decimal(0))
    return RunFigures(checks, previous_as_of, total)


def not_evaluated(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, str]]:
    """(check id, reason) for the checks the run did not evaluate (audit.check_runs)."""
    return con.execute(
        "select check_id, reason from audit.check_runs where run_id = ? and not evaluated order by check_id",
        [run_id],
    ).fetchall()


def _formats(settings: Settings) -> Formats:
    return Formats(settings.report.language, settings.calendar.timezone, settings.report.currency)


def _label(name: str) -> str:
    return name.replace("_", " ")


def summary_markdown(
    con: duckdb.DuckDBPyConnection, settings: Settings, suites: tuple[Suite, ...], run_id: str, window: str
) -> str:
    """Headline, then a row per stage and per check in the catalog's order, money in the report's currency."""
    fmt = _formats(settings)
    figures = run_figures(con, run_id)
    skipped = dict(not_evaluated(con, run_id))
    active = figures.total("active")
    if figures.previous_as_of is None:
        since = "the first publication of this warehouse"
    else:
        change = active - figures.total("active_before")
        ending = f"{fmt.datetime(figures.previous_as_of)} {settings.calendar.timezone}"
        since = f"{fmt.signed(change)} since the run for the window ending {ending}"
    changed = {event: figures.total(event) for event in EVENTS}
    lines = [
        f"# Reconciliation {_shop(settings)}{window}",
        "",
        f"**{fmt.number(active)} open** ({since}), **{fmt.money(figures.money_at_risk)}** at risk.",
        "",
        ("This run: " + ", ".join(f"{fmt.number(n)} {event}" for event, n in changed.items()) + "."
         if any(changed.values()) else NOTHING_CHANGED),
        "",
        "| stage | check | open | change | new | resolved | money at risk |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    known = {check.id for check in all_checks(suites)}
    groups = [(suite.stage, [check.id for check in suite.checks]) for suite in suites]
    others = sorted(set(figures.checks) - known)  # a check the catalog no longer has, still in the ledger
    if others:
        groups.append(("other", others))
    empty = CheckFigures("", 0, 0, 0, 0, 0, 0, Decimal(0))
    for stage, check_ids in groups:
        rows = [(check_id, figures.checks.get(check_id, empty)) for check_id in check_ids]
        stage_money = sum((f.money_at_risk for _, f in rows), Decimal(0))
        lines.append(_row(fmt, f"**{_label(stage)}**", "", [f for _, f in rows], stage_money, bold=True))
        for check_id, f in rows:
            name = f"`{check_id}`" + (" (not evaluated)" if check_id in skipped else "")
            lines.append(_row(fmt, "", name, [f], f.money_at_risk))
    lines += [
        "",
        "Open: not resolved (open, acknowledged or reopened). Change: open now against the publication "
        "before. New counts reopened ones too. Money per check and stage adds each exception's amount; "
        "the headline counts each order once.",
    ]
    if skipped:
        lines += [
            "", "## Not evaluated", "",
            "Checks this run could not judge: no exceptions found, and their open ones left as they were.", "",
            "| check | why |", "|---|---|",
            *(f"| {check_id} | {reason} |" for check_id, reason in sorted(skipped.items())),
        ]
    return "\n".join(lines)


def _row(fmt: Formats, stage: str, check: str, rows: list[CheckFigures], money: Decimal, bold: bool = False) -> str:
    active = sum(f.active for f in rows)
    cells = [
        fmt.number(active),
        fmt.signed(active - sum(f.active_before for f in rows)),
        fmt.number(sum(f.new + f.reopened for f in rows)),
        fmt.number(sum(f.resolved for f in rows)),
        fmt.money(money),
    ]
    if bold:
        cells = [f"**{cell}**" for cell in cells]
    return f"| {stage} | {check} | " + " | ".join(cells) + " |"


def changes_rows(changes: list[Change], fmt: Formats) -> list[dict[str, str]]:
    """The run's changes as table rows: new first, then reopened, escalated, resolved; worst first in each."""
    ordered = sorted((c for c in changes if c.event in EVENTS), key=lambda c: EVENTS.index(c.event))
    return [
        {"change": c.event, "severity": c.severity, "check": c.check_id, "stage": _label(c.stage),
         "entity": c.entity_id, "owner": c.owner, "amount at risk": fmt.money(c.amount_at_risk)}
        for c in ordered
    ]


def publish_run_artifacts(
    con: duckdb.DuckDBPyConnection, settings: Settings, suites: tuple[Suite, ...], run_id: str, window: str
) -> None:
    """The summary and the changes, on the calling flow run."""
    shop, tenant = _shop(settings), settings.tenant
    create_markdown_artifact(
        key=artifact_key(SUMMARY_KEY, tenant), markdown=summary_markdown(con, settings, suites, run_id, window),
        description=f"Exceptions of {shop}as of the end of {window}",
    )
    rows = changes_rows(run_changes(con, run_id), _formats(settings))
    if not rows:
        create_markdown_artifact(key=artifact_key(CHANGES_KEY, tenant), markdown=NOTHING_CHANGED,
                                 description=f"What {shop}{window} changed")
        return
    shown = rows[:CHANGES_ROWS]
    command = f"retaguarda --tenant {tenant} exceptions" if tenant else "retaguarda exceptions"
    create_table_artifact(
        key=artifact_key(CHANGES_KEY, tenant), table=shown,
        description=f"What {shop}{window} changed: {len(shown)} of {len(rows)} changes, new first, worst first"
        + ("" if len(shown) == len(rows) else f"; `{command}` lists them all"),
    )


def report_markdown(path: Path, folder: Path) -> str:
    """Where the report is, and how to open it from a browser, when no base URL is configured."""
    return "\n".join([
        f"The exception report is a file on the machine that ran this flow: `{path}`.",
        "",
        "To open it in a browser there, serve the reports folder and open the address it prints:",
        "",
        f"```\nretaguarda serve --dir {folder}\n```",
        "",
        f"then `http://127.0.0.1:{DEFAULT_PORT}/{quote(path.name)}`. Set `report.base_url` to link "
        "the report from here.",
    ])


def publish_report_artifact(settings: Settings, path: Path, window: str) -> None:
    """A link when the reports folder is served at `report.base_url`; else where the file is."""
    description = f"Exception report {_shop(settings)}{window}"
    key = artifact_key(REPORT_KEY, settings.tenant)
    if settings.report.base_url:
        link = f"{settings.report.base_url.rstrip('/')}/{quote(path.name)}"
        create_link_artifact(key=key, link=link, link_text=description, description=description)
    else:
        create_markdown_artifact(key=key, markdown=report_markdown(path, path.parent), description=description)
