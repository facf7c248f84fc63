"""Identity integrity, orphan references and blank text (issue 13, points 7-9).

- ``dict validate`` refuses two derivations of one class whose identifiers can be equal, naming both
  derivations' file:line; ``dict run`` and ``dict materialize`` find identifiers several canonical rows
  share (the ``<class>__duplicate_ids`` view) and name the derivations.
- A reference (a slot whose range is a class) naming no canonical row of its class in the source is an
  orphan: listed in ``<derivation view>__orphans`` and counted by ``dict run``; ``on_orphan: reject``
  makes the row a reject naming the slot and the identifier, and every derivation still reconciles.
- Text that is empty or only spaces is NULL in every text slot, on every engine and in the translators.
"""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from toolkit import engine as duckdb_runner
from toolkit.cli import app
from toolkit.errors import DictError
from toolkit.identity import can_share_an_id, id_patterns
from toolkit.plan import load_plan
from toolkit.source_schema import dump_source_schema, import_sqlite

STORE_SQL = """
CREATE TABLE customers (cust_id INTEGER PRIMARY KEY, name TEXT, phone TEXT, nickname TEXT);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, cust_id INTEGER, status TEXT, ordered_at TIMESTAMP, total NUMERIC(10,2));
CREATE TABLE order_lines (line_id INTEGER PRIMARY KEY, order_id INTEGER, qty INTEGER, price NUMERIC(10,2));
INSERT INTO customers VALUES
  (1, 'Ann Lee', '0101', 'annie'), (2, '   ', '0202', ' '), (3, 'Cy Young', ' ', ''), (4, 'Di Ross', '', NULL),
  (5, 'Ed Wu', NULL, '  ed '), (6, '', '	', 'x');
INSERT INTO orders VALUES
  (10, 1, 'paid', '2024-01-02 10:00:00', 30.00), (11, 1, 'void', '2024-01-03 11:00:00', 5.00),
  (12, 2, 'paid', '2024-01-04 12:00:00', 7.50),  (13, 77, 'paid', '2024-01-05 13:00:00', 1.00);
INSERT INTO order_lines VALUES
  (100, 10, 1, 10.00), (101, 10, 2, 10.00), (102, 11, 1, 5.00), (103, 12, 3, 2.50), (104, 99, 1, 1.00),
  (105, 13, 1, 1.00);
"""

STORE_MAPPING = """
source: store
class_derivations:
  Customer:
    populated_from: customers
    slot_derivations:
      customer_type: {value: person}
      full_name: {populated_from: name}
      given_name: {populated_from: nickname}
  ContactPointPhone:
    target_class: ContactPoint
    populated_from: customers
    slot_derivations:
      id: {expr: "GLOBAL_ID('ContactPoint', 'phone', cust_id)"}
      customer_id: {expr: "GLOBAL_ID('Customer', cust_id)"}
      contact_type: {value: phone}
      phone_number: {populated_from: phone}
  Transaction:
    populated_from: orders
    reject_when:
      - {when: "status = 'void'", reason: voided order}
    slot_derivations:
      customer_id: {expr: "GLOBAL_ID('Customer', cust_id)"}
      transaction_type: {value: purchase}
      transaction_date: {populated_from: ordered_at}
      total_amount: {populated_from: total}
  TransactionLine:
    populated_from: order_lines
    slot_derivations:
      transaction_id:
        expr: GLOBAL_ID('Transaction', order_id)
        on_orphan: reject
      quantity: {populated_from: qty}
      unit_price: {populated_from: price}
      line_amount: {expr: qty * price}
"""


def make_project(root: Path, mapping: str = STORE_MAPPING, sql: str = STORE_SQL) -> Path:
    """The real dictionary, the store's SQLite database and one mapping; returns the database."""
    shutil.copytree(ROOT / "dictionary", root / "dictionary")
    (root / "mappings").mkdir()
    database = root / "store.sqlite"
    con = sqlite3.connect(database)
    con.executescript(sql)
    con.close()
    (root / "mappings" / "store.source.yaml").write_text(
        dump_source_schema(import_sqlite(database, "store", "store.sqlite")), encoding="utf-8")
    (root / "mappings" / "store.yaml").write_text(mapping, encoding="utf-8")
    return database


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    database = make_project(root)
    return root, database, load_plan(root)
