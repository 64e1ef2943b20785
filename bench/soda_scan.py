"""Soda Core's side of bench/soda_peer.py: run in its own virtual environment, not ours.

    .bench-venvs/soda/bin/python bench/soda_scan.py SPEC.json

SPEC names the DuckDB file, the run's variables and one failed-rows check per Retaguarda
check (its SQL as `fail query`). Prints one JSON line: the seconds to import Soda, each
scan's seconds, the failed-row count per check, and this process's peak RSS. Imports only
the standard library, duckdb and soda.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from datetime import datetime  # noqa: E402

import duckdb  # noqa: E402
from soda.scan import Scan  # noqa: E402

IMPORTED = time.perf_counter() - STARTED


def value(item: object) -> object:
    if isinstance(item, dict) and "datetime" in item:
        return datetime.fromisoformat(item["datetime"])
    return item


def sodacl(checks: list[dict]) -> str:
    """One `checks for <dataset>:` section per dataset (a YAML key may appear once)."""
    lines = []
    for dataset in dict.fromkeys(check["dataset"] for check in checks):
        lines.append(f"checks for {dataset}:")
        for check in (c for c in checks if c["dataset"] == dataset):
            lines += ["  - failed rows:", f"      name: {check['id']}", "      fail query: |"]
            lines += [f"        {line}" for line in check["sql"].splitlines()]
    return "\n".join(lines) + "\n"


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    checks_yaml = sodacl(spec["checks"])
    seconds, counts = [], {}
    for _ in range(spec["repeats"]):
        # a connection per scan: Soda ends its scan with a rollback, which a reused connection refuses
        con = duckdb.connect(spec["database"], read_only=True)
        con.execute("set TimeZone = 'UTC'")
        for name, item in spec["variables"].items():
            con.execute(f'set variable "{name}" = ?', [value(item)])
        scan = Scan()
        scan.disable_telemetry()
        scan.set_data_source_name("duckdb")
        scan.add_duckdb_connection(con, "duckdb")
        scan.add_sodacl_yaml_str(checks_yaml)
        started = time.perf_counter()
        scan.execute()
        seconds.append(time.perf_counter() - started)
        if scan.has_error_logs():
            raise SystemExit(scan.get_error_logs_text())
        counts = {check["name"]: check["diagnostics"].get("value") for check in scan.get_scan_results()["checks"]}
        con.close()
    print(json.dumps({"import_s": IMPORTED, "scan_s": seconds, "counts": counts,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
