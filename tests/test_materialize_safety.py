"""`dict materialize` never touches what dict did not create, and a failed or killed load leaves the previous tables.

Real servers: legacy objects (tables with canary rows, a view, a routine) are put where materialize would
write; the catalog and every table's rows are compared before and after, from the server itself.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT
from engine_support import require
from toolkit.run.demo import build_estate
from toolkit.run.engines.materialize import materialize, open_target, read_sources
from toolkit.core.names import REGISTRY_TABLE, SWAP_NEW
from toolkit.core.errors import DictError
from toolkit.plan import load_plan

pytestmark = pytest.mark.engine
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
MY_URL = "mysql://root@127.0.0.1:3306"
SOURCES = ("crm", "billing", "callcentre")


# ---------------------------------------------------------------- targets and their catalogs

class Target:
    """A fresh database on one engine, its URL for --target, and a full snapshot of what it holds."""

    def __init__(self, kind: str, tmp_path: Path):
        self.kind, self.name = kind, f"dict_safe_{uuid.uuid4().hex[:10]}"
        if kind == "duckdb":
            self.path = tmp_path / f"{self.name}.duckdb"
            duckdb.connect(str(self.path)).close()
            self.url = f"duckdb:{self.path}"
        elif kind == "postgres":
            require("postgres")
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
            self.url = f"postgresql://postgres@127.0.0.1:5432/{self.name}"
        else:
            require("mysql")
            self.url = f"{MY_URL}/{self.name}"
            self.sql(f"CREATE DATABASE `{self.name}`")

    def sql(self, *statements: str) -> list:
        rows: list = []
        if self.kind == "duckdb":
            con = duckdb.connect(str(self.path))
            try:
                for s in statements:
                    rows = con.execute(s).fetchall()
            finally:
                con.close()
        elif self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as con:
                for s in statements:
                    cur = con.execute(s)
                    rows = cur.fetchall() if cur.description else []
        else:
            import pymysql

            con = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", charset="utf8mb4", autocommit=True)
            try:
                with con.cursor() as cur:
                    for s in statements:
                        cur.execute(s)
                        rows = list(cur.fetchall())
            finally:
                con.close()
        return rows

    def snapshot(self) -> dict:
        """Every object (schema, name, kind) in the target and every table's rows, sorted."""
        if self.kind == "duckdb":
            objects = self.sql("SELECT table_schema, table_name, table_type FROM information_schema.tables "
                               "WHERE table_catalog = current_database() ORDER BY ALL")
            q = lambda s, t: f'SELECT * FROM "{s}"."{t}" ORDER BY ALL'  # noqa: E731
        elif self.kind == "postgres":
            objects = self.sql("SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE "
                               "table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2") + \
                self.sql("SELECT n.nspname, p.proname, 'ROUTINE' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                         "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")
            q = lambda s, t: f'SELECT t::text FROM "{s}"."{t}" t ORDER BY 1'  # noqa: E731
        else:
            objects = self.sql(f"SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
                               f"WHERE TABLE_SCHEMA LIKE '{self.name}%' ORDER BY 1, 2") + \
                self.sql(f"SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
                         f"WHERE ROUTINE_SCHEMA LIKE '{self.name}%' ORDER BY 1, 2")
            q = lambda s, t: f"SELECT * FROM `{s}`.`{t}`"  # noqa: E731
        tables = [(s, t) for s, t, kind in objects if kind in ("BASE TABLE", "TABLE")]
        rows = {f"{s}.{t}": sorted(map(repr, self.sql(q(s, t)))) for s, t in tables}
        return {"objects": sorted(map(tuple, objects)), "rows": rows}

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.kind == "mysql":
            for (db,) in self.sql(f"SHOW DATABASES LIKE '{self.name}%'"):
                self.sql(f"DROP DATABASE `{db}`")


@pytest.fixture(params=["duckdb", "postgres", "mysql"])
def target(request, tmp_path):
    t = Target(request.param, tmp_path)
    yield t
    t.drop()


@pytest.fixture(scope="module")
def estates(tmp_path_factory):
    """The demo estate, and a second one with half the CRM activities (so two loads can be told apart)."""
    base = tmp_path_factory.mktemp("estates")
    first, second = base / "first.duckdb", base / "second.duckdb"
    build_estate(first).close()
    con = build_estate(second)
    con.execute("DELETE FROM crm.activities WHERE activity_id % 2 = 0")
    con.close()
    return first, second


def _run(target: Target, estate: Path, schema: str = "canonical"):
    plan = load_plan(ROOT)
    data = read_sources(plan, {s: estate for s in SOURCES})
    with open_target(target.url) as engine:
        return materialize(engine, plan, data, schema)


def _canonical(snapshot: dict, schema: str) -> dict:
    """The canonical tables' rows, by table name. MySQL's staged tables (recorded in the registry before they
    were made, so the next run replaces them) and the registry itself are dict's bookkeeping, not the load."""
    prefix = f"{schema}."
    return {k[len(prefix):]: v for k, v in snapshot["rows"].items()
            if k.startswith(prefix) and SWAP_NEW not in k and not k.endswith(f".{REGISTRY_TABLE}")}


def _canonical_schema(target: Target) -> str:
    return f"{target.name}_canonical" if target.kind == "mysql" else "canonical"


# ---------------------------------------------------------------- legacy objects are never touched

def _plant_legacy(target: Target, where: str) -> None:
    """Legacy objects in the schema materialize would write ``where``: views, a source copy, the canonical tables."""
    if target.kind == "mysql":
        ns = {"views": target.name, "source": f"{target.name}_crm", "canonical": f"{target.name}_canonical"}[where]
        target.sql(f"CREATE DATABASE IF NOT EXISTS `{ns}`",
                   f"CREATE TABLE `{ns}`.`customer` (id INT PRIMARY KEY, name VARCHAR(20))",
                   f"INSERT INTO `{ns}`.`customer` VALUES (1, 'canary'), (2, 'Ünïcode ✓')",
                   f"CREATE VIEW `{ns}`.`contacts` AS SELECT name FROM `{ns}`.`customer`")
        return
    ns = {"views": "main" if target.kind == "duckdb" else "public", "source": "crm", "canonical": "canonical"}[where]
    target.sql(f'CREATE SCHEMA IF NOT EXISTS "{ns}"',
               f'CREATE TABLE "{ns}"."customer" (id INT PRIMARY KEY, name VARCHAR(20))',
               f"""INSERT INTO "{ns}"."customer" VALUES (1, 'canary'), (2, 'Ünïcode ✓')""",
               f'CREATE VIEW "{ns}"."contacts" AS SELECT name FROM "{ns}"."customer"')
    if target.kind == "postgres":
        target.sql(f'CREATE FUNCTION "{ns}".legacy_fn() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$')


@pytest.mark.parametrize("where", ["views", "source", "canonical"])
def test_a_target_holding_legacy_objects_is_refused_before_any_statement(target, estates, where):
    _plant_legacy(target, where)
    before = target.snapshot()
    with pytest.raises(DictError) as refused:
        _run(target, estates[0], _canonical_schema(target))
    message = str(refused.value)
    assert "refused" in message and "dict did not create" in message and "customer" in message
    assert target.snapshot() == before


def test_a_second_run_replaces_only_what_the_first_created(target, estates):
    schema = _canonical_schema(target)
    first = _run(target, estates[0], schema)
    after_first = target.snapshot()
    second = _run(target, estates[1], schema)
    after_second = target.snapshot()
    assert after_first["objects"] == after_second["objects"]  # same objects, replaced in place
    interactions = {c.class_name: c.view_rows for c in first}["Interaction"], {c.class_name: c.view_rows for c in second}["Interaction"]
    assert interactions[1] < interactions[0]
    registry = [k for k in after_second["rows"] if k.endswith("._dict_objects")]
    assert len(registry) == 1 and len(after_second["rows"][registry[0]]) > 10


def _run_counting(target: Target, estate: Path, schema: str, fail_at: int | None = None) -> int:
    """Materialize, counting the statements sent; with ``fail_at``, the connection fails at that statement."""
    plan = load_plan(ROOT)
    data = read_sources(plan, {s: estate for s in SOURCES})
    engine = open_target(target.url)
    calls = {"n": 0}
    execute = engine.execute

    def counting(sql: str) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise RuntimeError("connection lost (injected)")
        execute(sql)

    engine.execute = counting
    try:
        materialize(engine, plan, data, schema)
    finally:
        engine.close()
    return calls["n"]


@pytest.mark.parametrize("where", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_a_load_that_fails_midway_leaves_the_previous_tables(target, estates, where):
    schema = _canonical_schema(target)
    statements = _run_counting(target, estates[0], schema)
    before = target.snapshot()
    fail_at = max(1, round(where * statements))
    with pytest.raises(DictError) as failed:
        _run_counting(target, estates[1], schema, fail_at)
    assert "previous canonical tables are intact" in str(failed.value)
    assert _canonical(target.snapshot(), schema) == _canonical(before, schema)
    assert _run_counting(target, estates[1], schema) > 0  # and the next run is not blocked by the failed one


def test_a_view_the_user_built_on_a_canonical_table_is_never_dropped(estates, tmp_path):
    target = Target("postgres", tmp_path)
    try:
        _run(target, estates[0])
        target.sql("CREATE SCHEMA reporting",
                   'CREATE VIEW reporting.big_customers AS SELECT id FROM canonical."customer"')
        before = target.snapshot()
        with pytest.raises(DictError) as failed:
            _run(target, estates[1])
        assert "previous canonical tables are intact" in str(failed.value)
        assert target.snapshot() == before
    finally:
        target.drop()


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_a_killed_load_leaves_either_the_old_or_the_new_tables(kind, estates, tmp_path):
    target = Target(kind, tmp_path)
    schema = _canonical_schema(target)
    try:
        _run(target, estates[1], schema)
        old = _canonical(target.snapshot(), schema)
        args = [sys.executable, "-m", "toolkit.cli", "materialize", "--target", target.url, "--schema", schema,
                "--project", str(ROOT)] + [a for s in SOURCES for a in ("-d", f"{s}={estates[0]}")]
        for delay in (0.8, 1.6, 2.4, 3.5):
            proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            time.sleep(0.3)  # the server notices the dropped connection and rolls back
            now = _canonical(target.snapshot(), schema)
            assert now == old or now == _new_state(target, estates), f"torn canonical tables after {delay} s"
            old = now
    finally:
        target.drop()


_NEW: dict = {}


def _new_state(target: Target, estates) -> dict:
    """The canonical tables a complete load of the first estate gives (computed once per engine, in a database of its own)."""
    if target.kind not in _NEW:
        other = Target(target.kind, Path("."))
        try:
            _run(other, estates[0], _canonical_schema(other))
            _NEW[target.kind] = _canonical(other.snapshot(), _canonical_schema(other))
        finally:
            other.drop()
    return _NEW[target.kind]
