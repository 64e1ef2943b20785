"""Benchmarks: run with `python -m bench.<name>`; results and method in docs/benchmarks.md."""
