"""The canonical feed folder read through a mapping gives the same staging tables as the folder reader."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import rows

from retaguarda.settings import load_settings
from simulator import simulate
from sources.mapping import load_mapping
from tasks.extract import FEEDS, extract_file, extract_new_input, feed_files
from tasks.land import land_file, land_files
from tasks.transform import build_models
from warehouse.database import STAGING_MODELS, connect, migrate

CANONICAL_MAPPING = Path(__file__).resolve().parent.parent / "examples" / "canonical_feeds" / "mapping.yaml"
END = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("feed")
    simulate(folder, start=END - timedelta(days=1), end=END, seed=5, orders_per_hour=6, anomaly_rate=0.05)
    shutil.copy(CANONICAL_MAPPING, folder / "mapping.yaml")
    return folder


def staging(con) -> dict[str, list[tuple]]:
    """Every staging table's rows, without lineage columns."""
    tables = {}
    for model in STAGING_MODELS:
        columns = [
            name for (name,) in rows(
                con, "select column_name from information_schema.columns "
                "where table_schema = 'staging' and table_name = ? order by ordinal_position", model,
            ) if not name.startswith("_")
        ]
        tables[model] = rows(con, f"select {', '.join(columns)} from staging.{model} order by all")
    return tables


def test_mapped_and_folder_readers_agree(demo_folder):
    settings = load_settings(environ={})
    by_folder = connect(":memory:")
    migrate(by_folder, END)
    for feed in FEEDS:
        for table, path in feed_files(demo_folder, feed):
            land_file(by_folder, extract_file(table, path), "run-1", END)
    by_mapping = connect(":memory:")
    migrate(by_mapping, END)
    mapping = load_mapping(demo_folder / "mapping.yaml")
    drift = []
    for feed in FEEDS:
        extracted = extract_new_input(by_mapping, mapping, feed)
        drift += [note for file in extracted for note in file.schema_drift]
        land_files(by_mapping, extracted, "run-1", END, mapping.max_rejected_pct)
    build_models(by_folder, settings, END)
    build_models(by_mapping, settings, END)

    assert drift == []
    expected, actual = staging(by_folder), staging(by_mapping)
    assert rows(by_mapping, "select count(*) from raw.quarantine") == [(0,)]
    for model in STAGING_MODELS:
        assert actual[model] == expected[model], model
