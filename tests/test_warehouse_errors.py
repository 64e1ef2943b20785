"""Busy, corrupt and unwritable warehouses: three causes, three messages, three exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AS_OF, write_settings

from retaguarda.cli import BUSY, FAILED, NOT_FOUND, OK, USAGE, main
from warehouse.database import connect, migrate
from warehouse.lock import lock_path
from warehouse.reader_copy import reader_copy_path, write_reader_copy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(tmp_path) -> str:
    """Settings of a migrated, empty warehouse with its reader copy."""
    settings_file = write_settings(tmp_path / "settings.yaml")
    con = connect(tmp_path / "warehouse.duckdb")
    migrate(con, AS_OF)
    write_reader_copy(con, tmp_path / "warehouse.duckdb")
    con.close()
    return settings_file


def cli(settings: str, *args: str, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--settings", settings, *args])
    return code, capsys.readouterr().err


def ack(settings: str, capsys) -> tuple[int, str]:
    return cli(settings, "ack", "nothing-like-this", "--by", "ana", "--note", "n", capsys=capsys)


def hold(script: str) -> subprocess.Popen:
    """Another process running `script` until the test ends it; returns once it holds what it takes."""
    process = subprocess.Popen([sys.executable, "-c", script + "; print('held', flush=True); input()"],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def release(process: subprocess.Popen) -> None:
    process.communicate("\n", timeout=30)


def test_an_intact_warehouse_answers(settings, capsys):
    assert cli(settings, "exceptions", capsys=capsys)[0] == OK
    assert ack(settings, capsys)[0] == NOT_FOUND  # opened for writing, then found nothing to ack


def test_another_writer_is_busy_and_readers_still_read(settings, tmp_path, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    writer = hold(
        f"import fcntl; h = open({str(lock_path(warehouse))!r}, 'a+'); fcntl.flock(h, fcntl.LOCK_EX); "
        "h.write('pid 1, run abc'); h.flush()"
    )
    try:
        code, err = ack(settings, capsys)
        assert code == BUSY and "being written by another run" in err
        assert cli(settings, "exceptions", capsys=capsys)[0] == OK  # the reader copy: no wait
    finally:
        release(writer)


def test_a_process_holding_the_file_is_busy_not_corrupt(settings, tmp_path, capsys):
    # an analyst's connection straight to the warehouse, no lock file involved
    analyst = hold(f"import duckdb; con = duckdb.connect({str(tmp_path / 'warehouse.duckdb')!r})")
    try:
        code, err = ack(settings, capsys)
    finally:
        release(analyst)
    assert code == BUSY and "is busy: another process has it open" in err and "Conflicting lock" in err


def test_a_truncated_warehouse_is_corrupt(settings, tmp_path, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    data = warehouse.read_bytes()
    warehouse.write_bytes(data[: len(data) // 2])
    code, err = ack(settings, capsys)
    assert code == FAILED and "truncated or damaged" in err
    reader_copy_path(warehouse).unlink()  # readers then rebuild from the warehouse, and say why they cannot
    code, err = cli(settings, "exceptions", capsys=capsys)
    assert code == FAILED and "truncated or damaged" in err


def test_a_folder_is_unwritable(tmp_path, capsys):
    (tmp_path / "warehouse.duckdb").mkdir()
    settings = write_settings(tmp_path / "settings.yaml")
    for args in (("exceptions",), ("prune",)):
        code, err = cli(settings, *args, capsys=capsys)
        assert code == USAGE and "is a folder" in err, args


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr")
def test_an_immutable_warehouse_is_unwritable(settings, tmp_path, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    if subprocess.run(["chattr", "+i", str(warehouse)], capture_output=True).returncode != 0:
        pytest.skip("this file system or user cannot set the immutable flag")
    try:
        code, err = ack(settings, capsys)
        assert cli(settings, "exceptions", capsys=capsys)[0] == OK  # readers read the copy
    finally:
        subprocess.run(["chattr", "-i", str(warehouse)], check=True)
    assert code == USAGE and "cannot be written" in err and "Operation not permitted" in err


def test_the_three_messages_differ(settings, tmp_path, capsys):
    from warehouse.database import WarehouseBusy, WarehouseCorrupt, WarehouseUnwritable, classify

    causes = {
        "Could not set lock on file": WarehouseBusy,
        "exists, but it is not a valid DuckDB database file!": WarehouseCorrupt,
        "Cannot open file: Operation not permitted": WarehouseUnwritable,
    }
    errors = {marker: classify(tmp_path / "w.duckdb", RuntimeError(marker)) for marker in causes}
    assert {marker: type(error) for marker, error in errors.items()} == causes
    heads = {str(error).split("(")[0] for error in errors.values()}
    assert len(heads) == 3


def test_a_writer_waits_for_a_process_holding_the_file(tmp_path, capsys):
    settings = write_settings(tmp_path / "settings.yaml", warehouse={"lock_wait_seconds": 120})
    con = connect(tmp_path / "warehouse.duckdb")
    migrate(con, AS_OF)
    con.close()
    # holds the file for two seconds after it says so, then lets go
    analyst = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; con = duckdb.connect({str(tmp_path / 'warehouse.duckdb')!r}); "
         "print('held', flush=True); time.sleep(2); con.close()"],
        stdout=subprocess.PIPE, text=True,
    )
    assert analyst.stdout.readline().strip() == "held"
    code, err = ack(settings, capsys)
    analyst.wait(timeout=30)
    assert code == NOT_FOUND, err  # it got the warehouse, and found nothing to ack
