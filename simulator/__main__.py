"""python -m simulator --out DIR --start ISO --end ISO [--seed 7] [--orders-per-hour 12]
[--anomaly-rate 0.03] [--history-days 14]: write the demo back office's feeds and ground truth."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from .simulate import HISTORY_DAYS, simulate


def utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # bare times are UTC


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Write the demo back office's feed files (docs/feeds.md), ground truth and manifest.",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the feeds to")
    parser.add_argument("--start", type=utc, required=True, help="window start, ISO-8601 (UTC if no offset)")
    parser.add_argument("--end", type=utc, required=True, help="window end = as_of of the ground truth")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orders-per-hour", type=float, default=12)
    parser.add_argument("--anomaly-rate", type=float, default=0.03, help="per eligible entity and check")
    parser.add_argument("--history-days", type=float, default=HISTORY_DAYS,
                        help="days of trading before --start (the slow checks need old orders)")
    args = parser.parse_args(argv)
    try:
        summary = simulate(args.out, args.start, args.end, seed=args.seed, orders_per_hour=args.orders_per_hour,
                           anomaly_rate=args.anomaly_rate, history_days=args.history_days)
    except ValueError as exc:
        parser.error(str(exc))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
