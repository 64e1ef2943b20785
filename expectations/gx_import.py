"""Import Great Expectations only where a run validates, and without scipy.stats.

`import great_expectations` loads every core expectation class, and three of them
(KL divergence, the two KS tests) run `from scipy import stats` at import: about 1.7 s of
the 7.7 s GX import here, for statistics Retaguarda's suites never compute. scipy.stats is
registered as a lazy module first (the standard library's `importlib.util.LazyLoader`): it
loads in full on the first attribute anyone reads from it, so nothing breaks if it is used.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from types import ModuleType

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before GX reads it: no usage events


def _defer(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    # `from scipy import stats` asks the package first; scipy's own __getattr__ would import
    # the submodule and, on Python 3.11, touch the lazy module and load it in full.
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)


_lock = threading.Lock()
_preload: threading.Thread | None = None


def great_expectations() -> ModuleType:
    """The `great_expectations` module, imported on first call (after any preload has finished)."""
    if _preload is not None:
        _preload.join()  # never two threads inside GX's imports at once
    with _lock:
        _defer("scipy.stats")
    import great_expectations as gx

    return gx


def _import_quietly() -> None:
    try:
        with _lock:
            _defer("scipy.stats")
        import great_expectations  # noqa: F401
    except Exception:  # noqa: BLE001 - the validate step imports it again and reports the error
        pass


def preload() -> None:
    """Start importing GX in a background thread, once per process.

    A run calls this before work that leaves a core idle or releases the GIL (waiting for the
    temporary Prefect server, DuckDB landing and models), so GX's seconds of imports overlap
    with it instead of adding to it.
    """
    global _preload
    with _lock:
        if _preload is None and "great_expectations" not in sys.modules:
            _preload = threading.Thread(target=_import_quietly, name="preload-great-expectations", daemon=True)
            _preload.start()
