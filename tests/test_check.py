"""dict check: fails and names the files when generated/ is not what dict generate would write now."""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from projects import copy_project, edit, snapshot
from toolkit import dialects
from toolkit.cli import app
from toolkit.analyze.drift import check_generated
from toolkit.emit.generate import generate, generator_names

runner = CliRunner()


# The edits below only need the SQL generator; one test checks every generator.
TWO_DIALECTS = ("duckdb", "postgres")   # named, so a new dialect never changes what these tests cover

SQL = ["sql"]


@pytest.fixture(scope="module")
def generated_project(tmp_path_factory):
    """A copy of the project with `dict generate sql` run in two dialects."""
    root = copy_project(tmp_path_factory.mktemp("generated-project"))
    generate(root, SQL, dialect=",".join(TWO_DIALECTS))
    return root


@pytest.fixture()
def project(generated_project, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(generated_project, root)
    return root


def check(root, *args):
    return runner.invoke(app, ["check", "--project", str(root), "--only", "sql", *args])


def test_a_project_after_dict_generate_all_passes_for_every_generator(tmp_path):
    root = copy_project(tmp_path / "all")
    generate(root, generator_names())
    result = runner.invoke(app, ["check", "--project", str(root)])
    assert result.exit_code == 0, result.output
    from toolkit.emit.generate import committed_generators

    assert f"generators {', '.join(committed_generators())}," in result.output   # what is committed
    assert "produced by no generator" not in result.output   # the docs site and lineage exports are known output
    every = runner.invoke(app, ["check", "--project", str(root), "--only", ",".join(generator_names())])
    assert every.exit_code == 0 and f"generators {', '.join(generator_names())}," in every.output, every.output


def test_freshly_generated_project_passes(project):
    result = check(project)
    assert result.exit_code == 0, result.output
    assert "generated/ is up to date" in result.output


def test_check_compares_every_dialect_that_was_generated(project):
    drift = check_generated(project, targets=SQL)
    assert drift.dialects == TWO_DIALECTS
    assert drift.clean


def test_a_mapping_edit_without_regenerating_is_reported_with_the_stale_file_and_line(project):
    edit(project / "mappings" / "chinook.yaml", "expr: TRIM(FirstName)\n", "expr: UPPER(TRIM(FirstName))\n")
    result = check(project)
    assert result.exit_code == 1
    for d in TWO_DIALECTS:
        assert f"stale    generated/sql/{d}/chinook.sql:" in result.output
    assert "northwind.sql" not in result.output
    assert "run: dict generate sql --dialect" in result.output


def test_a_dictionary_edit_makes_the_integrated_views_stale(project):
    edit(project / "dictionary" / "enterprise.yaml", "      - member_count\n", "      - member_count\n      - customer_since\n")
    drift = check_generated(project, targets=SQL)
    stale = {s.path for s in drift.stale}
    d = drift.dialects[0]
    # both sources derive households, which now carry an (unmapped) customer_since column
    assert {f"sql/{d}/integrated.sql", f"sql/{d}/chinook.sql", f"sql/{d}/northwind.sql"} <= stale


def test_deleted_generated_file_is_missing_and_a_leftover_in_an_owned_folder_is_extra(project):
    d = TWO_DIALECTS[0]
    (project / "generated" / "sql" / d / "northwind.sql").unlink()
    (project / "generated" / "sql" / d / "crm.sql").write_text("-- from a removed mapping\n", encoding="utf-8")
    result = check(project, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["missing"] == [f"generated/sql/{d}/northwind.sql"]
    assert report["extra"] == [f"generated/sql/{d}/crm.sql"]
    assert report["clean"] is False


def test_a_file_no_generator_owns_is_noted_but_does_not_fail(project):
    (project / "generated" / "README.txt").write_text("notes by hand\n", encoding="utf-8")
    result = check(project)
    assert result.exit_code == 0, result.output
    assert "note     generated/README.txt: produced by no generator" in result.output


def test_check_writes_nothing_even_when_stale(project):
    edit(project / "mappings" / "northwind.yaml", "source: northwind", "source: northwind\ntitle: Renamed title")
    before = snapshot(project)
    result = check(project)
    assert result.exit_code == 1
    assert snapshot(project) == before
    assert sorted(p.name for p in project.iterdir()) == ["dictionary", "generated", "mappings"]


def test_an_invalid_mapping_fails_check_with_file_and_line(project):
    edit(project / "mappings" / "chinook.yaml", "populated_from: Company", "populated_from: Compny")
    result = check(project)
    assert result.exit_code == 1
    assert "mappings/chinook.yaml:" in result.output and "unknown column 'Compny'" in result.output
    assert "Traceback" not in result.output


def test_a_project_never_generated_lists_every_file_as_missing(tmp_path):
    root = copy_project(tmp_path / "fresh")
    drift = check_generated(root, targets=SQL)
    assert drift.dialects == ("duckdb",)
    assert {"sql/duckdb/chinook.sql", "sql/duckdb/northwind.sql", "sql/duckdb/integrated.sql"} <= set(drift.missing)
    assert not drift.stale and not drift.clean


def test_bytecode_of_imported_translators_is_not_drift(project):
    cache = project / "generated" / "sql" / "__pycache__"
    cache.mkdir()
    (cache / "chinook.cpython-311.pyc").write_bytes(b"\x00bytecode")
    result = check(project)
    assert result.exit_code == 0, result.output
    assert "__pycache__" not in result.output
