"""One meaning on every server: the MySQL views give DuckDB's answers on legacy tables in the server's
default collation (case-, accent- and trailing-space-insensitive), run through the stock client.

A legacy order system is created on the real MariaDB in a database of the server's default character
set and collation, holding mixed case ('USA'/'usa'), trailing spaces ('Norway  ', 'shipped '), accents
('Zürich'/'Zurich', 'Orléans'/'Orleans') and 4-byte characters ('😀' and '😁', which
utf8mb4_general_ci holds equal). Its mapping compares text with =, <, IN, CASE, NULLIF, GREATEST,
code maps, LIKE and a pattern check, groups and joins on text keys; the generated MySQL files run
through ``mariadb -h ... DB < file`` and every canonical row, reject and to_one violation must equal
DuckDB's.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid

import pytest

from conftest import ROOT
from engine_support import missing, require
from toolkit import dialects
from toolkit.run.engines import Engine, deploy, join_violations, results
from toolkit.run.engines.compare import differences
from toolkit.run.engines.data import read_source
from toolkit.run.engines.duckdb import DuckDBEngine
from toolkit.emit.sql import generate_sql
from toolkit.plan import load_plan
from toolkit.load.source_schema import dump_source_schema, import_sqlite

pytestmark = pytest.mark.engine

LEGACY_SQL = """
CREATE TABLE customers (cust_id INTEGER PRIMARY KEY, cust_code TEXT, name TEXT, country TEXT, city TEXT,
                        tier TEXT, note TEXT);
CREATE TABLE countries (country_id INTEGER PRIMARY KEY, code TEXT, name TEXT);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, cust_code TEXT, status TEXT, amount NUMERIC(10,2));
INSERT INTO customers VALUES
  (1, 'C1',  'Ann 😀',    'USA',      'Oslo',    'gold',      'vip'),
  (2, 'c1',  'alice',     'usa',      'Oslo ',   'GOLD',      'vip'),
  (3, 'C2',  'Bob',       'Norway  ', 'OSLO',    'gold ',     ''),
  (4, 'C3',  'Test user', 'Norway',   'Zürich',  'silver',    'vip '),
  (5, 'C4',  'TEST user', 'NORWAY',   'Zurich',  'silver',    'VIP'),
  (6, 'C5',  'Éva',       'norway',   'Orléans', 'platinum',  NULL),
  (7, 'C6',  'Eva',       'US',       'Orleans', 'standard',  '  '),
  (8, 'C7',  '😁 Joy',    'Norway',   'oslo',    'standard',  'é');
INSERT INTO countries VALUES (1, 'US', 'USA'), (2, 'NO', 'Norway'), (3, 'NO', 'NORWAY');
INSERT INTO orders VALUES
  (1, 'C1',  'shipped',   10.00), (2, 'c1',  'shipped ',  20.00), (3, 'C1 ', 'SHIPPED', 30.00),
  (4, 'C2',  'cancelled',  5.00), (5, 'C7',  '😀',          1.00), (6, 'C5', '😁',        7.00),
  (7, 'C9',  'shipped',    2.00);
"""

LEGACY_MAPPING = """
source: legacy
title: Legacy order system
class_derivations:
  Customer:
    populated_from: customers
    filter: "name NOT LIKE 'Test%'"
    joins:
      ctry: {table: countries, "on": ctry.name = customers.country, cardinality: to_one}
    slot_derivations:
      customer_type: {value: person}
      full_name: {expr: name}
      given_name: {expr: "CASE city WHEN 'Zurich' THEN 'plain' WHEN 'Orleans' THEN 'plain' ELSE 'other' END"}
      family_name: {expr: "GREATEST(name, city)"}
      organisation_name: {expr: ctry.code}
      customer_tier:
        expr: tier
        value_mappings: {gold: gold, silver: silver, platinum: platinum, standard: standard}
        unmapped: reject
      preferred_language:
        expr: "CASE WHEN country IN ('USA', 'US') THEN 'en' WHEN country = 'Norway' THEN 'nb' WHEN country < 'O' THEN 'xx' END"
      support_agent:
        expr: "NULLIF(note, '')"
        value_mappings: {vip: "😀 VIP", "é": accent}
        unmapped: keep
  Household:
    populated_from: customers
    group_by: [city]
    slot_derivations:
      household_name: {expr: MIN(name)}
      address_key: {expr: MAX(name)}
      member_count: {expr: COUNT(*)}
      country_code:
        expr: MIN(country)
        value_mappings: {USA: US, Norway: "NO"}
        unmapped: reject
  Transaction:
    populated_from: orders
    joins:
      c: {table: customers, "on": c.cust_code = orders.cust_code, cardinality: to_one}
    slot_derivations:
      customer_id: {expr: "GLOBAL_ID('Customer', c.cust_id)"}
      transaction_type:
        expr: status
        value_mappings: {shipped: purchase, cancelled: refund, "😁": adjustment}
        unmapped: reject
      transaction_date: {expr: "CAST('2024-01-01' AS TIMESTAMP)"}
      total_amount: {expr: amount}
      country_code: {expr: "UPPER(LEFT(c.country, 2))"}
"""

MARIADB_TABLES = """
CREATE TABLE customers (cust_id BIGINT PRIMARY KEY, cust_code VARCHAR(20), name VARCHAR(100), country VARCHAR(40),
                        city VARCHAR(40), tier VARCHAR(20), note TEXT);
CREATE TABLE countries (country_id BIGINT PRIMARY KEY, code VARCHAR(10), name VARCHAR(40));
CREATE TABLE orders (order_id BIGINT PRIMARY KEY, cust_code VARCHAR(20), status VARCHAR(20), amount DECIMAL(10, 2))
"""


def _client() -> str:
    found = shutil.which("mariadb") or shutil.which("mysql")
    if found is None:
        missing("the stock mariadb/mysql client is not installed: apt-get install -y mariadb-client")
    return found


class _Existing(Engine):
    """Reads views the stock client created in an existing database (no loading, no creating)."""

    name = dialect_name = "mysql"

    def __init__(self, con):
        self.con = con

    def query(self, sql: str) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    """The project (real dictionary, the legacy mapping reading database DB) and its MariaDB database DB,
    created in the server's default collation and dropped at the end."""
    require("mysql")
    import pymysql

    from toolkit.run.engines.mysql import DEFAULT_URL, _params

    database = f"dict_coll_{uuid.uuid4().hex[:10]}"
    root = tmp_path_factory.mktemp("legacy")
    shutil.copytree(ROOT / "dictionary", root / "dictionary")
    (root / "mappings").mkdir()
    sqlite_file = root / "legacy.sqlite"
    con = sqlite3.connect(sqlite_file)
    con.executescript(LEGACY_SQL)
    rows = {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in ("customers", "countries", "orders")}
    con.close()
    schema = import_sqlite(sqlite_file, "legacy", "legacy.sqlite")
    (root / "mappings" / "legacy.source.yaml").write_text(dump_source_schema(schema), encoding="utf-8")
    mapping = LEGACY_MAPPING.replace("title: Legacy order system", f"title: Legacy order system\ndatabase_schema: {database}")
    (root / "mappings" / "legacy.yaml").write_text(mapping, encoding="utf-8")
    plan = load_plan(root)

    params = {k: v for k, v in _params(DEFAULT_URL).items() if k != "database"}
    server = pymysql.connect(autocommit=True, charset="utf8mb4", **params)
    with server.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")   # the server's default utf8mb4 collation
        cur.execute(f"USE `{database}`")
        for statement in MARIADB_TABLES.split(";"):
            cur.execute(statement)
        for table, values in rows.items():
            marks = ", ".join(["%s"] * len(values[0]))
            cur.executemany(f"INSERT INTO `{table}` VALUES ({marks})", values)
    try:
        yield root, plan, read_source(plan, "legacy", sqlite_file), server, database, params
    finally:
        with server.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        server.close()


def _through_client(path, database: str, params: dict) -> subprocess.CompletedProcess:
    command = [_client(), "-h", params["host"], "-P", str(params["port"]), "-u", params["user"], database]
    if params["password"]:
        command.insert(-1, f"-p{params['password']}")
    with open(path, "rb") as script:
        return subprocess.run(command, stdin=script, capture_output=True, timeout=120)


def _run_files(files: dict[str, str], folder, database: str, params: dict, drop_preamble: bool = False) -> None:
    for stem in ("legacy", "integrated"):
        text = files[f"sql/mysql/{stem}.sql"]
        if drop_preamble:
            text = text.replace("SET NAMES utf8mb4;\n", "")
        path = folder / f"{stem}.sql"
        path.write_text(text, encoding="utf-8")
        done = _through_client(path, database, params)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def compared(legacy, tmp_path_factory):
    """(DuckDB's results and join violations, MariaDB's), the views created by the stock client."""
    root, plan, data, server, database, params = legacy
    with DuckDBEngine() as duck:
        deployed = deploy(duck, plan, [data])
        reference = results(duck, deployed), {v.name: join_violations(duck, v) for v in deployed.views()}
    _run_files(generate_sql(plan, dialects.get("mysql")), tmp_path_factory.mktemp("client"), database, params)
    existing = _Existing(server)
    other = results(existing, plan), {v.name: join_violations(existing, v) for v in plan.views()}
    return reference, other


def test_the_legacy_database_is_in_a_collation_that_ignores_case_accents_and_trailing_spaces(legacy):
    _root, _plan, _data, server, database, _params = legacy
    with server.cursor() as cur:
        cur.execute("SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", [database])
        collation = cur.fetchone()[0]
        cur.execute(f"SELECT COUNT(*) FROM `{database}`.customers WHERE country = 'usa'")
        insensitive = cur.fetchone()[0]
        cur.execute(f"SELECT COUNT(DISTINCT city) FROM `{database}`.customers")
        cities = cur.fetchone()[0]
    assert "bin" not in collation
    assert insensitive == 2            # 'USA' and 'usa' are one value to the server
    assert cities < 8                  # 'Oslo', 'Oslo ', 'OSLO', 'oslo' (and 'Zürich'/'Zurich') merge


def test_mysql_views_on_default_collation_tables_give_duckdbs_rows_rejects_and_violations(compared):
    (reference, ref_violations), (other, violations) = compared
    found = differences(reference, other)
    assert not found, "\n".join(d.describe("duckdb", "mariadb") for d in found)
    assert violations == ref_violations


def _column(result, view: str, column: str) -> list:
    rows = result[view]
    i = rows.columns.index(column)
    return [r[i] for r in rows.rows]


def test_the_reference_keeps_apart_what_the_collation_would_merge(compared):
    """The comparison above is not vacuous: DuckDB's answers differ from what the collation says."""
    (reference, violations), _ = compared
    reasons = " | ".join(str(r) for r in _column(reference, "rejects", "_reject_reason"))
    for code in ("usa", "Norway  ", "NORWAY", "norway", "shipped ", "😀", "GOLD", "gold "):   # code maps
        assert f"code '{code}' is not in value_mappings" in reasons
    customers = {r[0]: dict(zip(reference["customer"].columns, r)) for r in reference["customer"].rows}
    assert sorted(c["full_name"] for c in customers.values()) == ["Ann 😀", "Eva", "TEST user", "Éva", "😁 Joy"]  # LIKE
    assert customers["legacy:Customer:1"]["support_agent"] == "😀 VIP"   # a 4-byte literal written by the view
    # NULLIF('  ', '') keeps the spaces on every engine, then the blank-text rule makes them NULL in the slot
    assert customers["legacy:Customer:7"]["support_agent"] is None
    assert customers["legacy:Customer:6"]["family_name"] == "Éva"        # GREATEST by code points
    assert customers["legacy:Customer:5"]["preferred_language"] == "xx"  # 'NORWAY' < 'O'
    assert customers["legacy:Customer:6"]["preferred_language"] is None  # 'norway' is neither < 'O' nor 'Norway'
    assert [customers[f"legacy:Customer:{i}"]["given_name"] for i in (5, 6, 7)] == ["plain", "other", "plain"]
    rejected = {k for k, d in zip(_column(reference, "rejects", "_source_key"), _column(reference, "rejects", "_derivation"))
                if d == "Household"}
    cities = set(_column(reference, "household", "_source_key")) | rejected
    assert cities == {"Oslo", "Oslo ", "OSLO", "oslo", "Zürich", "Zurich", "Orléans", "Orleans"}   # GROUP BY, DISTINCT
    assert violations == {"Customer": [], "Household": [], "Transaction": []}   # joins on text keys match one row


def test_the_views_keep_4_byte_characters_through_the_stock_client_only_with_set_names(legacy, tmp_path):
    """Without the files' SET NAMES utf8mb4 the stock client (utf8mb3) turns an emoji literal into '?' (and the
    views mix utf8mb3 literals with utf8mb4 columns, which the server may refuse to evaluate)."""
    import pymysql

    _root, plan, _data, server, database, params = legacy
    files = generate_sql(plan, dialects.get("mysql"))
    assert files["sql/mysql/legacy.sql"].count("SET NAMES utf8mb4;") == 1
    query = "SELECT DISTINCT support_agent FROM legacy__customer WHERE support_agent LIKE '%% VIP'"
    try:
        _run_files(files, tmp_path, database, params, drop_preamble=True)
        with server.cursor() as cur:
            try:
                cur.execute(query)
                broken = {r[0] for r in cur.fetchall()}
            except pymysql.err.OperationalError as exc:   # Illegal mix of collations
                broken = {str(exc)}
    finally:
        _run_files(files, tmp_path, database, params)
    with server.cursor() as cur:
        cur.execute(query)
        kept = {r[0] for r in cur.fetchall()}
    assert kept == {"😀 VIP"}
    assert "😀 VIP" not in broken


def test_the_test_engine_loads_source_tables_in_the_server_default_collation():
    """tests/test_engines_equal.py (Chinook, Northwind, the demo estate on MariaDB) loads legacy-like tables."""
    require("mysql")
    from toolkit.run.engines.mysql import MySQLEngine

    with MySQLEngine() as engine:
        engine.create_schema("legacy")
        default = engine.query("SELECT @@collation_server")[0][0]
        rows = engine.query("SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "
                            f"'{engine.physical('legacy')}'")
    assert rows[0][0] == default or "bin" not in rows[0][0]


WORDS = ["usa", "USA", "Norway", "Norway  ", "NORWAY", "a\\b", "a%", "ab", "a[b", "Éva", "eva", "Eva", "😀", "😁", "",
         "  ", "x", "ß"]
PREDICATES = ["w = 'USA'", "w <> 'Norway'", "w < 'O'", "w >= 'a'", "w IN ('Norway', 'eva')", "w BETWEEN 'a' AND 'b'",
              r"w LIKE 'a\%'", "w LIKE 'a[b'", "w LIKE 'N_rway%'", "w LIKE '_'", "w NOT LIKE '%a%'", "w ILIKE 'e%'",
              "NULLIF(w, '') IS NULL", "UPPER(w) = 'ÉVA'", "w = '😁'", "COALESCE(NULLIF(w, '  '), 'blank') = 'blank'",
              "CASE w WHEN 'eva' THEN TRUE ELSE FALSE END"]


@pytest.fixture(scope="module")
def words(legacy):
    """The same words in DuckDB and in a default-collation MariaDB table of the legacy database."""
    import duckdb

    _root, _plan, _data, server, database, _params = legacy
    duck = duckdb.connect()
    duck.execute("CREATE TABLE words (id BIGINT PRIMARY KEY, w VARCHAR)")
    duck.executemany("INSERT INTO words VALUES (?, ?)", list(enumerate(WORDS)))
    with server.cursor() as cur:
        cur.execute(f"CREATE TABLE `{database}`.words (id BIGINT PRIMARY KEY, w VARCHAR(20))")
        cur.executemany(f"INSERT INTO `{database}`.words VALUES (%s, %s)", list(enumerate(WORDS)))
    yield duck, server, database
    duck.close()


@pytest.mark.parametrize("predicate", PREDICATES)
def test_a_text_predicate_selects_the_same_words_on_mariadb_as_on_duckdb(predicate, words):
    import sqlglot

    duck, server, database = words
    neutral = f"SELECT id FROM words WHERE {predicate}"
    expected = sorted(r[0] for r in duck.execute(neutral).fetchall())
    mysql = dialects.get("mysql")
    with server.cursor() as cur:
        cur.execute(f"USE `{database}`")
        cur.execute(mysql.to_sql(mysql.rewrite(sqlglot.parse_one(neutral, read="duckdb"))).replace("%", "%%"))
        got = sorted(r[0] for r in cur.fetchall())
    assert [WORDS[i] for i in got] == [WORDS[i] for i in expected]
