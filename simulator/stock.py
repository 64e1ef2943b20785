"""Stock anomaly injectors: what happens to one position between the 02:00 receipt and the
03:00 snapshot of a day.

Each returns None when the position cannot carry the problem, or a `StockProblem`: the
change to the physical stock, the movements booked for it (with when each reaches us), and
the truth intervals the snapshot alone does not tell (oversold and stockout risk show in
the snapshot itself, so their truth is read from every snapshot).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from .clock import DAY, HOUR


@dataclass
class StockProblem:
    physical: int  # units the shelf gains (negative: loses)
    booked: list[tuple[int, int, int]] = field(default_factory=list)  # (occurred_at, delta, arrives_at)
    truth: list[tuple[int, int | None]] = field(default_factory=list)  # (visible_at, fixed_at)


def _seen(t: int) -> int:
    return t - t % HOUR + HOUR


def stock_drift(rng: random.Random, on_hand: int, allocated: int, reorder: int, receipt: int,
                snap: int) -> StockProblem | None:
    """Units lost and nobody booked it; half the time someone books it hours after the snapshot."""
    loss = -rng.randint(2, 4)
    t0 = receipt + rng.randint(5 * 60, 50 * 60)
    if rng.random() < 0.5:
        fixed = snap + rng.randint(2 * HOUR, 12 * HOUR)
        return StockProblem(loss, [(t0, loss, fixed)], [(_seen(snap), _seen(fixed))])
    return StockProblem(loss, [], [(_seen(snap), _seen(snap + DAY))])  # the next snapshot agrees again


def oversold(rng: random.Random, on_hand: int, allocated: int, reorder: int, receipt: int,
             snap: int) -> StockProblem | None:
    """Stock written off under open allocations; the next morning's receipt tops it up."""
    if allocated < 1:
        return None
    target = allocated - rng.randint(1, min(3, allocated))
    t0 = receipt + rng.randint(5 * 60, 50 * 60)
    return StockProblem(target - on_hand, [(t0, target - on_hand, t0)])


def stockout_risk(rng: random.Random, on_hand: int, allocated: int, reorder: int, receipt: int,
                  snap: int) -> StockProblem | None:
    """Damaged stock leaves free stock below the reorder point until the next receipt."""
    if reorder < 1:
        return None
    target = allocated + reorder - rng.randint(1, reorder)
    t0 = receipt + rng.randint(5 * 60, 50 * 60)
    return StockProblem(target - on_hand, [(t0, target - on_hand, t0)])


StockInjector = Callable[[random.Random, int, int, int, int, int], "StockProblem | None"]
STOCK_INJECTORS: dict[str, StockInjector] = {
    "oversold": oversold,
    "stock_drift": stock_drift,
    "stockout_risk": stockout_risk,
}
