"""GX Data Docs for the data team: a run's validation results as GX renders them, kept bounded.

An adapter: the run validates in an ephemeral GX context, and Data Docs need a file
context, so each run's results are stored in the file context's validation results store
under a run identifier, their suites rebuilt from the results, old runs pruned, and GX's
public `build_data_docs` renders the new pages. tests/test_gx_duckdb.py pins each GX
behaviour this relies on; docs/architecture.md says which GX upgrade would let it go.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

DATA_DOCS_DIR = "data_docs"  # under the report folder; the report links to it when present
KEEP_RUNS = 24  # a day of hourly runs: GX's stores slow down as results pile up (GX #8243)
SITE_NAME = "local_site"  # the site a new file-backed GX project configures
NO_BATCH = "__none__"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def data_docs_index(out_dir: Path) -> Path:
    """Where the Data Docs index page of the GX project in `out_dir` is."""
    return out_dir / "gx" / "uncommitted" / "data_docs" / SITE_NAME / "index.html"


def _run_name(name: str) -> str:
    """A run name safe as a folder name (GX makes one per run) and in a glob pattern."""
    return _UNSAFE.sub("-", name)


def run_pages(out_dir: Path, run_name: str) -> dict[str, Path]:
    """Suite -> the Data Docs page of its validation in run `run_name` (none once pruned).

    These pages stay readable offline; GX's index builds its tables with scripts from CDNs.
    """
    validations = data_docs_index(out_dir).parent / "validations"
    pages = sorted(validations.glob(f"*/{_run_name(run_name)}/*/*.html"))
    return {page.relative_to(validations).parts[0]: page for page in pages}


def _suite_of(result: ExpectationSuiteValidationResult) -> ExpectationSuite:
    """The suite as it was validated, rebuilt from the result: the pipeline's suites live in YAML, not GX."""
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(
        name=result.suite_name,
        expectations=[item.expectation_config.to_domain_obj() for item in result.results],
    )


def _prune(context, keep: int) -> list:
    """Drop stored results beyond the newest `keep` runs; the keys dropped."""
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    store = context.validation_results_store
    keys = [key for key in store.list_keys() if isinstance(key, ValidationResultIdentifier)]
    newest: dict[str, datetime] = {}
    for key in keys:
        name, time = key.run_id.run_name, key.run_id.run_time
        newest[name] = max(newest.get(name, time), time)
    kept = set(sorted(newest, key=lambda name: newest[name], reverse=True)[:keep])
    dropped = [key for key in keys if key.run_id.run_name not in kept]
    for key in dropped:
        store.remove_key(key)
    return dropped


def build_data_docs(
    results: Iterable[ExpectationSuiteValidationResult],
    out_dir: Path,
    keep: int = KEEP_RUNS,
    run_name: str | None = None,
    run_time: datetime | None = None,
) -> Path:
    """Render GX Data Docs for one run's validation results into `out_dir`; the index page's path.

    `out_dir` holds a file-backed GX project (created on first use) whose validation store keeps
    the last `keep` runs; older results and their pages are deleted. Only the new pages are
    rendered, so the cost does not grow with the runs kept.
    """
    # GX takes seconds to import; the report itself only needs the paths above.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.store import TupleFilesystemStoreBackend
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    out_dir = Path(out_dir).resolve()  # GX wants an absolute base directory
    out_dir.mkdir(parents=True, exist_ok=True)
    run_time = run_time or datetime.now(UTC)
    run_id = RunIdentifier(run_name=_run_name(run_name or run_time.strftime("%Y%m%dT%H%M%SZ")), run_time=run_time)
    context = gx.get_context(mode="file", project_root_dir=str(out_dir))
    built: list = []
    for result in results:
        result = copy.deepcopy(result)  # the caller's result stays as it was
        result.meta["run_id"] = run_id
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=result.suite_name), run_id, NO_BATCH)
        context.validation_results_store.set(key, result)
        context.suites.add_or_update(_suite_of(result))
        built += [key, ExpectationSuiteIdentifier(name=result.suite_name)]
    site = data_docs_index(out_dir).parent
    pages = TupleFilesystemStoreBackend(
        base_directory=str(site), filepath_prefix="validations", filepath_suffix=".html",
        suppress_store_backend_id=True,
    )
    for key in _prune(context, keep):
        pages.remove_key(key.to_tuple())
    context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=built)
    return data_docs_index(out_dir)
