"""How `retaguarda show` prints an explanation (report/explain.py): text for people, JSON for scripts."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo


def _json_value(value: object) -> object:
    """JSON for `show --output json`: amounts as numbers, instants as ISO-8601 with their zone."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _shown(value: object, zone: ZoneInfo) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return str(value)


def print_text(detail: dict, timezone: str) -> None:
    """`show` as text: one section per part of the explanation, times in the calendar's zone, labelled."""
    zone = ZoneInfo(timezone)
    exception, check = detail["exception"], detail["check"]

    def fields(pairs: list[tuple[str, object]]) -> None:
        width = max(len(label) for label, _ in pairs)
        for label, value in pairs:
            print(f"  {label.ljust(width)}  {_shown(value, zone)}")

    def table(columns: list[str], rows: list[list[object]]) -> None:
        text = [[_shown(value, zone) for value in row] for row in rows]
        widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
        print("  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        for row in text:
            print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())

    print(f"exception {exception['exception_id']}")
    fields([(key.replace("_", " "), exception[key]) for key in (
        "status", "severity", "entity_type", "entity_id", "owner", "opened_at", "first_seen_at", "last_seen_at",
        "resolved_at", "age_business_hours", "amount_at_risk", "occurrences", "reopen_count")])
    print(f"\ncheck {check['id']}")
    fields([("stage", check["stage"]), ("severity", check["severity"]), ("owner", check["owner"]),
            ("catches", check["catches"]), ("offends when", check["offends_when"]), ("began at", check["began_at"]),
            ("needs", ", ".join(check["needs"]) or None), ("sql", check["sql_file"])])
    if check["sql"]:
        print("\n" + "\n".join(f"    {line}" for line in check["sql"].rstrip().splitlines()))
    print("\nevidence")
    if detail["evidence"]:
        fields([(item["label"], item["value"]) for item in detail["evidence"]])
    else:
        print("  none recorded")
    if detail["lineage"]:
        print(f"\nlineage (input rows: where each was read; as of {_shown(detail['lineage'][0]['as_of'], zone)})")
        table(["table", "row", "source", "file", "row number"],
              [[r["table_name"], r["row_key"], r["source"], r["file"], r["row_number"]] for r in detail["lineage"]])
    else:
        print("\nlineage\n  none recorded (written by runs since this release, for exceptions still active)")
    print("\nevents")
    table(["as of", "event", "severity"], [[r["as_of"], r["event"], r["severity"]] for r in detail["events"]])
    print("\nacknowledgements and snoozes")
    if detail["actions"]:
        table(["at", "action", "by", "note", "snoozed until"],
              [[r["acted_at"], r["action"], r["actor"], r["note"], r["snoozed_until"]] for r in detail["actions"]])
    else:
        print("  none")
    print(f"\nhistory of {check['id']}: active exceptions after each publication of the last 7 days")
    table(["as of", "active"], [[r["as_of"], r["active"]] for r in detail["history"]])


def print_json(detail: dict) -> None:
    print(json.dumps(detail, default=_json_value, indent=1))
