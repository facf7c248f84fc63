"""Shared fixtures: the project's own plan, and the real legacy databases from ../shared."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.run.engines import create_views
from toolkit.run.engines.duckdb import DuckDBEngine
from toolkit.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")).resolve()
CHINOOK = SHARED / "datasets" / "chinook" / "Chinook_Sqlite.sqlite"
NORTHWIND = SHARED / "datasets" / "northwind" / "northwind.db"
NORTHWIND_DDL = SHARED / "datasets" / "northwind" / "create.sql"


# ---------------------------------------------------------------- test layers
# `pytest -m unit` is the inner loop (under a minute): no server, browser or Spark, small projects.
# `engine` needs PostgreSQL/MariaDB or Spark, `browser` drives Chromium, `slow` runs long on its own.
# Modules mark their own tests where they mix layers; whole modules are classified here.
UNIT_MODULES = {"test_identifiers", "test_expressions", "test_reject_rules", "test_ci_templates", "test_translators_cli",
                "test_malformed_inputs"}
ENGINE_MODULES = {"test_dialects_semantics", "test_engines_equal", "test_engines_materialize", "test_engines_relational",
                  "test_dialects"}
BROWSER_FIXTURES = {"browser", "watch"}
SLOW_MODULES = {"test_fuzz", "test_determinism", "test_demo", "test_lineage_sql", "test_translators_hypothesis",
                "test_dictionary", "test_linkml_map"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        uses_browser = bool(BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())))
        if uses_browser and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("unit"):   # marked by its module: fast and self-contained
            if uses_browser or item.get_closest_marker("engine"):
                raise pytest.UsageError(f"{item.nodeid} is marked unit but needs a server or a browser")
            continue
        if module in ENGINE_MODULES and not item.get_closest_marker("engine"):
            item.add_marker(pytest.mark.engine)
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        heavy = any(item.get_closest_marker(m) for m in ("engine", "browser", "slow"))
        if module in UNIT_MODULES and not heavy:
            item.add_marker(pytest.mark.unit)


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: the real datasets live in ../shared beside the checkout")
    return path


@pytest.fixture(scope="session")
def plan():
    return load_plan(ROOT)


@pytest.fixture(scope="session")
def legacy(plan):
    """DuckDB with Chinook and Northwind attached read-only and every view of both created."""
    engine = DuckDBEngine()
    engine.attach(plan.source("chinook"), _require(CHINOOK))
    engine.attach(plan.source("northwind"), _require(NORTHWIND))
    create_views(engine, plan.restrict(["chinook", "northwind"]))
    yield engine.con
    engine.close()


def rows(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchall()


def scalar(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]
