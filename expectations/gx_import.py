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


def great_expectations() -> ModuleType:
    """The `great_expectations` module, imported on first call, with scipy.stats deferred.

    Call it before importing any GX submodule. It runs in the caller's thread: a background
    import raced the run's own imports (GX's submodules, SQLAlchemy) into a circular ImportError.
    """
    _defer("scipy.stats")
    import great_expectations as gx

    return gx
