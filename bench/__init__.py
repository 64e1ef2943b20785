"""Benchmarks: run with `python -m bench.<name>`; method and results in docs/benchmarks.md."""

import os

# Before any benchmark module imports great_expectations: no usage events sent from a benchmark.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
