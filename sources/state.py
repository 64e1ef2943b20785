"""What the warehouse remembers about sources: files already landed, API high-water marks."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

RACY_NS = 2_000_000_000  # a file modified this recently may change again within its mtime tick


@dataclass
class FileHashes:
    """Each file's sha256 as last hashed, keyed by path, trusted while its size and mtime hold."""

    known: dict[str, tuple[int, int, str]]  # path -> (size, mtime_ns, sha256)
    hashed: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # hashed this run, to remember

    def sha256_of(self, path: Path) -> tuple[str, bytes | None]:
        """The file's sha256, and its bytes if they had to be read (None when the stat matched)."""
        key = str(path.absolute())
        stat = path.stat()
        entry = self.hashed.get(key) or self.known.get(key)
        if entry is not None and entry[:2] == (stat.st_size, stat.st_mtime_ns):
            return entry[2], None
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        # A file written just now could be rewritten at the same size within the same mtime
        # tick; it is hashed again next run rather than trusted.
        if stat.st_size == len(data) and stat.st_mtime_ns < time.time_ns() - RACY_NS:
            self.hashed[key] = (stat.st_size, stat.st_mtime_ns, sha256)
        return sha256, data


def file_hashes(con: duckdb.DuckDBPyConnection) -> FileHashes:
    rows = con.execute("select path, size, mtime_ns, sha256 from audit.file_hashes").fetchall()
    return FileHashes({path: (size, mtime_ns, sha256) for path, size, mtime_ns, sha256 in rows})


def remember_file_hashes(con: duckdb.DuckDBPyConnection, hashes: FileHashes) -> None:
    """Keep what was hashed this run; only a shortcut, so it needs no landing transaction."""
    if hashes.hashed:
        # delete then insert, not INSERT OR REPLACE: a DuckLake keeps no primary key for us
        rows = [[path, *entry] for path, entry in hashes.hashed.items()]
        con.execute("begin transaction")
        try:
            con.execute("delete from audit.file_hashes where list_contains(?, path)", [[row[0] for row in rows]])
            con.executemany("insert into audit.file_hashes values (?, ?, ?, ?, now())", rows)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        hashes.known |= hashes.hashed
        hashes.hashed = {}


def landed_hashes(con: duckdb.DuckDBPyConnection, source: str) -> set[str]:
    """Every sha256 this source landed, for many files' checks in one query."""
    return {row[0] for row in con.execute("select sha256 from audit.batches where source = ?", [source]).fetchall()}


def already_landed(con: duckdb.DuckDBPyConnection, source: str, sha256: str) -> bool:
    """Whether this source landed this content before; the same file feeding two sources lands for each."""
    found = con.execute("select count(*) from audit.batches where source = ? and sha256 = ?", [source, sha256])
    return found.fetchone()[0] > 0


def high_water_mark(con: duckdb.DuckDBPyConnection, source: str) -> datetime | None:
    row = con.execute("select high_water_mark from audit.source_cursors where source = ?", [source]).fetchone()
    return row[0] if row else None


def advance_high_water_mark(
    con: duckdb.DuckDBPyConnection, source: str, mark: datetime, batch_id: str, now: datetime
) -> None:
    """Move the mark forward (never back), inside the caller's landing transaction."""
    # An update, then an insert if there was no row: no ON CONFLICT, which needs a primary key
    # a DuckLake does not keep.
    current = high_water_mark(con, source)
    if current is None:
        con.execute("insert into audit.source_cursors values (?, ?, ?, ?)", [source, mark, batch_id, now])
    elif mark > current:
        con.execute(
            "update audit.source_cursors set high_water_mark = ?, batch_id = ?, updated_at = ? where source = ?",
            [mark, batch_id, now, source],
        )
