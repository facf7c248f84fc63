"""What a small `dict` command imports: a whole process, as a user starts it, loads only what the command needs."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from projects import ROOT, copy_project
from toolkit.core.lean import FORMAT_LIBRARIES

WATCHED = ("sqlglot", "networkx", "jsonschema", "toolkit.plan", *FORMAT_LIBRARIES)


def imported(project, *args: str, cache: bool = True) -> tuple[int, str, set[str]]:
    """Exit code, stdout and the watched modules a `dict` process running ``args`` imported."""
    script = ("import atexit, json, sys\n"
              f"atexit.register(lambda: print(json.dumps([m for m in {WATCHED!r} if m in sys.modules]), file=sys.stderr))\n"
              f"sys.argv = ['dict', *{list(args)!r}]\n"
              "from toolkit.cli import main\nmain()\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DICT_CACHE": "1" if cache else "0"}
    done = subprocess.run([sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout, set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.unit
def test_validate_checks_the_schemas_without_jsonschemas_format_libraries(tmp_path):
    project = copy_project(tmp_path / "project")
    code, out, modules = imported(project, "validate", cache=False)
    assert code == 0 and out.startswith("ok: ")
    assert "jsonschema" in modules and not modules & set(FORMAT_LIBRARIES)


@pytest.mark.unit
def test_lineage_impact_on_an_unchanged_project_loads_neither_the_plan_nor_sqlglot_nor_networkx(tmp_path):
    project = copy_project(tmp_path / "project")
    shutil.copytree(ROOT / "policies", project / "policies")
    first = imported(project, "lineage", "impact", "chinook.Customer.Email")
    assert first[0] == 0 and "toolkit.plan" in first[2]
    again = imported(project, "lineage", "impact", "chinook.Customer.Email")
    assert again[:2] == first[:2]
    assert not again[2] & {"sqlglot", "networkx", "jsonschema", "toolkit.plan"}


@pytest.mark.unit
def test_generate_sql_imports_only_the_sql_generator(tmp_path):
    """`dict generate sql` imports the SQL generator's module, not the docs' or the lineage's (networkx, Jinja)."""
    project = copy_project(tmp_path / "project")
    code, out, modules = imported(project, "generate", "sql", "--dialect", "duckdb", cache=False)
    assert code == 0 and out.startswith("generated sql")
    assert "sqlglot" in modules and "networkx" not in modules


@pytest.mark.unit
def test_every_generator_of_the_package_is_listed_with_its_module():
    """KNOWN names each generator's module, so that listing them imports none; every module of toolkit/emit
    that registers a generator is listed, with the folders, order and `committed` its registration takes from it."""
    import importlib
    import pkgutil

    from toolkit import emit
    from toolkit.emit.generate import GENERATORS, KNOWN, committed_generators, generator_names

    for info in pkgutil.iter_modules(emit.__path__):
        importlib.import_module(f"toolkit.emit.{info.name}")
    registered = {name: g for name, g in GENERATORS.items() if g.files.__module__.startswith("toolkit.emit.")}
    assert set(registered) == set(KNOWN)
    for name, known in KNOWN.items():
        assert registered[name].files.__module__ == f"toolkit.emit.{known.module}"
        assert (registered[name].order, registered[name].committed, registered[name].owns) == (
            known.order, known.committed, known.owns)
    assert generator_names() == ["sql", "ddl", "python", "policies", "linkml-map", "lineage", "docs"]
    assert committed_generators() == ["sql", "ddl", "python", "policies", "linkml-map"]


@pytest.mark.unit
def test_a_warm_check_loads_neither_the_plan_nor_sqlglot(tmp_path):
    """`dict check` with nothing changed since the last run compares hashes: no plan, no sqlglot (naming the
    dialects to check reads their files' names, it does not import them)."""
    project = copy_project(tmp_path / "project")   # no generated/: check reports every file missing, twice
    first = imported(project, "check", "--dialect", "duckdb")
    assert first[0] == 1 and "sqlglot" in first[2]
    again = imported(project, "check", "--dialect", "duckdb")
    assert again[:2] == first[:2]
    assert not again[2] & {"sqlglot", "networkx", "jsonschema", "toolkit.plan"}
