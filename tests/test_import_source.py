"""dict import-source: tables, columns, types and keys from DDL or a live database."""
from pathlib import Path

from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND_DDL
from toolkit.cli import app
from toolkit.source_schema import import_source, load_source_schema
from toolkit.types import Type


def test_import_from_sqlite_database_reads_tables_keys_and_types():
    schema = import_source("chinook", CHINOOK)
    assert len(schema.tables) == 11
    invoice = schema.tables["Invoice"]
    assert invoice.primary_key == ("InvoiceId",)
    assert invoice.columns["Total"].type is Type.DECIMAL
    assert invoice.columns["InvoiceDate"].type is Type.DATETIME
    assert invoice.foreign_keys[0].references == "Customer"


def test_import_from_ddl_handles_quoted_names_with_spaces():
    schema = import_source("northwind", NORTHWIND_DDL, "sqlite")
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
    schema = import_source("shop", db)
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
