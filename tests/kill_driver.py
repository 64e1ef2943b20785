"""Run one reconciliation and SIGKILL the process at a chosen point (used by test_publish_atomic)."""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime

import flows.hourly_reconciliation as flow_module
import tasks.publish as publish_module
import tasks.share as share_module
import tasks.transform as transform_module
import tasks.validate as validate_module


def kill_on_call(original, call: int = 1):
    calls = 0

    def wrapped(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls >= call:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    return wrapped


POINTS = {
    "models": lambda: setattr(transform_module, "build_models", kill_on_call(transform_module.build_models)),
    "validation": lambda: setattr(
        validate_module, "validate_suites_with_results", kill_on_call(validate_module.validate_suites_with_results)
    ),
    # Inside the publish transaction, after five materialised tables were swapped in.
    "exception-tables": lambda: setattr(publish_module, "_swap_in", kill_on_call(publish_module._swap_in, 6)),
    "ledger": lambda: setattr(publish_module, "update_ledger", kill_on_call(publish_module.update_ledger)),
    # After the publish commit, as the share step starts sending: the first call is the run's
    # start delivering what earlier runs left, the second the share step.
    "send": lambda: setattr(share_module, "deliver_outbox", kill_on_call(share_module.deliver_outbox, 2)),
}

if __name__ == "__main__":
    point, settings_file, window_start = sys.argv[1:4]
    POINTS[point]()
    flow_module.hourly_reconciliation(window_start=datetime.fromisoformat(window_start), settings_file=settings_file)
