"""Shared fixtures: the project's own plan, and the real legacy databases from ../shared."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit import engine
from toolkit.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")).resolve()
CHINOOK = SHARED / "datasets" / "chinook" / "Chinook_Sqlite.sqlite"
NORTHWIND = SHARED / "datasets" / "northwind" / "northwind.db"
NORTHWIND_DDL = SHARED / "datasets" / "northwind" / "create.sql"


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
    con = engine.connect()
    engine.attach(con, plan.source("chinook"), _require(CHINOOK))
    engine.attach(con, plan.source("northwind"), _require(NORTHWIND))
    engine.create_views(con, plan, ["chinook", "northwind"])
    yield con
    con.close()


def rows(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchall()


def scalar(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]
