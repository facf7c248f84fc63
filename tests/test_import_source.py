"""dict import-source: tables, columns, types and keys from DDL or a live database."""
from pathlib import Path

import pytest

from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND_DDL
from toolkit.cli import app
from toolkit.load.source_schema import import_source, load_source_schema
from toolkit.core.types import Type


def test_import_from_sqlite_database_reads_tables_keys_and_types():
    schema = import_source("chinook", CHINOOK).schema
    assert len(schema.tables) == 11
    invoice = schema.tables["Invoice"]
    assert invoice.primary_key == ("InvoiceId",)
    assert invoice.columns["Total"].type is Type.DECIMAL
    assert invoice.columns["InvoiceDate"].type is Type.DATETIME
    assert invoice.foreign_keys[0].references == "Customer"


def test_import_from_ddl_handles_quoted_names_with_spaces():
    schema = import_source("northwind", NORTHWIND_DDL, "sqlite").schema
    details = schema.tables["Order Details"]
    assert details.primary_key == ("OrderID", "ProductID")
    assert details.columns["Discount"].type is Type.FLOAT
    assert not details.columns["Quantity"].nullable


def test_import_from_duckdb_database(tmp_path):
    import duckdb

    db = tmp_path / "legacy.duckdb"
    con = duckdb.connect(str(db))
    con.execute('CREATE TABLE "客户" ("编号" INTEGER PRIMARY KEY, "名字" VARCHAR NOT NULL, "生日" DATE)')
    con.close()
    schema = import_source("shop", db).schema
    table = schema.tables["客户"]
    assert table.primary_key == ("编号",)
    assert table.columns["生日"].type is Type.DATE


def test_import_source_command_writes_a_schema_that_reads_back(tmp_path):
    result = CliRunner().invoke(app, ["import-source", "nw", "--from", str(NORTHWIND_DDL), "--dialect", "sqlite",
                                      "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    schema = load_source_schema(tmp_path / "mappings" / "nw.source.yaml", "nw.source.yaml")
    assert "Order Details" in schema.tables


def test_import_of_garbage_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE (((;", encoding="utf-8")
    result = CliRunner().invoke(app, ["import-source", "x", "--from", str(bad), "--project", str(tmp_path)])
    assert result.exit_code == 1 and "bad.sql:" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- DDL as real dumps write it

PG_DUMP = r"""--
-- PostgreSQL database dump
--
\restrict Zq8Rk2
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$ BEGIN NEW.note := 'a;b'; IF NEW.x THEN RAISE 'no; way'; END IF; RETURN NEW; END $_$;
CREATE TABLE public.store (store_id integer NOT NULL, name text NOT NULL);
CREATE TABLE public.customer (
    customer_id integer NOT NULL,
    store_id integer,
    note text COLLATE pg_catalog."default"
);
CREATE SEQUENCE public.customer_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER TABLE ONLY public.customer ALTER COLUMN customer_id SET DEFAULT nextval('public.customer_id_seq'::regclass);
ALTER TABLE ONLY public.store ADD CONSTRAINT store_pkey PRIMARY KEY (store_id);
ALTER TABLE ONLY public.customer
    ADD CONSTRAINT customer_pkey PRIMARY KEY (customer_id);
ALTER TABLE ONLY public.customer
    ADD CONSTRAINT customer_store_fkey FOREIGN KEY (store_id) REFERENCES public.store(store_id) ON DELETE SET NULL;
CREATE TRIGGER t BEFORE INSERT ON public.customer FOR EACH ROW EXECUTE FUNCTION public.touch();
COMMENT ON COLUMN public.customer.note IS 'free text; may hold ''quotes''';
\unrestrict Zq8Rk2
"""

MYSQLDUMP = """/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS `order`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE `order` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `customer` varchar(20) NOT NULL COMMENT 'who; ordered',
  `status` enum('open','shipped') DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `u` (`customer`,`status`),
  KEY `by_customer` (`customer`(8))
) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Orders';
DELIMITER ;;
CREATE PROCEDURE `close_all`()
BEGIN
  UPDATE `order` SET status = 'shipped';
  SELECT 1;
END ;;
DELIMITER ;
"""

TSQL = """SET ANSI_NULLS ON
GO
CREATE TABLE [dbo].[Customer](
    [CustomerID] [int] IDENTITY(1,1) NOT NULL,
    [Name] [nvarchar](50) NOT NULL,
 CONSTRAINT [PK_Customer] PRIMARY KEY CLUSTERED ([CustomerID] ASC)
) ON [PRIMARY]
GO
CREATE PROCEDURE dbo.Touch AS BEGIN SET NOCOUNT ON; SELECT 1; END
GO
"""


@pytest.mark.unit
@pytest.mark.parametrize("text, dialect, table, pk, extra", [
    (PG_DUMP, "postgres", "customer", ("customer_id",), "CREATE FUNCTION"),
    (MYSQLDUMP, "mysql", "order", ("id",), "CREATE PROCEDURE"),
    (TSQL, "tsql", "Customer", ("CustomerID",), "CREATE PROCEDURE"),
], ids=["pg_dump", "mysqldump", "tsql-go"])
def test_real_dumps_give_tables_and_keys_and_summarise_what_they_skip(tmp_path, text, dialect, table, pk, extra):
    ddl = tmp_path / "schema.sql"
    ddl.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["import-source", "legacy", "--from", str(ddl), "--dialect", dialect,
                                      "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert extra in result.output and "skipped" in result.output
    schema = load_source_schema(tmp_path / "mappings" / "legacy.source.yaml", "legacy.source.yaml")
    assert schema.tables[table].primary_key == pk
    assert not schema.tables[table].columns[pk[0]].nullable


@pytest.mark.unit
def test_keys_and_comments_added_after_the_tables_are_recorded(tmp_path):
    ddl = tmp_path / "dump.sql"
    ddl.write_text(PG_DUMP, encoding="utf-8")
    imported = import_source("legacy", ddl, "postgres")
    customer = imported.schema.tables["customer"]
    assert customer.primary_key == ("customer_id",)
    assert [(fk.columns, fk.references, fk.referenced_columns) for fk in customer.foreign_keys] == [
        (("store_id",), "store", ("store_id",))]
    assert customer.columns["note"].description == "free text; may hold 'quotes'"
    assert imported.skipped["CREATE FUNCTION"] == 1 and imported.skipped["CREATE TRIGGER"] == 1


@pytest.mark.unit
def test_mysqldump_unique_keys_comments_and_backticks(tmp_path):
    ddl = tmp_path / "dump.sql"
    ddl.write_text(MYSQLDUMP, encoding="utf-8")
    order = import_source("shop", ddl, "mysql").schema.tables["order"]
    assert order.unique == (("customer", "status"),)
    assert order.description == "Orders" and order.columns["customer"].description == "who; ordered"


@pytest.mark.unit
@pytest.mark.parametrize("text, message", [
    ("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;\n", "no CREATE TABLE statement found (skipped 1"),
    ("CREATE TABLE t (a text DEFAULT 'unterminated);\n", "cannot read the DDL"),
])
def test_ddl_without_tables_names_the_real_cause(tmp_path, text, message):
    ddl = tmp_path / "x.sql"
    ddl.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["import-source", "x", "--from", str(ddl), "--dialect", "postgres",
                                      "--project", str(tmp_path)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert "pass --dialect" not in result.output  # it was given
