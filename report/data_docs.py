"""Validation pages for the data team: each run's GX validation results as static HTML of our own.

GX's Data Docs load scripts and fonts from CDNs and have no content security policy, and a
tracking status holding `<script>` ran in them. These pages are written from the same
validation results: one page per stage suite, every value escaped by Jinja, the CSS inline
and allowed by its hash, and no script allowed at all. The last `keep` runs are kept.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from report.pages import TEMPLATES, csp_hash, write_atomically

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

DATA_DOCS_DIR = "data_docs"  # under the report folder; the report links to it when present
KEEP_RUNS = 24  # a day of hourly runs
INDEX = "index.html"
RUN_FILE = "run.json"  # in each run's folder: its name, time and suites, for the index
EXAMPLES = 5  # unexpected values shown per expectation
LEGACY_GX_PROJECT = "gx"  # where GX's own Data Docs were written; removed, as they could run feed data
HERE = Path(__file__).resolve().parent
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")





def content_security_policy(css: str) -> str:
    """Nothing loads and no script runs; only the page's own inline style applies."""
    return (
        f"default-src 'none'; style-src {csp_hash(css)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def data_docs_index(out_dir: Path) -> Path:
    """The index page listing the kept runs and their suite pages."""
    return Path(out_dir) / INDEX


def _safe(name: str) -> str:
    """A name safe as a file or folder name."""
    return _UNSAFE.sub("-", name)


def run_pages(out_dir: Path, run_name: str) -> dict[str, Path]:
    """Suite -> its validation page in run `run_name` (none once pruned)."""
    folder = Path(out_dir) / _safe(run_name)
    try:
        run = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {suite["name"]: folder / suite["page"] for suite in run["suites"] if (folder / suite["page"]).exists()}


def _plain(value: Any) -> Any:
    """A value as text for the page; Jinja escapes it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _expectation(result: Any) -> dict[str, Any]:
    config = result.expectation_config
    kwargs = {key: value for key, value in (config.kwargs or {}).items()
              if key not in ("batch_id", "unexpected_rows_query")}
    meta = config.meta or {}
    outcome = result.result or {}
    column = kwargs.pop("column", None) or ", ".join(kwargs.pop("column_list", None) or [])
    unexpected = outcome.get("unexpected_count")
    if unexpected is None and "observed_value" in outcome and meta.get("check_id") != "contract":
        unexpected = outcome["observed_value"]  # a check's observed value is its count of unexpected rows
    return {
        "check": meta.get("check_id") or "",
        "type": config.type,
        "column": column,
        "description": config.description or "",
        "success": bool(result.success),
        "elements": outcome.get("element_count"),
        "unexpected": unexpected,
        "percent": outcome.get("unexpected_percent"),
        "observed": _plain(outcome.get("observed_value")),
        "examples": [_plain(value) for value in (outcome.get("partial_unexpected_list") or [])[:EXAMPLES]],
        "arguments": [(key, _plain(value)) for key, value in kwargs.items()],
        "parameters": [(key, _plain(value)) for key, value in (meta.get("parameters") or {}).items()],
        "severity": meta.get("severity") or "",
        "owner": meta.get("owner") or "",
        "error": bool(result.exception_info and result.exception_info.get("raised_exception")),
    }




def _render(template: str, **values: Any) -> str:
    css = (HERE / "static" / "validation.css").read_text(encoding="utf-8")
    return TEMPLATES.get_template(template).render(
        css=Markup(css), content_security_policy=content_security_policy(css), **values
    )


def _kept_runs(out_dir: Path) -> list[dict[str, Any]]:
    runs = []
    for path in out_dir.glob(f"*/{RUN_FILE}"):
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        run["folder"] = path.parent.name
        runs.append(run)
    return sorted(runs, key=lambda run: run["time"], reverse=True)


def build_data_docs(
    results: Iterable[ExpectationSuiteValidationResult],
    out_dir: Path,
    keep: int = KEEP_RUNS,
    run_name: str | None = None,
    run_time: datetime | None = None,
) -> Path:
    """Write one page per suite of this run's validation results under `out_dir`; the index page's path.

    Runs beyond the newest `keep` (by run time) are deleted, and the index lists those kept.
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out_dir / LEGACY_GX_PROJECT, ignore_errors=True)
    run_time = run_time or datetime.now(UTC)
    name = run_name or run_time.strftime("%Y%m%dT%H%M%SZ")
    folder = out_dir / _safe(name)
    folder.mkdir(exist_ok=True)
    suites = []
    for result in results:
        expectations = [_expectation(item) for item in result.results]
        page = f"{_safe(result.suite_name)}.html"
        write_atomically(folder / page, _render(
            "validation.html.j2", suite=result.suite_name, run=name, run_time=run_time.isoformat(),
            success=bool(result.success), expectations=expectations,
            index_href=f"../{INDEX}", examples=EXAMPLES,
        ))
        suites.append({"name": result.suite_name, "page": page, "success": bool(result.success),
                       "failed": sum(not item["success"] for item in expectations),
                       "expectations": len(expectations)})
    write_atomically(folder / RUN_FILE, json.dumps({"name": name, "time": run_time.isoformat(), "suites": suites}))
    runs = _kept_runs(out_dir)
    for old in runs[keep:]:
        shutil.rmtree(out_dir / old["folder"], ignore_errors=True)
    write_atomically(data_docs_index(out_dir), _render("validation_index.html.j2", runs=runs[:keep]))
    return data_docs_index(out_dir)
