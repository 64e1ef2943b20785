"""Build the exception report: one self-contained HTML file per published window, plus latest.html."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from report.data_docs import DATA_DOCS_DIR, data_docs_index, run_pages
from report.pages import write_atomically
from report.queries import load_report_data
from report.render import render_report
from retaguarda.settings import Settings
from warehouse.database import prepare_session

LATEST = "latest.html"


STAMP = "%Y%m%dT%H%MZ"


def _prefix(tenant: str | None) -> str:
    return "report-" if tenant is None else f"report-{tenant}-"


def report_name(as_of: datetime, tenant: str | None = None) -> str:
    """`report-20261130T1500Z.html`; a tenant's `report-shop-a-20261130T1500Z.html`."""
    return f"{_prefix(tenant)}{as_of.astimezone(UTC):{STAMP}}.html"


def report_as_of(name: str, tenant: str | None = None) -> datetime | None:
    """The window end a report file name gives (see report_name); None for a name we do not write."""
    prefix = _prefix(tenant)
    if not name.startswith(prefix):
        return None
    try:
        return datetime.strptime(name[len(prefix):], f"{STAMP}.html").replace(tzinfo=UTC)
    except ValueError:
        return None




def build_report(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str | None = None) -> Path:
    """Write the report for the latest publication, or for the one of `run_id`; its path.

    latest.html is replaced only by the latest publication's report, so a past window
    rendered on demand does not hide the present.
    """
    cursor = con.cursor()  # the report's temp table and session stay off the caller's connection
    try:
        prepare_session(cursor)
        data = load_report_data(cursor, run_id, settings.tenant)
    finally:
        cursor.close()
    folder = Path(settings.report.dir)
    folder.mkdir(parents=True, exist_ok=True)
    docs = data_docs_index(folder / DATA_DOCS_DIR)
    pages = run_pages(folder / DATA_DOCS_DIR, data.publication.run_id)
    html = render_report(
        data,
        language=settings.report.language,
        timezone=settings.calendar.timezone,
        currency=settings.report.currency,
        generated_at=datetime.now(UTC),
        data_docs_href=docs.relative_to(folder).as_posix() if docs.exists() else None,
        validation_pages={suite: page.relative_to(folder).as_posix() for suite, page in pages.items()},
        owner_names=settings.report.owner_names.get(settings.report.language, {}),
    )
    path = folder / report_name(data.publication.as_of, settings.tenant)
    write_atomically(path, html)
    if data.publication.is_latest:
        write_atomically(folder / LATEST, html)
    return path
