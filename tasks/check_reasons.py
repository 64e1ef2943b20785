"""Why a check is not evaluated: reason codes and their wording, the rule a run and check-config
share, and check-config's decision from the configuration alone.

No Prefect here: `retaguarda check-config` imports this module, and stays a quick command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from expectations.catalog import Check
from sources.canonical import INHERITED_FROM_ORDER, TABLES

if TYPE_CHECKING:
    from sources.mapping import Mapping

# Why a check is not evaluated: a code and its English wording. audit.check_runs keeps both, so the
# report translates by code (report/i18n.py) and logs, artifacts and check-config read the words.
REASON_WORDING = {
    "disabled": "disabled in settings",
    "no_feed": "no {table} feed",
    "empty_column": "{table}.{column} is empty in every row",
    "not_mapped": "{table}.{column} not mapped",
}


@dataclass(frozen=True)
class Reason:
    code: str  # a key of REASON_WORDING
    table_name: str | None = None
    column_name: str | None = None

    @property
    def text(self) -> str:
        return REASON_WORDING[self.code].format(table=self.table_name, column=self.column_name)

    def as_row(self) -> dict[str, str | None]:
        """The struct audit.check_runs.reasons keeps (warehouse/migrations/011_reason_codes.sql)."""
        return {"code": self.code, "table_name": self.table_name, "column_name": self.column_name}


DISABLED = Reason("disabled")


def no_feed(table: str) -> Reason:
    return Reason("no_feed", table)


def empty_column(table: str, column: str) -> Reason:
    return Reason("empty_column", table, column)


def not_mapped(table: str, column: str) -> Reason:
    return Reason("not_mapped", table, column)


def as_text(why: list[Reason]) -> str:
    return "; ".join(reason.text for reason in why)


def reasons(
    check: Check, has_table: Callable[[str], bool], column_reason: Callable[[str, str], Reason | None]
) -> list[Reason]:
    """Why `check` cannot be evaluated; empty when it can. Shared by the run and check-config."""
    if not check.enabled:
        return [DISABLED]
    missing = [no_feed(table) for table in check.needed_tables if not has_table(table)]
    missing += [
        reason for table, column in check.needed_columns
        if has_table(table) and (reason := column_reason(table, column)) is not None
    ]
    return missing


# --- check-config: the same decision, from the settings and the mapping alone -------------


def mapped_columns(mapping: Mapping) -> dict[str, set[str]]:
    """table -> the columns some source of `mapping` fills explicitly (keys and inherited columns count)."""
    filled: dict[str, set[str]] = {}
    for source in mapping.spec.sources:
        if source.table not in TABLES:
            continue
        filled.setdefault(source.table, set()).update(source.columns, TABLES[source.table].key)
        for child, spec in source.children().items():
            filled.setdefault(child, set()).update(spec.columns, TABLES[child].key, INHERITED_FROM_ORDER)
    return filled


def decide_statically(checks: Iterable[Check], mapping: Mapping | None) -> dict[str, str]:
    """check id -> reason for the checks a run will not evaluate, as far as the configuration tells.

    Without a mapping (demo, folder) every canonical table may be present; a run still decides
    again from the rows it sees.
    """
    filled = mapped_columns(mapping) if mapping is not None else {t: set(TABLES[t].columns) for t in TABLES}

    def column_reason(table: str, column: str) -> Reason | None:
        return None if column in filled.get(table, set()) else not_mapped(table, column)

    decided = {check.id: reasons(check, lambda table: table in filled, column_reason) for check in checks}
    return {check_id: as_text(why) for check_id, why in decided.items() if why}

