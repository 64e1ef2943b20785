"""Property tests over generated broken files: every input row is loaded or quarantined, never both,
never neither, and nothing that lands can break the staging casts."""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from conftest import AS_OF, rows
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from sources.mapping import load_mapping
from tasks.extract import extract_new_input
from tasks.land import land_files
from warehouse.database import connect, migrate, run_model

# Hypothesis keeps caches on disk: outside the work tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "retaguarda-hypothesis")

MAPPING = """\
max_rejected_pct: 100
sources:
  - name: wms
    table: skus
    files: "skus.*"
    format: csv
    delimiter: ";"
    decimal_comma: true
    columns:
      sku: Código
      description: Descrição
      unit_weight_kg: Peso
      reorder_point: Ponto
"""
HEADER = ["Código", "Descrição", "Peso", "Ponto"]

# What a generated row suffers, and the reason it must be quarantined for (None: it loads).
DAMAGE = {
    "none": None, "twin": None, "short": "malformed_row", "long": "malformed_row", "weight": "wrong_type",
    "reorder": "wrong_type", "no_sku": "missing_required", "conflict": "duplicate_conflict",
}

descriptions = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00\ufeff\ufffd"), max_size=12)
weights = st.decimals(min_value=0, max_value=9_999_999, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def sku_rows(draw) -> tuple[list[dict], list[str]]:
    """Rows (with the damage each gets) and the CSV lines that carry them."""
    count = draw(st.integers(min_value=0, max_value=12))
    generated = []
    for number in range(count):
        generated.append({
            "sku": f"SKU-{number}", "description": draw(descriptions), "weight": draw(weights),
            "reorder": draw(st.integers(min_value=-(2**31), max_value=2**31 - 1)),
            "damage": draw(st.sampled_from(list(DAMAGE))),
        })
    return generated


def csv_line(fields: list[str]) -> str:
    out = io.StringIO()
    # CRLF line ends: the writer then quotes any field holding a CR or LF, as RFC 4180 asks
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerow(fields)
    return out.getvalue()


def fields_of(row: dict) -> list[str]:
    weight = f"{row['weight']:.3f}".replace(".", ",")
    fields = [row["sku"], row["description"], weight, str(row["reorder"])]
    damage = row["damage"]
    if damage == "short":
        return fields[:3]
    if damage == "long":
        return [*fields, "extra"]
    if damage == "weight":
        return [fields[0], fields[1], "pesado", fields[3]]
    if damage == "reorder":
        return [fields[0], fields[1], fields[2], "1,5"]
    if damage == "no_sku":
        return ["", *fields[1:]]
    return fields


def write_file(generated: list[dict]) -> tuple[str, dict[int, str], list[tuple]]:
    """The CSV text, the expected quarantine (row -> reason) and the expected raw.skus rows."""
    lines, expected_quarantine, expected_rows, extra = [csv_line(HEADER)], {}, [], []
    for row in generated:
        lines.append(csv_line(fields_of(row)))
        number = len(lines) - 1
        if row["damage"] in ("twin", "conflict"):
            copy = fields_of(row)
            if row["damage"] == "conflict":
                copy[1] += "!"
            extra.append((row, copy))
        if DAMAGE[row["damage"]]:
            expected_quarantine[number] = DAMAGE[row["damage"]]
        else:
            expected_rows.append((row, number))
    for row, copy in extra:  # the second delivery of a row comes later in the same file
        lines.append(csv_line(copy))
        number = len(lines) - 1
        if row["damage"] == "conflict":
            expected_quarantine[number] = "duplicate_conflict"
        else:
            expected_rows.append((row, number))
    canonical = [
        (row["sku"], row["description"] if row["description"].strip() else None, f"{row['weight']:.3f}",
         str(row["reorder"]), number)
        for row, number in expected_rows
    ]
    return "".join(lines), expected_quarantine, sorted(canonical, key=lambda r: r[-1])


@contextmanager
def landed(files: dict[str, bytes]):
    """Extract and land the files with the mapping above, in a fresh warehouse."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "mapping.yaml").write_text(MAPPING)
        for name, data in files.items():
            (Path(folder) / name).write_bytes(data)
        mapping = load_mapping(Path(folder) / "mapping.yaml")
        con = connect(":memory:")
        migrate(con, AS_OF)
        try:
            extracted = extract_new_input(con, mapping, "stock")
            land_files(con, extracted, "run-1", AS_OF, mapping.max_rejected_pct)
            yield con
        finally:
            con.close()


def assert_every_row_accounted_for(con) -> None:
    for batch_id, rows_in, loaded, rejected in rows(
        con, "select batch_id, rows_in, rows_loaded, rows_rejected from audit.batches"
    ):
        assert rows_in == loaded + rejected
        loaded_numbers = [n for (n,) in rows(con, "select _row_number from raw.skus where _batch_id = ?", batch_id)]
        rejected_numbers = [
            n for (n,) in rows(con, "select _row_number from raw.quarantine where _batch_id = ?", batch_id)
        ]
        assert len(loaded_numbers) == loaded and len(rejected_numbers) == rejected
        numbers = sorted(loaded_numbers + rejected_numbers)
        assert numbers == list(range(1, rows_in + 1)) or numbers == [0]  # 0: a whole unreadable file
    run_model(con, "staging", "skus")  # whatever landed casts to the canonical types


@settings(max_examples=60, deadline=None, database=None)
@given(sku_rows())
def test_each_broken_row_is_quarantined_for_its_reason(generated):
    text, expected_quarantine, expected_rows = write_file(generated)
    with landed({"skus.csv": text.encode()}) as con:
        assert dict(rows(con, "select _row_number, reason from raw.quarantine")) == expected_quarantine
        assert rows(
            con, "select sku, description, unit_weight_kg, reorder_point, _row_number from raw.skus order by 5"
        ) == expected_rows
        assert_every_row_accounted_for(con)


@st.composite
def damaged_bytes(draw) -> tuple[str, bytes]:
    """A generated file, then cut, overwritten with junk or given stray bytes; gzipped or not."""
    text, _, _ = write_file(draw(sku_rows()))
    data = text.encode()
    compress = draw(st.booleans())
    if compress:
        data = gzip.compress(data)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["cut", "junk", "insert"]))
        junk = draw(st.binary(min_size=1, max_size=4))
        if action == "cut":
            data = data[:position]
        elif action == "junk":
            data = data[:position] + junk + data[position + len(junk):]
        else:
            data = data[:position] + junk + data[position:]
    return ("skus.csv.gz" if compress else "skus.csv"), data


@settings(max_examples=80, deadline=None, database=None)
@given(damaged_bytes())
def test_damaged_files_never_lose_a_row(damaged):
    name, data = damaged
    with landed({name: data}) as con:
        assert rows(con, "select count(*) from audit.batches") == [(1,)]
        assert_every_row_accounted_for(con)


def test_weights_out_of_range_are_wrong_types():
    text, _, _ = write_file([{"sku": "SKU-0", "description": "", "weight": Decimal("99999999"), "reorder": 1,
                              "damage": "none"}])
    with landed({"skus.csv": text.encode()}) as con:
        assert rows(con, "select reason from raw.quarantine") == [("wrong_type",)]
