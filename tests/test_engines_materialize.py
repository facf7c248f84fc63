"""Canonical DDL and `dict materialize`: tables that enforce the dictionary, loaded without silent loss."""
from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND, ROOT
from engine_support import open_engine, require
from test_engines_relational import SHOP_MAPPING, SHOP_SQL
from toolkit import dialects
from toolkit.cli import app
from toolkit.run.demo import build_estate
from toolkit.emit.generate import generate
from toolkit.emit.ddl import create_table
from toolkit.load.source_schema import dump_source_schema, import_sqlite

NINE = dialects.names()


def test_generate_ddl_all_reproduces_the_golden_files_and_they_parse_back(tmp_path):
    generate(ROOT, ["ddl"], tmp_path, dialect="all")
    for name in NINE:
        fresh = (tmp_path / "ddl" / name / "canonical.sql").read_bytes()
        golden = ROOT / "generated" / "ddl" / name / "canonical.sql"
        assert golden.exists() and golden.read_bytes() == fresh, f"run `dict generate ddl --dialect all` ({name})"
        statements = [s for s in sqlglot.parse(fresh.decode("utf-8"), read=dialects.get(name).sqlglot) if s is not None]
        creates = [s for s in statements if not isinstance(s, exp.Set)]   # MySQL files open with SET NAMES utf8mb4
        assert len(creates) == 17 and all(isinstance(c, exp.Create) for c in creates)   # 16 classes + rejects


def test_ddl_carries_keys_not_null_and_checks_where_the_dialect_enforces_them():
    text = (ROOT / "generated" / "ddl" / "postgres" / "canonical.sql").read_text(encoding="utf-8")
    assert '"customer_type" VARCHAR NOT NULL CHECK ("customer_type" IN (\'person\', \'organisation\'))' in text
    assert """"country_code" VARCHAR CHECK ("country_code" ~ '^[A-Z]{2}$')""" in text
    assert '"discount_rate" DECIMAL(18, 4) CHECK ("discount_rate" >= 0 AND "discount_rate" <= 1)' in text
    assert 'PRIMARY KEY ("id")' in text
    snowflake = (ROOT / "generated" / "ddl" / "snowflake" / "canonical.sql").read_text(encoding="utf-8")
    assert "CHECK" not in snowflake and "NOT NULL" in snowflake


@pytest.mark.parametrize("engine", ["duckdb", "sqlite", "postgres", "mysql"])
def test_the_canonical_table_refuses_rows_that_break_the_dictionary(engine, plan):
    customer = plan.dictionary.classes["Customer"]
    with open_engine(engine) as e:
        e.run(create_table(customer, e.dialect))
        names = [s.name for s in customer.slots] + ["_source_system", "_source_table", "_source_key"]

        def insert(**values) -> None:
            row = {"id": "x:Customer:1", "customer_type": "person", "full_name": "Ann Lee",
                   "_source_system": "x", "_source_table": "t", "_source_key": "1", **values}
            e.run(exp.insert(exp.select(*[exp.Literal.string(row[n]) if row.get(n) is not None else exp.null()
                                          for n in names]), exp.Table(this=exp.to_identifier("customer", quoted=True)),
                             columns=[exp.to_identifier(n, quoted=True) for n in names]))

        insert()
        for bad in ({"id": "x:Customer:1"}, {"id": "x:Customer:2", "customer_type": "alien"},
                    {"id": "x:Customer:3", "full_name": None}):
            with pytest.raises(Exception):
                insert(**bad)
        if "pattern_check" in e.dialect.constraints:
            with pytest.raises(Exception):
                insert(id="x:Customer:4", preferred_language="EN")
        rows = e.select(exp.select(exp.column("id", quoted=True)).from_(exp.Table(this=exp.to_identifier("customer", quoted=True))))
        assert [r[0] for r in rows] == ["x:Customer:1"]


def _materialize(target: str, data: dict[str, Path], project: Path = ROOT, schema: str = "canonical"):
    args = ["materialize", "--target", target, "--schema", schema, "--project", str(project)]
    for name, path in data.items():
        args += ["-d", f"{name}={path}"]
    return CliRunner().invoke(app, args)


def test_materialize_into_duckdb_loads_every_row_or_reports_it_with_provenance(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    outcome = _materialize(f"duckdb:{target}", {"chinook": CHINOOK, "northwind": NORTHWIND})
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.output
    con = duckdb.connect(str(target), read_only=True)
    try:
        for view, table in (("customer", "customer"), ("contact_point", "contact_point"), ("transaction", "transaction")):
            in_view = con.execute(f'SELECT COUNT(*) FROM main."{view}"').fetchone()[0]
            loaded = con.execute(f'SELECT COUNT(*) FROM canonical."{table}"').fetchone()[0]
            refused = con.execute('SELECT COUNT(*) FROM canonical._refused WHERE _target_class = ?',
                                  [table.replace("_", " ").title().replace(" ", "")]).fetchone()[0]
            assert in_view == loaded + refused and loaded > 0, view
        assert con.execute("SELECT COUNT(*) FROM canonical.customer").fetchone()[0] == 150
        refused = con.execute("SELECT _source_system, _source_table, _source_key, _reason FROM canonical._refused").fetchall()
        assert all(all(r) for r in refused), "a refused row without provenance or reason"
    finally:
        con.close()
    assert ("refused" in outcome.output) and (outcome.exit_code == (1 if refused else 0))


@pytest.fixture()
def shop_project(tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(ROOT / "dictionary", root / "dictionary")
    (root / "mappings").mkdir()
    database = root / "shop.sqlite"
    con = sqlite3.connect(database)
    con.executescript(SHOP_SQL)
    con.close()
    (root / "mappings" / "shop.source.yaml").write_text(dump_source_schema(import_sqlite(database, "shop", "shop.sqlite")),
                                                        encoding="utf-8")
    (root / "mappings" / "shop.yaml").write_text(SHOP_MAPPING, encoding="utf-8")
    return root, database


def test_a_duplicated_customer_is_refused_with_its_provenance_not_dropped(shop_project, tmp_path):
    root, database = shop_project
    target = tmp_path / "shop.duckdb"
    outcome = _materialize(f"duckdb:{target}", {"shop": database}, project=root)
    assert outcome.exit_code == 1
    assert "id is not unique: another row of Customer has the same id" in " ".join(outcome.output.split())
    con = duckdb.connect(str(target), read_only=True)
    refused = con.execute("SELECT id, _source_system, _source_table, _source_key FROM canonical._refused "
                          "WHERE _target_class = 'Customer' ORDER BY 1").fetchall()
    loaded = con.execute("SELECT id FROM canonical.customer ORDER BY 1").fetchall()
    con.close()
    assert refused == [("shop:Customer:3", "shop", "customers", "3")] * 2
    assert [r[0] for r in loaded] == ["shop:Customer:1", "shop:Customer:2", "shop:Customer:4"]


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_materialize_the_demo_estate_into_a_server(server, tmp_path):
    require(server)
    estate = tmp_path / "estate.duckdb"
    build_estate(estate).close()
    name = f"dict_mat_{uuid.uuid4().hex[:10]}"
    data = {"crm": estate, "billing": estate, "callcentre": estate}
    if server == "postgres":
        import psycopg

        from toolkit.run.engines.postgres import DEFAULT_URL

        with psycopg.connect(DEFAULT_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        target = DEFAULT_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            outcome = _materialize(target, data)
            with psycopg.connect(target) as con:
                counts = {t: con.execute(f'SELECT COUNT(*) FROM canonical."{t}"').fetchone()[0] for t in ("customer", "interaction")}
                views = {t: con.execute(f'SELECT COUNT(*) FROM public."{t}"').fetchone()[0] for t in ("customer", "interaction")}
                refused = con.execute("SELECT COUNT(*) FROM canonical._refused").fetchone()[0]
        finally:
            with psycopg.connect(DEFAULT_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        import pymysql

        from toolkit.run.engines.mysql import DEFAULT_URL, _params

        target = DEFAULT_URL.rstrip("/") + f"/{name}"
        try:
            outcome = _materialize(target, data, schema=f"{name}_canonical")
            con = pymysql.connect(**{k: v for k, v in _params(DEFAULT_URL).items() if k != "database"})
            with con.cursor() as cur:
                counts, views = {}, {}
                for t in ("customer", "interaction"):
                    cur.execute(f"SELECT COUNT(*) FROM `{name}_canonical`.`{t}`")
                    counts[t] = cur.fetchone()[0]
                    cur.execute(f"SELECT COUNT(*) FROM `{name}`.`{t}`")
                    views[t] = cur.fetchone()[0]
                cur.execute(f"SELECT COUNT(*) FROM `{name}_canonical`.`_refused`")
                refused = cur.fetchone()[0]
            con.close()
        finally:
            con = pymysql.connect(autocommit=True, **{k: v for k, v in _params(DEFAULT_URL).items() if k != "database"})
            with con.cursor() as cur:
                cur.execute(f"SHOW DATABASES LIKE '{name}%'")
                for (db,) in cur.fetchall():
                    cur.execute(f"DROP DATABASE `{db}`")
            con.close()
    assert outcome.exit_code == (1 if refused else 0), outcome.output
    assert counts["customer"] > 0 and counts["interaction"] > 0
    assert sum(views.values()) >= sum(counts.values())
