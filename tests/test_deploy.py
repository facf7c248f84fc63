"""`dict deploy`: the views inside the real PostgreSQL and MariaDB, beside legacy tables that stay untouched."""
from __future__ import annotations

import uuid

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND
from engine_support import require
from projects import copy_project, edit
from toolkit.cli import app
from toolkit.run.engines.data import read_source
from toolkit.plan import load_plan
from toolkit.run.engines.reconcile import run_report

pytestmark = pytest.mark.engine
FILES = {"chinook": CHINOOK, "northwind": NORTHWIND}


class Server:
    """A server holding Chinook and Northwind as legacy tables (MariaDB: default collation), each in the
    schema (database) its mapping names, plus a canary in each; snapshots of everything but dict's schema."""

    def __init__(self, kind: str, root):
        self.kind, self.tag = kind, f"dict_dep_{uuid.uuid4().hex[:8]}"
        self.schemas = {s: f"{self.tag}_{s}" for s in FILES}
        for source, schema in self.schemas.items():
            edit(root / "mappings" / f"{source}.yaml", "class_derivations:\n", f"database_schema: {schema}\nclass_derivations:\n")
        plan = load_plan(root)
        if kind == "postgres":
            require("postgres")
            from toolkit.run.engines.postgres import PostgresEngine

            self.engine = PostgresEngine()
            self.url = f"postgresql://postgres@127.0.0.1:5432/{self.engine.database}"
        else:
            require("mysql")
            from toolkit.run.engines.mysql import MySQLEngine

            self.engine = MySQLEngine(prefix=self.tag)
            for schema in self.schemas.values():
                self.engine.execute(f"CREATE DATABASE `{schema}`")   # the server's default collation
            self.engine.physical = lambda schema: schema          # legacy tables where the mapping says
            self.url = "mysql://root@127.0.0.1:3306"
        for source, path in FILES.items():
            self.engine.load_source(read_source(plan, source, path))
        for schema in self.schemas.values():
            self.engine.execute(self._canary(schema))

    def _canary(self, schema: str) -> str:
        q = f'"{schema}"' if self.kind == "postgres" else f"`{schema}`"
        return f"CREATE VIEW {q}.canary AS SELECT 42 AS answer"

    def query(self, sql: str) -> list:
        return self.engine.query(sql)

    def snapshot(self) -> dict:
        """Every legacy object and every legacy table's rows."""
        out = {}
        for schema in self.schemas.values():
            objects = self.engine.objects(schema)
            out[schema] = objects
            q = (lambda t: f'SELECT * FROM "{schema}"."{t}"') if self.kind == "postgres" else (lambda t: f"SELECT * FROM `{schema}`.`{t}`")
            for name, kind in objects:
                if kind == "TABLE":
                    out[f"{schema}.{name}"] = sorted(map(repr, self.query(q(name))))
        return out

    def close(self) -> None:
        if self.kind == "mysql":
            for (db,) in self.query(f"SHOW DATABASES LIKE '{self.tag}%'"):
                self.engine.execute(f"DROP DATABASE `{db}`")
        self.engine.close()


@pytest.fixture(params=["postgres", "mysql"])
def server(request, tmp_path):
    root = copy_project(tmp_path / "project")
    s = Server(request.param, root)
    s.root = root
    yield s
    s.close()


def _deploy(server: Server, *args: str):
    target = server.url if server.kind == "postgres" else server.url
    return CliRunner().invoke(app, ["deploy", "--target", target, "--project", str(server.root), *args])


def _count(server: Server, schema: str, view: str) -> int:
    q = f'SELECT COUNT(*) FROM "{schema}"."{view}"' if server.kind == "postgres" else f"SELECT COUNT(*) FROM `{schema}`.`{view}`"
    return int(server.query(q)[0][0])


def _duckdb_counts(root) -> dict:
    plan = load_plan(root)
    con = duckdb.connect()
    try:
        result = run_report(plan, dict(FILES), con=con)
    finally:
        con.close()
    return {r.view.view_name: r.canonical for r in result.reconciliations} | result.integrated


def test_deploy_creates_the_views_in_their_own_schema_and_leaves_legacy_objects_untouched(server):
    views = f"{server.tag}_views"
    before = server.snapshot()
    result = _deploy(server, "--schema", views)
    assert result.exit_code == 0, result.output
    assert server.snapshot() == before
    expected = _duckdb_counts(server.root)
    for view in ("chinook__customer", "northwind__customer", "customer", "transaction"):
        assert _count(server, views, view) == expected[view], view
    again = _deploy(server, "--schema", views)   # a redeploy replaces only dict's own views
    assert again.exit_code == 0, again.output
    assert server.snapshot() == before


def test_deploy_one_source_spans_only_it(server):
    views = f"{server.tag}_one"
    result = _deploy(server, "--schema", views, "--source", "chinook")
    assert result.exit_code == 0, result.output
    assert _count(server, views, "customer") == _duckdb_counts(server.root)["chinook__customer"]
    objects = {name for name, _ in server.engine.objects(views)}
    assert "chinook__customer" in objects and not any(n.startswith("northwind__") for n in objects)


def test_deploy_refuses_the_legacy_schema_and_a_schema_with_foreign_objects(server):
    before = server.snapshot()
    legacy = _deploy(server, "--schema", server.schemas["chinook"])
    assert legacy.exit_code == 1 and "holds the legacy tables" in legacy.output
    foreign = f"{server.tag}_reporting"
    if server.kind == "postgres":
        server.engine.execute(f'CREATE SCHEMA "{foreign}"')
        server.engine.execute(f'CREATE TABLE "{foreign}"."customer" (id int)')
    else:
        server.engine.execute(f"CREATE DATABASE `{foreign}`")
        server.engine.execute(f"CREATE TABLE `{foreign}`.`customer` (id int)")
    refused = _deploy(server, "--schema", foreign)
    assert refused.exit_code == 1 and "dict did not create" in refused.output and "customer" in refused.output
    assert [n for n, _ in server.engine.objects(foreign)] == ["customer"]
    assert server.snapshot() == before


def test_dry_run_prints_the_sql_and_changes_nothing(server):
    views = f"{server.tag}_dry"
    result = _deploy(server, "--schema", views, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would create" in result.output and "CREATE" in result.output
    assert server.engine.objects(views) == []


def test_redeploy_after_a_slot_is_added_replaces_the_views_whole(server):
    views = f"{server.tag}_grow"
    assert _deploy(server, "--schema", views).exit_code == 0
    dictionary = server.root / "dictionary" / "enterprise.yaml"
    doc = yaml.safe_load(dictionary.read_text(encoding="utf-8"))
    extra = next(s for s in doc["slots"] if s not in doc["classes"]["Customer"]["slots"]
                 and not doc["slots"][s].get("required") and not doc["slots"][s].get("identifier")
                 and doc["slots"][s].get("range", "string") == "string")
    edit(dictionary, "      - full_name\n", f"      - full_name\n      - {extra}\n")
    result = _deploy(server, "--schema", views)
    assert result.exit_code == 0, result.output
    if server.kind == "postgres":
        columns = [r[0] for r in server.query(
            f"SELECT column_name FROM information_schema.columns WHERE table_schema = '{views}' "
            "AND table_name = 'customer' ORDER BY ordinal_position")]
    else:
        columns = [r[0] for r in server.query(
            f"SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{views}' "
            "AND TABLE_NAME = 'customer' ORDER BY ORDINAL_POSITION")]
    assert columns[columns.index("full_name") + 1] == extra


def test_deploy_needs_the_legacy_tables_before_it_starts(tmp_path):
    require("postgres")
    from toolkit.run.engines.postgres import PostgresEngine

    root = copy_project(tmp_path / "project")
    engine = PostgresEngine()
    try:
        url = f"postgresql://postgres@127.0.0.1:5432/{engine.database}"
        result = CliRunner().invoke(app, ["deploy", "--target", url, "--project", str(root)])
        assert result.exit_code == 1 and "has no legacy table" in result.output and "Traceback" not in result.output
        assert engine.objects("dict_views") == []
    finally:
        engine.close()
