"""dict import-source from live PostgreSQL and MariaDB catalogs, and from their own schema dumps."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from typer.testing import CliRunner

from engine_support import require
from toolkit.cli import app
from toolkit.load.source_schema import import_source
from toolkit.core.types import Type

pytestmark = pytest.mark.engine

DB = "dict_import_live"
PASSWORD = "s3cret-never-written"

# A rental-store schema the way a legacy system declares it: keys added after the tables, comments,
# a partitioned table, a trigger function with a dollar-quoted body, a sequence and a view.
POSTGRES_DDL = """
CREATE SCHEMA rental;
CREATE TABLE rental.store (store_id serial, name text NOT NULL, city varchar(40));
CREATE TABLE rental.customer (
    customer_id integer NOT NULL, store_id integer NOT NULL, email varchar(80), first_name text NOT NULL,
    created timestamp without time zone DEFAULT now(), credit_limit numeric(10,2), active boolean DEFAULT true);
CREATE TABLE rental.payment (payment_id bigint NOT NULL, customer_id integer NOT NULL, amount numeric(5,2) NOT NULL,
    paid_on date NOT NULL) PARTITION BY RANGE (paid_on);
CREATE TABLE rental.payment_2026 PARTITION OF rental.payment FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE rental.tmp_import (x int);
ALTER TABLE ONLY rental.store ADD CONSTRAINT store_pkey PRIMARY KEY (store_id);
ALTER TABLE ONLY rental.store ADD CONSTRAINT store_name_key UNIQUE (name, city);
ALTER TABLE ONLY rental.customer ADD CONSTRAINT customer_pkey PRIMARY KEY (customer_id);
ALTER TABLE ONLY rental.customer ADD CONSTRAINT customer_email_key UNIQUE (email);
ALTER TABLE ONLY rental.customer ADD CONSTRAINT customer_store_fk FOREIGN KEY (store_id) REFERENCES rental.store(store_id)
    ON UPDATE CASCADE ON DELETE RESTRICT;
ALTER TABLE ONLY rental.payment ADD CONSTRAINT payment_pkey PRIMARY KEY (payment_id, paid_on);
ALTER TABLE rental.payment ADD CONSTRAINT payment_customer_fk FOREIGN KEY (customer_id) REFERENCES rental.customer(customer_id);
COMMENT ON TABLE rental.customer IS 'People who rent; one row per membership card';
COMMENT ON COLUMN rental.customer.email IS 'Primary e-mail; ''quoted'' text';
CREATE FUNCTION rental.touch() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN NEW.email := lower(NEW.email); RETURN NEW; END; $body$;
CREATE TRIGGER customer_touch BEFORE INSERT ON rental.customer FOR EACH ROW EXECUTE FUNCTION rental.touch();
CREATE VIEW rental.active_customer AS SELECT customer_id, email FROM rental.customer WHERE active;
INSERT INTO rental.store (name, city) VALUES ('Main', 'Oslo'), ('Annex', 'Bergen');
INSERT INTO rental.customer (customer_id, store_id, email, first_name) VALUES (1, 1, 'A@x.org', 'Ann'), (2, 2, NULL, 'Bo'),
    (3, 1, 'c@x.org', 'Cy');
INSERT INTO rental.payment VALUES (10, 1, 4.99, '2026-02-01');
"""

MYSQL_DDL = """
CREATE TABLE store (store_id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, city VARCHAR(40),
    UNIQUE KEY store_name (name, city)) ENGINE=InnoDB COMMENT='Branches';
CREATE TABLE customer (customer_id INT NOT NULL, store_id INT NOT NULL,
    email VARCHAR(80) COMMENT 'Primary e-mail; ''quoted'' text', first_name VARCHAR(45) NOT NULL, created DATETIME,
    credit_limit DECIMAL(10,2), active TINYINT(1) DEFAULT 1, kind ENUM('retail','trade'),
    PRIMARY KEY (customer_id), KEY by_email (email(10)),
    CONSTRAINT customer_store_fk FOREIGN KEY (store_id) REFERENCES store (store_id)) ENGINE=InnoDB;
CREATE TABLE tmp_import (x INT);
CREATE VIEW active_customer AS SELECT customer_id, email FROM customer WHERE active = 1;
INSERT INTO store (name, city) VALUES ('Main', 'Oslo'), ('Annex', 'Bergen');
INSERT INTO customer (customer_id, store_id, email, first_name) VALUES (1, 1, 'A@x.org', 'Ann'), (2, 2, NULL, 'Bo');
"""
MYSQL_TRIGGER = ("CREATE TRIGGER customer_touch BEFORE INSERT ON customer FOR EACH ROW BEGIN "
                 "SET NEW.email = LOWER(NEW.email); SET NEW.kind = 'retail'; END")


@pytest.fixture(scope="module")
def postgres_db():
    import psycopg

    require("postgres")
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DB}")
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB}", autocommit=True) as con:
        con.execute(POSTGRES_DDL)
    yield f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/{DB}"
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="module")
def mysql_db():
    import pymysql

    require("mysql")
    admin = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", charset="utf8mb4")
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")
        cur.execute(f"CREATE DATABASE {DB}")
        cur.execute(f"USE {DB}")
        for statement in filter(str.strip, MYSQL_DDL.split(";\n")):
            cur.execute(statement)
        cur.execute(MYSQL_TRIGGER)
    admin.commit()
    yield f"mysql://root@127.0.0.1:3306/{DB}"
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")
    admin.close()


def _import(tmp_path, source, *args):
    result = CliRunner().invoke(app, ["import-source", source, "--project", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    return result, (tmp_path / "mappings" / f"{source}.source.yaml").read_text(encoding="utf-8")


def _tables_only(text: str) -> dict:
    """The tables of a written source schema without what only a live catalog knows (row counts)."""
    tables = yaml.safe_load(text)["tables"]
    for table in tables.values():
        table.pop("row_count", None)
    return tables


def _dump(tool: list[str]) -> str:
    if shutil.which(tool[0]) is None:
        pytest.skip(f"{tool[0]} is not installed")
    return subprocess.run(tool, check=True, capture_output=True, text=True).stdout


def test_postgres_catalog_gives_tables_keys_comments_and_row_counts(postgres_db):
    schema = import_source("rental", postgres_db, database_schema="rental", exclude=("tmp_*",)).schema
    assert sorted(schema.tables) == ["customer", "payment", "store"]  # the partition is read through its parent
    customer, store, payment = schema.tables["customer"], schema.tables["store"], schema.tables["payment"]
    assert customer.primary_key == ("customer_id",) and payment.primary_key == ("payment_id", "paid_on")
    assert customer.unique == (("email",),) and store.unique == (("name", "city"),)
    fk = customer.foreign_keys[0]
    assert (fk.columns, fk.references, fk.referenced_columns) == (("store_id",), "store", ("store_id",))
    assert payment.foreign_keys[0].references == "customer"
    assert customer.description == "People who rent; one row per membership card"
    assert customer.columns["email"].description == "Primary e-mail; 'quoted' text"
    assert not customer.columns["first_name"].nullable and customer.columns["email"].nullable
    assert customer.columns["credit_limit"].type is Type.DECIMAL
    assert customer.columns["created"].type is Type.DATETIME and customer.columns["active"].type is Type.BOOLEAN
    assert (customer.row_count, store.row_count, payment.row_count) == (3, 2, 1)
    assert schema.database_schema == "rental" and schema.dialect == "postgres"


def test_postgres_live_import_equals_its_own_pg_dump(postgres_db, tmp_path):
    _, live = _import(tmp_path / "live", "rental", "--from", postgres_db, "--schema", "rental", "--exclude", "tmp_*")
    dump = tmp_path / "rental.sql"
    dump.write_text(_dump(["pg_dump", "-s", "-h", "127.0.0.1", "-U", "postgres", DB]), encoding="utf-8")
    assert "\\restrict" in dump.read_text() or "CREATE FUNCTION" in dump.read_text()
    result, from_dump = _import(tmp_path / "dump", "rental", "--from", str(dump), "--dialect", "postgres",
                                "--exclude", "tmp_*", "--exclude", "payment_2026")
    assert _tables_only(live) == _tables_only(from_dump)
    assert "skipped" in result.output and "CREATE FUNCTION" in result.output  # summarised, not fatal


def test_mariadb_live_import_equals_its_own_mysqldump(mysql_db, tmp_path):
    _, live = _import(tmp_path / "live", "shop", "--from", mysql_db, "--include", "store", "--include", "customer")
    tables = yaml.safe_load(live)["tables"]
    assert tables["customer"]["columns"]["email"]["description"] == "Primary e-mail; 'quoted' text"
    assert tables["store"]["description"] == "Branches" and tables["store"]["unique"] == [["name", "city"]]
    assert tables["customer"]["foreign_keys"][0]["references"] == "store"
    assert tables["customer"]["row_count"] == 2
    dump = tmp_path / "shop.sql"
    dump.write_text(_dump(["mysqldump", "-h", "127.0.0.1", "-u", "root", "--no-data", "--routines", "--triggers", DB]),
                    encoding="utf-8")
    _, from_dump = _import(tmp_path / "dump", "shop", "--from", str(dump), "--dialect", "mysql",
                           "--include", "store", "--include", "customer")
    assert _tables_only(live) == _tables_only(from_dump)


def test_credentials_are_never_written_or_printed(postgres_db, tmp_path):
    result, text = _import(tmp_path, "rental", "--from", postgres_db, "--schema", "rental")
    assert PASSWORD not in text and PASSWORD not in result.output and "postgres@" not in text
    assert f"imported_from: postgresql://127.0.0.1:5432/{DB}" in text
    bad = CliRunner().invoke(app, ["import-source", "x", "--from", f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/no_such_db",
                                   "--project", str(tmp_path)])
    assert bad.exit_code == 1 and PASSWORD not in bad.output and "Traceback" not in bad.output
    assert "no_such_db" in bad.output


@pytest.mark.parametrize("url, message", [
    (f"postgresql://postgres@127.0.0.1:5432/{DB}", "schema 'nope' does not exist"),
    ("postgresql://postgres@127.0.0.1:1/postgres", "cannot read the catalog"),
    ("oracle+nodriver://u@h/db", "no SQLAlchemy driver"),
])
def test_bad_urls_and_schemas_are_one_line_errors(postgres_db, tmp_path, url, message):
    result = CliRunner().invoke(app, ["import-source", "x", "--from", url, "--schema", "nope", "--project", str(tmp_path)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "mappings").exists()
