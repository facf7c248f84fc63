"""`dict run` and `dict materialize` with live PostgreSQL and MariaDB sources equal the file-based results.

Chinook and Northwind (../shared) are loaded into the real servers as legacy tables (MariaDB: in the
server's default collation) and read where they are, through DuckDB's scanners.
"""
from __future__ import annotations

import uuid

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND, ROOT
from engine_support import require
from toolkit.cli import app
from toolkit.run.engines.data import read_source
from toolkit.plan import load_plan
from toolkit.run.engines.reconcile import run_report

pytestmark = pytest.mark.engine
FILES = {"chinook": CHINOOK, "northwind": NORTHWIND}


@pytest.fixture(scope="module")
def plan():
    return load_plan(ROOT)


@pytest.fixture(scope="module")
def postgres_sources(plan):
    """A PostgreSQL database holding Chinook and Northwind, each in the schema its mapping reads."""
    require("postgres")
    from toolkit.run.engines.postgres import PostgresEngine

    engine = PostgresEngine()  # a fresh database, dropped at close
    for source, path in FILES.items():
        engine.load_source(read_source(plan, source, path))
    base = f"postgresql://postgres@127.0.0.1:5432/{engine.database}"
    yield {s: f"{base}?schema={plan.source(s).database_schema}" for s in FILES}
    engine.close()


@pytest.fixture(scope="module")
def mariadb_sources(plan):
    """A MariaDB database per source, created in the server's default collation (case- and space-insensitive)."""
    require("mysql")
    import pymysql

    from toolkit.run.engines.mysql import MySQLEngine

    prefix = f"dict_live_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with admin.cursor() as cur:
        for source in FILES:
            cur.execute(f"CREATE DATABASE `{prefix}_{plan.source(source).database_schema}`")  # the server's default collation
    engine = MySQLEngine(prefix=prefix, keep=True)
    for source, path in FILES.items():
        engine.load_source(read_source(plan, source, path))
    engine.close()
    yield {s: f"mysql://root@127.0.0.1:3306/{prefix}_{plan.source(s).database_schema}" for s in FILES}
    with admin.cursor() as cur:
        cur.execute(f"SHOW DATABASES LIKE '{prefix}%'")
        for (db,) in cur.fetchall():
            cur.execute(f"DROP DATABASE `{db}`")
    admin.close()


def _results(plan, data) -> tuple:
    con = duckdb.connect()
    try:
        result = run_report(plan, data, con=con)
        rows = {i.view_name: sorted(map(repr, con.execute(f'SELECT * FROM "{i.view_name}"').fetchall()))
                for i in plan.integrated if any(v.source in data for v in i.views)}
        rejects = sorted(map(repr, con.execute('SELECT * FROM "rejects"').fetchall()))
    finally:
        con.close()
    counts = [(r.view.source, r.view.name, r.source_rows, r.canonical, r.rejected, r.reasons) for r in result.reconciliations]
    return counts, rows, rejects


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_run_on_live_sources_equals_the_files(server, plan, request):
    live = request.getfixturevalue(f"{server}_sources")
    expected = _results(plan, dict(FILES))
    got = _results(plan, live)
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert got[2] == expected[2]


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_run_and_materialize_commands_take_urls(server, request, tmp_path):
    live = request.getfixturevalue(f"{server}_sources")
    args = [a for s, url in live.items() for a in ("-d", f"{s}={url}")]
    run = CliRunner().invoke(app, ["run", *args, "--project", str(ROOT)])
    assert "customer" in run.output and "Traceback" not in run.output, run.output
    target = tmp_path / "live.duckdb"
    loaded = CliRunner().invoke(app, ["materialize", "--target", f"duckdb:{target}", *args, "--project", str(ROOT)])
    assert "canonical tables" in loaded.output and "Traceback" not in loaded.output, loaded.output
    # the views' own rejects, per derivation and reason, beside the constraint refusals
    assert "rows the views rejected" in loaded.output and "test account with no address" in " ".join(loaded.output.split())
    files = CliRunner().invoke(app, ["materialize", "--target", f"duckdb:{tmp_path / 'files.duckdb'}",
                                     *[a for s, p in FILES.items() for a in ("-d", f"{s}={p}")], "--project", str(ROOT)])
    con_live, con_files = duckdb.connect(str(target), read_only=True), duckdb.connect(str(tmp_path / "files.duckdb"), read_only=True)
    try:
        for table in ("customer", "transaction", "product", "_refused"):
            q = f'SELECT * FROM canonical."{table}" ORDER BY ALL'
            assert con_live.execute(q).fetchall() == con_files.execute(q).fetchall(), table
    finally:
        con_live.close()
        con_files.close()
    assert loaded.exit_code == files.exit_code


def test_a_bad_live_source_is_one_line_without_the_password(tmp_path):
    result = CliRunner().invoke(app, ["run", "-d", "chinook=postgresql://postgres:hunter2@127.0.0.1:1/nowhere",
                                      "--project", str(ROOT)])
    assert result.exit_code == 1 and "cannot attach postgresql://127.0.0.1:1/nowhere" in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output
