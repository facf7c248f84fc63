"""dict profile: every figure equals a direct SQL count on real data, keys and foreign keys are found,
hostile names stay names, and a live PostgreSQL copy profiles like the file it came from."""
from __future__ import annotations

import json
import sqlite3
import uuid

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND
from toolkit.cli import app
from toolkit.run.profile import profile_source




@pytest.fixture(scope="module")
def chinook():
    return profile_source(str(CHINOOK))


def _direct(sql: str, *params):
    con = sqlite3.connect(f"file:{CHINOOK}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchone()
    finally:
        con.close()


@pytest.mark.parametrize("table,column", [("Customer", "Company"), ("Customer", "State"), ("Customer", "PostalCode"),
                                          ("Customer", "Fax"), ("Track", "Composer"), ("Invoice", "BillingState"),
                                          ("Invoice", "Total"), ("Employee", "ReportsTo")])
def test_figures_equal_direct_sql(chinook, table, column):
    c = chinook.table(table).column(column)
    q = '"' + column + '"'
    rows, nulls, distinct = _direct(f'SELECT COUNT(*), COUNT(*) - COUNT({q}), COUNT(DISTINCT {q}) FROM "{table}"')
    assert (c.rows, c.nulls, c.distinct) == (rows, nulls, distinct)
    if c.type == "VARCHAR":
        blanks, lo, hi, shortest, longest = _direct(
            f"SELECT SUM(TRIM({q}) = ''), MIN({q}), MAX({q}), MIN(LENGTH({q})), MAX(LENGTH({q})) FROM \"{table}\"")
        assert (c.blanks, c.min, c.max, c.min_length, c.max_length) == (blanks or 0, lo, hi, shortest, longest)
    top, count = _direct(f'SELECT {q}, COUNT(*) FROM "{table}" WHERE {q} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1')
    if count > 1:
        assert c.top_values[0] == (str(top), count)
    else:   # every value once: no top values to show
        assert c.top_values == ()
    assert sum(n for _p, n in c.patterns) <= c.rows - c.nulls


def test_meanings_and_shapes(chinook):
    customer = chinook.table("Customer")
    assert customer.column("Email").meaning == "email"
    assert customer.column("Phone").meaning == "phone"
    assert customer.column("PostalCode").meaning == "postcode"
    assert customer.column("Country").meaning == "code list"
    assert customer.column("Phone").patterns[0] == ("+9 (999) 999-9999", 21)


def test_keys_and_foreign_keys(chinook):
    assert ("CustomerId",) in chinook.table("Customer").candidate_keys
    assert {frozenset(k) for k in chinook.table("PlaylistTrack").candidate_keys} == {frozenset({"PlaylistId", "TrackId"})}
    fks = {(f.table, f.column, f.ref_table, f.ref_column): f for f in chinook.foreign_keys}
    invoice = fks[("Invoice", "CustomerId", "Customer", "CustomerId")]
    assert invoice.containment == 1.0 and invoice.declared and invoice.distinct == 59
    # found on the values alone: Invoice.BillingAddress repeats the customer's address
    assert fks[("Invoice", "BillingAddress", "Customer", "Address")].declared is False


def test_undeclared_foreign_key_found_by_values(tmp_path):
    """A DuckDB copy of two Northwind tables without any constraint: the inclusion dependency is found."""
    path = tmp_path / "nw.duckdb"
    con = duckdb.connect(str(path))
    from toolkit.run.engines.duckdb import load_scanner

    load_scanner(con, "sqlite")
    con.execute(f"ATTACH '{NORTHWIND}' AS northwind_src (TYPE sqlite, READ_ONLY)")
    con.execute('CREATE TABLE customers AS SELECT * FROM northwind_src."Customers"')
    con.execute('CREATE TABLE orders AS SELECT "OrderID", "CustomerID", "Freight" FROM northwind_src."Orders"')
    con.close()
    profile = profile_source(str(path))
    found = {(f.table, f.column, f.ref_table, f.ref_column): f for f in profile.foreign_keys}
    fk = found[("orders", "CustomerID", "customers", "CustomerID")]
    assert fk.containment == 1.0 and not fk.declared and fk.name_match
    assert ("OrderID",) in profile.table("orders").candidate_keys


def test_csv_dates_in_text(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("id,born,amount,zip\n1,31/12/1980,1.50,75001\n2,01/02/1990,20,10115\n3,15/07/2001,,SW1A 1AA\n"
                    "4,,3,02134\n", encoding="utf-8")
    profile = profile_source(str(path))
    born = profile.table("people").column("born")
    # DuckDB's CSV sniffer may already read the column as a date; as text it is a date in text with its format
    assert born.meaning == "date" and born.date_format == "%d/%m/%Y" or born.type == "DATE"
    assert profile.table("people").column("zip").meaning == "postcode"
    assert profile.table("people").column("born").nulls == 1


HOSTILE_TABLE = 'x"; DROP TABLE keep; --'
HOSTILE_COLUMNS = ['a"b', "it's", "new\nline", "[br]", "#x: y", "ünï 名"]


def test_hostile_names_stay_names(tmp_path):
    path = tmp_path / "hostile.duckdb"
    con = duckdb.connect(str(path))
    quoted = ", ".join('"' + c.replace('"', '""') + '" VARCHAR' for c in HOSTILE_COLUMNS)
    con.execute(f'CREATE TABLE "{HOSTILE_TABLE.replace(chr(34), chr(34) * 2)}" ({quoted})')
    con.execute(f'INSERT INTO "{HOSTILE_TABLE.replace(chr(34), chr(34) * 2)}" VALUES '
                "('1', 'O''Brien', 'a@b.org', NULL, '', 'x'), ('2', 'O''Brien', 'c@d.org', NULL, ' ', 'y')")
    con.execute("CREATE TABLE keep (k INT)")
    con.close()
    profile = profile_source(str(path))
    t = profile.table(HOSTILE_TABLE)
    assert [c.column for c in t.columns] == HOSTILE_COLUMNS
    assert t.column("it's").top_values == (("O'Brien", 2),)
    assert t.column("new\nline").meaning == "email" and t.column("new\nline").distinct == 2
    assert t.column("[br]").nulls == 2 and t.column("#x: y").blanks == 2
    result = CliRunner().invoke(app, ["profile", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tables"][1]["name"] == HOSTILE_TABLE
    text = CliRunner().invoke(app, ["profile", str(path)])
    assert text.exit_code == 0 and "DROP TABLE keep" in text.output
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT COUNT(*) FROM keep").fetchone() == (0,)
    con.close()


def test_cli_text_json_and_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["profile", str(NORTHWIND), "--table", "Orders", "--table", "Customers", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [t["name"] for t in data["tables"]] == ["Customers", "Orders"]
    assert {"table": "Orders", "column": "CustomerID", "ref_table": "Customers", "ref_column": "CustomerID"}.items() \
        <= data["foreign_key_candidates"][0].items()
    text = runner.invoke(app, ["profile", str(NORTHWIND), "--table", "Shippers"])
    assert text.exit_code == 0 and "Shippers: 3 rows; candidate keys (ShipperID)" in text.output
    missing = runner.invoke(app, ["profile", str(tmp_path / "nope.sqlite")])
    assert missing.exit_code == 1 and "file not found" in missing.output and "Traceback" not in missing.output


@pytest.mark.engine
def test_live_postgres_equals_file():
    """A few Chinook tables copied into a PostgreSQL database of our own: the same figures and keys."""
    from engine_support import require

    require("postgres")
    import psycopg

    name = f"h16p_{uuid.uuid4().hex[:10]}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        con = duckdb.connect()
        from toolkit.run.engines.duckdb import load_scanner

        load_scanner(con, "sqlite")
        load_scanner(con, "postgres")
        con.execute(f"ATTACH '{CHINOOK}' AS lite (TYPE sqlite, READ_ONLY)")
        con.execute(f"ATTACH 'host=127.0.0.1 port=5432 user=postgres dbname={name}' AS pg (TYPE postgres)")
        for table in ("Customer", "Employee", "Invoice"):
            con.execute(f'CREATE TABLE pg.public."{table}" AS SELECT * FROM lite."{table}"')
        con.close()
        with psycopg.connect(url, autocommit=True) as c:
            for table in ("Customer", "Employee", "Invoice"):
                c.execute(f'ALTER TABLE "{table}" ADD PRIMARY KEY ("{table}Id")')
            c.execute('ALTER TABLE "Invoice" ADD FOREIGN KEY ("CustomerId") REFERENCES "Customer" ("CustomerId")')
        live = profile_source(url)
        local = profile_source(str(CHINOOK), tables=("Customer", "Employee", "Invoice"))
        for table in ("Customer", "Employee", "Invoice"):
            for col in local.table(table).columns:
                other = live.table(table).column(col.column)
                assert (other.rows, other.nulls, other.blanks, other.distinct) == \
                    (col.rows, col.nulls, col.blanks, col.distinct), (table, col.column)
                if col.type == "VARCHAR":
                    assert other.top_values == col.top_values and other.meaning == col.meaning, (table, col.column)
        fks = {(f.table, f.column, f.ref_table, f.ref_column): f for f in live.foreign_keys}
        assert fks[("Invoice", "CustomerId", "Customer", "CustomerId")].declared
        assert ("CustomerId",) in live.table("Customer").candidate_keys
        assert live.source == f"postgresql://127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.engine
def test_live_mariadb_with_odd_names():
    """A MariaDB database of our own: figures, the declared foreign key, quotes in a column name."""
    from engine_support import require

    require("mysql")
    import pymysql

    name = f"h16p_{uuid.uuid4().hex[:10]}"
    con = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    cur = con.cursor()
    cur.execute(f"CREATE DATABASE `{name}`")
    try:
        cur.execute(f"CREATE TABLE `{name}`.cust (id INT PRIMARY KEY, email VARCHAR(40), `it's \"odd` VARCHAR(10))")
        cur.execute(f"CREATE TABLE `{name}`.inv (id INT PRIMARY KEY, cust_id INT, "
                    f"FOREIGN KEY (cust_id) REFERENCES `{name}`.cust(id))")
        cur.execute(f"INSERT INTO `{name}`.cust VALUES (1, 'a@b.org', 'x'), (2, 'c@d.org', NULL), (3, NULL, ' ')")
        cur.execute(f"INSERT INTO `{name}`.inv VALUES (1, 1), (2, 1), (3, 3)")
        profile = profile_source(f"mysql://root@127.0.0.1:3306/{name}")
        cust = profile.table("cust")
        odd = cust.column('it\'s "odd')
        assert (odd.rows, odd.nulls, odd.blanks, odd.distinct) == (3, 1, 1, 2)
        assert cust.column("email").meaning == "email"
        fks = [(f.table, f.column, f.ref_table, f.ref_column, f.containment, f.declared) for f in profile.foreign_keys]
        assert fks == [("inv", "cust_id", "cust", "id", 1.0, True)]
    finally:
        cur.execute(f"DROP DATABASE `{name}`")
        con.close()


def test_html_page_escapes_names_and_values(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('"<script>alert(1)</script>",plain\n"<img src=x onerror=alert(2)>",1\n"</code></td>",2\n',
                    encoding="utf-8")
    page = tmp_path / "page.html"
    result = CliRunner().invoke(app, ["profile", str(path), "--html", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html and "<img" not in html and "</code></td>\"" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
