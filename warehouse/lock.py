"""One writer at a time: an exclusive lock file beside the warehouse, or the lake's own lock."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from warehouse.database import WarehouseBusy, WarehouseUnwritable
from warehouse.ducklake import Lake
from warehouse.ducklake import writer_lock as lake_writer_lock

__all__ = ["WarehouseBusy", "file_lock", "lock_path", "writer_lock"]


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def writer_lock(warehouse: Path | Lake, holder: str, wait_seconds: float = 0) -> Iterator[None]:
    """Hold the warehouse (a DuckDB file, or one shop's DuckLake) for writing; wait up to wait_seconds."""
    if isinstance(warehouse, Lake):
        with lake_writer_lock(warehouse, holder, wait_seconds):
            yield
        return
    with file_lock(warehouse, str(warehouse), holder, wait_seconds):
        yield


@contextmanager
def file_lock(beside: Path, name: str, holder: str, wait_seconds: float = 0) -> Iterator[None]:
    """An exclusive lock file `<beside>.lock`, naming its holder; the kernel drops it when the process dies."""
    path = lock_path(beside)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:  # an immutable or read-only folder: not another writer
        raise WarehouseUnwritable(f"cannot write the lock file {path} beside the warehouse: {exc}") from exc
    with handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    raise WarehouseBusy(
                        f"{name} is being written by another run ({handle.read().strip() or 'unknown'}); "
                        f"waited {wait_seconds:g} s. Only one run may write the warehouse at a time."
                    ) from None
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, {holder}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
