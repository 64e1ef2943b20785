"""Replay consecutive hourly runs of the real flow on the demo world and score the open ledger.

    uv run python -m bench.replay --seeds 7 11 23 --hours 72 --days 14 --first 2026-11-20T03:00:00+00:00

After every run the open ledger (status open, acknowledged or reopened) is compared with
the simulator's truth at the window end: recall and precision per check, and the ledger's
lifecycle against the truth's (resolved when the world fixed it, reopened only when the
problem truly came back, flaps = resolved then reopened while the truth stayed open or
closed throughout).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

from tasks.ledger import ACTIVE


@dataclass
class Score:
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    runs: int = 0
    resolved_ok: int = 0
    resolved_wrong: int = 0
    reopened_ok: int = 0
    flaps: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)  # (as_of, kind, check, entity)

    def add(self, other: Score) -> None:
        for name in ("tp", "fp", "fn"):
            getattr(self, name).update(getattr(other, name))
        for name in ("runs", "resolved_ok", "resolved_wrong", "reopened_ok", "flaps"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.seconds += other.seconds
        self.misses += other.misses

    def checks(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))

    def recall(self, check: str | None = None) -> float:
        tp = self.tp[check] if check else sum(self.tp.values())
        fn = self.fn[check] if check else sum(self.fn.values())
        return 1.0 if tp + fn == 0 else tp / (tp + fn)

    def precision(self, check: str | None = None) -> float:
        tp = self.tp[check] if check else sum(self.tp.values())
        fp = self.fp[check] if check else sum(self.fp.values())
        return 1.0 if tp + fp == 0 else tp / (tp + fp)


def open_ledger(path: Path) -> set[tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select check_id, entity_id from exceptions.ledger where list_contains(?, status)", [list(ACTIVE)]
        ).fetchall()
    finally:
        con.close()
    return {(c, e) for c, e in rows}


def replay(workdir: Path, seed: int, first: datetime, hours: int, days: int = 3, orders_per_hour: float = 8,
           anomaly_rate: float = 0.03, repeat_first: bool = False) -> Score:
    """Run `hours` consecutive hourly windows starting at `first` into one fresh warehouse."""
    from flows.hourly_reconciliation import hourly_reconciliation
    from retaguarda.settings import load_settings
    from simulator import open_at
    from simulator.handover import truth_rows

    workdir.mkdir(parents=True, exist_ok=True)
    settings_file = workdir / "settings.yaml"
    settings_file.write_text(yaml.safe_dump({
        "warehouse": {"path": str(workdir / "warehouse.duckdb")},
        "source": {"kind": "demo", "folder": str(workdir / "feed")},
        "demo": {"seed": seed, "days": days, "orders_per_hour": orders_per_hour, "anomaly_rate": anomaly_rate},
        "ledger": {"export_dir": str(workdir / "exports")},
        "report": {"dir": str(workdir / "reports")},
    }))
    settings = load_settings(str(settings_file))
    score = Score()
    before: set[tuple[str, str]] = set()
    truth_before: set[tuple[str, str]] = set()
    resolved_once: set[tuple[str, str]] = set()
    windows = [first + timedelta(hours=k) for k in range(hours)]
    if repeat_first:
        windows.insert(1, windows[0])
    world = None
    for start in windows:
        end = start + timedelta(hours=1)
        t0 = time.perf_counter()
        hourly_reconciliation(window_start=start, settings_file=str(settings_file))
        score.seconds.append(time.perf_counter() - t0)
        if world is None:
            from simulator import open_world
            world = open_world(settings.source.folder, end, seed, days, orders_per_hour, anomaly_rate,
                               settings.calendar.business_calendar(), settings.thresholds.model_dump())
        truth = open_at(truth_rows(world, int(end.timestamp())), end)
        found = open_ledger(settings.warehouse.path)
        score.runs += 1
        stamp = end.strftime("%Y-%m-%dT%H:%MZ")
        for check, _entity in found & truth:
            score.tp[check] += 1
        for check, entity in found - truth:
            score.fp[check] += 1
            score.misses.append((stamp, "false positive", check, entity))
        for check, entity in truth - found:
            score.fn[check] += 1
            score.misses.append((stamp, "missed", check, entity))
        print(f"{stamp} seed {seed}: {len(found & truth)} right, {len(found - truth)} false positives, "
              f"{len(truth - found)} missed, {score.seconds[-1]:.0f}s", file=sys.stderr, flush=True)
        for pair in sorted(found - truth)[:5]:
            print("    false positive", *pair, file=sys.stderr, flush=True)
        for pair in sorted(truth - found)[:5]:
            print("    missed", *pair, file=sys.stderr, flush=True)
        resolved = before - found
        for pair in resolved:
            if pair in truth_before and pair not in truth:
                score.resolved_ok += 1
            elif pair in truth:
                score.resolved_wrong += 1
        for pair in found - before:
            if pair in resolved_once:
                if pair in truth and pair not in truth_before:
                    score.reopened_ok += 1
                else:
                    score.flaps += 1
        resolved_once |= resolved
        before, truth_before = found, truth
        save(score, workdir / "score.json")
    return score


def world_life(seed: int, first: datetime, hours: int, days: int, orders_per_hour: float,
               anomaly_rate: float = 0.03) -> tuple[Counter, Counter]:
    """Per check, how often the world itself fixed a problem and brought one back between two runs.

    Worked out from the truth alone, without the flow, with the lifecycle definitions `replay`
    applies to the ledger: the other side of "resolved when fixed" and "reopened truly".
    """
    from retaguarda.settings import load_settings
    from simulator.handover import truth_rows
    from simulator.timeworld import HOUR, TimeWorld
    from simulator.truth import open_at

    settings = load_settings(environ={})
    ends = [int((first + timedelta(hours=k + 1)).timestamp()) for k in range(hours)]
    opened = ends[0] - days * 24 * HOUR  # as open_world opens a fresh folder
    world = TimeWorld(seed, opened, orders_per_hour, anomaly_rate, settings.calendar.business_calendar(),
                      settings.thresholds.model_dump())
    truth = truth_rows(world, ends[-1])
    fixed, back = Counter(), Counter()
    before, closed = open_at(truth, ends[0]), set()
    for end in ends[1:]:
        now = open_at(truth, end)
        fixed.update(check for check, _ in before - now)
        back.update(check for check, entity in now - before if (check, entity) in closed)
        closed |= before - now
        before = now
    return fixed, back


def unscored(score: Score) -> list[str]:
    """Catalog checks the replay never saw, in the truth or in the ledger: named, never silently left out."""
    from expectations.catalog import all_checks
    return sorted({check.id for check in all_checks()} - set(score.checks()))


def save(score: Score, path: Path) -> None:
    """The score so far, so a replay stopped early still reports the runs it finished."""
    data = {name: dict(getattr(score, name)) for name in ("tp", "fp", "fn")}
    data.update({name: getattr(score, name) for name in
                 ("runs", "resolved_ok", "resolved_wrong", "reopened_ok", "flaps", "seconds", "misses")})
    path.write_text(json.dumps(data, indent=1))


def load(path: Path) -> Score:
    data = json.loads(path.read_text())
    score = Score(**{name: Counter(data.pop(name)) for name in ("tp", "fp", "fn")})
    for name, value in data.items():
        setattr(score, name, [tuple(m) for m in value] if name == "misses" else value)
    return score


def table(scores: dict[int, Score], first: datetime, lives: dict[int, tuple[Counter, Counter]]) -> str:
    """The markdown tables; `lives` holds each seed's world_life, the truth's side of the lifecycle."""
    total = Score()
    for s in scores.values():
        total.add(s)
    fixed, back = Counter(), Counter()
    for f, b in lives.values():
        fixed.update(f)
        back.update(b)
    runs = ", ".join(f"{s.runs} for seed {seed}" for seed, s in scores.items())
    lines = [
        f"Consecutive hourly runs from {first:%Y-%m-%d %H:%M} UTC: {runs}; {total.runs} runs in all.",
        "",
        "| check | true positives | false positives | missed | recall | precision | fixed in the world | "
        "came back in the world |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for check in total.checks():
        lines.append(f"| {check} | {total.tp[check]} | {total.fp[check]} | {total.fn[check]} | "
                     f"{total.recall(check):.1%} | {total.precision(check):.1%} | {fixed[check]} | {back[check]} |")
    for check in unscored(total):
        lines.append(f"| {check} | 0 | 0 | 0 | not visible | not visible | {fixed[check]} | {back[check]} |")
    lines.append(f"| **all** | {sum(total.tp.values())} | {sum(total.fp.values())} | {sum(total.fn.values())} | "
                 f"{total.recall():.1%} | {total.precision():.1%} | {sum(fixed.values())} | "
                 f"{sum(back.values())} |")
    lines += [
        "",
        "| seed | runs | recall | precision | fixed in the world | resolved when fixed | resolved while still open "
        "| came back in the world | reopened truly | flaps | seconds per run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seed, s in scores.items():
        per_run = sum(s.seconds) / max(len(s.seconds), 1)
        f, b = lives[seed]
        lines.append(f"| {seed} | {s.runs} | {s.recall():.1%} | {s.precision():.1%} | {sum(f.values())} | "
                     f"{s.resolved_ok} | {s.resolved_wrong} | {sum(b.values())} | {s.reopened_ok} | {s.flaps} | "
                     f"{per_run:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 23])
    parser.add_argument("--hours", type=int, default=72)
    parser.add_argument("--first", type=datetime.fromisoformat, default=datetime(2026, 11, 20, 3, tzinfo=UTC),
                        help="start of the first window (default: Consciência Negra, a Friday holiday, 00:00 local)")
    parser.add_argument("--days", type=int, default=14,
                        help="demo history before the first window (14: returns come back and go unbooked)")
    parser.add_argument("--orders-per-hour", type=float, default=8)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--show-misses", type=int, default=20)
    parser.add_argument("--table-from", type=Path, nargs="+", default=None,
                        help="print the table of earlier replays from their <workdir>/seed<N>/score.json")
    args = parser.parse_args(argv)
    scores, lives = {}, {}
    if args.table_from:
        for path in args.table_from:
            seed = int(path.parent.name.removeprefix("seed"))
            scores[seed] = load(path)
            demo = yaml.safe_load((path.parent / "settings.yaml").read_text())["demo"]
            lives[seed] = world_life(seed, args.first, scores[seed].runs, demo["days"], demo["orders_per_hour"],
                                     demo["anomaly_rate"])
        print(table(scores, args.first, lives))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = args.workdir or Path(tmp)
        for seed in args.seeds:
            scores[seed] = replay(root / f"seed{seed}", seed, args.first, args.hours, args.days,
                                  args.orders_per_hour)
            print(f"seed {seed}: recall {scores[seed].recall():.1%} precision {scores[seed].precision():.1%} "
                  f"flaps {scores[seed].flaps}", file=sys.stderr, flush=True)
            for miss in scores[seed].misses[: args.show_misses]:
                print("   ", *miss, file=sys.stderr)
            lives[seed] = world_life(seed, args.first, scores[seed].runs, args.days, args.orders_per_hour)
    print(table(scores, args.first, lives))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
