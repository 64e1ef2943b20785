"""Read the feed files into polars frames, one frame per canonical raw table.

Every input goes through a mapping (docs/sources.md): the source's own mapping file with
source.kind mapped, or the built-in one for the canonical folder of docs/feeds.md
(source.kind demo or folder). One reader, one quarantine, one set of errors.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from sources.batch import Batch, build_batch, latest
from sources.canonical import FEEDS as FEEDS
from sources.http import fetch_pages, pull_sha256
from sources.inputs import build_select_batch, select_input
from sources.mapping import Mapping, SourceMap, builtin_mapping
from sources.quarantine import Quarantined
from sources.readers import FileContent, json_values, read_records
from sources.state import FileHashes, file_hashes, high_water_mark, landed_hashes, remember_file_hashes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceCursor:
    """The high-water mark an API source reaches once this batch is landed."""

    source: str
    mark: datetime


@dataclass(frozen=True)
class ExtractedFile:
    feed: str
    path: Path | str  # a file, or the first page's URL for an API pull
    sha256: str
    rows_in: int
    tables: dict[str, pl.DataFrame]  # raw table -> rows, every value as text, with _row_number
    source: str | None = None  # recorded as _source; default the feed
    quarantine: tuple[Quarantined, ...] = ()  # rows kept out of raw.*, with the reason
    schema_drift: tuple[str, ...] = ()  # sentences for the run summary
    cursor: SourceCursor | None = None

    @property
    def rows_rejected(self) -> int:
        return len(self.quarantine)

    @property
    def rows_loaded(self) -> int:
        return self.rows_in - self.rows_rejected


def _extracted(source: SourceMap, path: Path | str, sha256: str, batch: Batch, cursor=None) -> ExtractedFile:
    label = Path(path).name if isinstance(path, Path) else path
    return ExtractedFile(
        feed=source.feed, path=path, sha256=sha256, rows_in=batch.rows_in, tables=batch.tables,
        source=source.name, quarantine=tuple(batch.quarantine),
        schema_drift=tuple(f"{source.name}: {label}: {note}" for note in batch.drift), cursor=cursor,
    )


def extract_mapped_file(mapping: Mapping, source: SourceMap, path: Path, data: bytes | None = None) -> ExtractedFile:
    """One file of a mapped source: canonical rows, and the rows quarantined with their reason."""
    data = path.read_bytes() if data is None else data
    content = read_records(
        data, path.name, source.format_of(path),
        delimiter=source.delimiter, encoding=source.encoding, records_path=source.records,
    )
    batch = build_batch(source, mapping.spec.timezone, content)
    return _extracted(source, path, hashlib.sha256(data).hexdigest(), batch)


def extract_api(mapping: Mapping, source: SourceMap, mark: datetime | None) -> ExtractedFile:
    """One pull of an API source: the changes since the high-water mark, minus the lookback."""
    http = source.http
    incremental = http.incremental
    since = None
    if incremental is not None:
        start = datetime.fromisoformat(incremental.start) if incremental.start else None
        since = mark - timedelta(minutes=incremental.lookback_minutes) if mark else start
    pages = fetch_pages(http, since)
    content = FileContent([], [])
    for page in pages:
        page_content = json_values(list(enumerate(page.records, start=1)), file=page.url)
        content.records += page_content.records
        content.columns += [column for column in page_content.columns if column not in content.columns]
    batch = build_batch(source, mapping.spec.timezone, content)
    cursor = None
    if incremental is not None:
        reached = latest(batch.tables[source.table], incremental.column)
        if reached is not None and (mark is None or reached > mark):
            cursor = SourceCursor(source.name, reached)
    return _extracted(source, pages[0].url, pull_sha256(pages), batch, cursor)


def extract_select(
    mapping: Mapping, source: SourceMap, landed: Callable[[str, str], bool], hashes: FileHashes | None = None
) -> ExtractedFile | None:
    """A select source's rows, unless it landed them before from the same SQL and input files."""
    found = select_input(mapping, source, hashes)
    if not any(found.files.values()):
        log.warning("source %s: its inputs have no files", source.name)
        return None
    if landed(source.name, found.sha256):
        return None
    batch = build_select_batch(mapping, source, found)
    label = f"select {source.name} over {found.label}"
    return ExtractedFile(
        feed=source.feed, path=label, sha256=found.sha256, rows_in=batch.rows_in, tables=batch.tables,
        source=source.name, quarantine=tuple(batch.quarantine), schema_drift=tuple(batch.drift),
    )


def extract_mapped(
    mapping: Mapping, feed: str, *, landed: Callable[[str, str], bool], mark_of: Callable[[str], datetime | None],
    hashes: FileHashes | None = None,
) -> list[ExtractedFile]:
    """New input of one feed from every mapped source; what a source landed before is not read again.

    With hashes, a file whose path, size and mtime match the last time it was hashed is not
    opened: its sha256 is the one remembered.
    """
    hashes = FileHashes({}) if hashes is None else hashes
    if not mapping.folder.is_dir():
        raise FileNotFoundError(f"source folder {mapping.folder} does not exist (see docs/feeds.md for the layout)")
    extracted = []
    for source in mapping.sources_for(feed):
        if source.http is not None:
            extracted.append(extract_api(mapping, source, mark_of(source.name)))
            continue
        if source.select is not None:
            if (selected := extract_select(mapping, source, landed, hashes)) is not None:
                extracted.append(selected)
            continue
        paths = mapping.files_of(source)
        if not paths:
            log.warning("source %s: no files match %s", source.name, ", ".join(source.patterns))
        for path in paths:
            sha256, data = hashes.sha256_of(path)
            if not landed(source.name, sha256):
                extracted.append(extract_mapped_file(mapping, source, path, data))
    return extracted


def extract_new_input(con: duckdb.DuckDBPyConnection, mapping: Mapping, feed: str) -> list[ExtractedFile]:
    """extract_mapped, with what the warehouse knows: files landed before, their hashes, API marks."""
    hashes, landed = file_hashes(con), {}

    def already(source: str, sha256: str) -> bool:
        if source not in landed:
            landed[source] = landed_hashes(con, source)
        return sha256 in landed[source]

    extracted = extract_mapped(
        mapping, feed, landed=already, mark_of=lambda source: high_water_mark(con, source), hashes=hashes
    )
    remember_file_hashes(con, hashes)
    return extracted


def extract_folder(folder: Path, feed: str) -> Iterator[ExtractedFile]:
    """Every file of one feed in a canonical feed folder, read with the built-in mapping, one at a time."""
    mapping = builtin_mapping(folder)
    for source in mapping.sources_for(feed):
        for path in mapping.files_of(source):
            yield extract_mapped_file(mapping, source, path)


def _io_error(task, task_run, state) -> bool:
    """Retry reads that failed on I/O; a malformed file fails at once."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(
    name="extract-feed", task_run_name="extract-feed-{feed}", retries=2, retry_delay_seconds=5,
    retry_condition_fn=_io_error, cache_policy=NO_CACHE,
)
def extract_feed(con: duckdb.DuckDBPyConnection, mapping: Mapping, feed: str) -> list[ExtractedFile]:
    """Read one feed's new input: files not landed before, API changes since the high-water mark."""
    logger = get_run_logger()
    extracted = extract_new_input(con, mapping, feed)
    logger.info("%s: %d files, %d rows", feed, len(extracted), sum(e.rows_in for e in extracted))
    for note in (note for file in extracted for note in file.schema_drift):
        logger.warning("schema drift: %s", note)
    return extracted
