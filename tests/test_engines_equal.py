"""The same mappings over the same data give identical canonical rows and rejects on every engine.

Each dataset's source tables are copied, typed from their source schemas, into DuckDB (the
reference), SQLite (Chinook and Northwind attached where they are), PostgreSQL, MariaDB and
Spark; every view is created in that engine's dialect; every integrated view and the rejects
view are read back and compared as sorted sets of typed rows.
"""
from __future__ import annotations

import pytest

from conftest import CHINOOK, NORTHWIND
from engine_support import open_engine
from toolkit.run.demo import build_estate, estate_scripts
from toolkit.run.engines import create_views, deploy, results
from toolkit.run.engines.compare import differences, normalised_rows
from toolkit.run.engines.data import read_source
from toolkit.run.engines.duckdb import DuckDBEngine

DATASETS = {"legacy": ("chinook", "northwind"), "demo": tuple(estate_scripts())}


@pytest.fixture(scope="session")
def datasets(plan, tmp_path_factory):
    """Dataset name -> the source data of each of its mapped sources."""
    mapped = {s.name for s in plan.sources}
    legacy = [read_source(plan, "chinook", CHINOOK), read_source(plan, "northwind", NORTHWIND)]
    con = build_estate(tmp_path_factory.mktemp("estate") / "estate.duckdb")
    demo = [read_source(plan, name, duckdb_con=con) for name in DATASETS["demo"] if name in mapped]
    con.close()
    return {"legacy": legacy, "demo": demo}


_RESULTS: dict[tuple[str, str], dict] = {}


def run_on(engine_name: str, dataset: str, plan, datasets) -> dict:
    key = (engine_name, dataset)
    if key not in _RESULTS:
        with open_engine(engine_name) as engine:
            deployed = deploy(engine, plan, datasets[dataset])
            _RESULTS[key] = results(engine, deployed)
    return _RESULTS[key]


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_duckdb_reference_covers_every_class_the_dataset_maps(dataset, plan, datasets):
    reference = run_on("duckdb", dataset, plan, datasets)
    sources = {d.source.name for d in datasets[dataset]}
    classes = {i.view_name for i in plan.integrated if any(v.source in sources for v in i.views)}
    assert classes <= set(reference), "an integrated view is missing"
    assert all(reference[c].rows for c in classes), "a class has no canonical rows at all"
    assert reference["rejects"].rows, "the dataset's known bad rows should be rejected"


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "mysql", "spark"])
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_engine_gives_the_same_canonical_rows_and_rejects_as_duckdb(engine, dataset, plan, datasets):
    reference = run_on("duckdb", dataset, plan, datasets)
    other = run_on(engine, dataset, plan, datasets)
    found = differences(reference, other)
    assert not found, "\n".join(d.describe("duckdb", engine) for d in found)


def test_typed_copy_on_duckdb_matches_dict_run_over_the_original_files(plan, datasets):
    """The copy every engine receives is faithful: the views over it equal the views over the SQLite files."""
    reference = run_on("duckdb", "legacy", plan, datasets)
    engine = DuckDBEngine()
    engine.attach(plan.source("chinook"), CHINOOK)
    engine.attach(plan.source("northwind"), NORTHWIND)
    create_views(engine, plan.restrict(["chinook", "northwind"]))
    con = engine.con
    for view, rows in reference.items():
        names = ", ".join(f'"{c}"' for c in rows.columns)
        direct = con.execute(f'SELECT {names} FROM "{view}"').fetchall()
        assert normalised_rows(type(rows)(rows.columns, rows.types, direct)) == normalised_rows(rows), view
    con.close()


def test_a_difference_is_reported_with_the_first_differing_rows(plan, datasets):
    reference = run_on("duckdb", "legacy", plan, datasets)
    tampered = dict(reference)
    customers = reference["customer"]
    changed = list(customers.rows)
    row = list(changed[0])
    row[customers.columns.index("full_name")] = "Someone Else"
    changed[0] = tuple(row)
    tampered["customer"] = type(customers)(customers.columns, customers.types, changed)
    [found] = differences(reference, tampered)
    text = found.describe("duckdb", "tampered")
    assert "customer: duckdb has" in text and "only in tampered (1)" in text
    assert "first pair differs in full_name" in text and "'Someone Else'" in text
