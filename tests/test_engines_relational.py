"""Relational mappings in full, on every engine: joins with declared and checked cardinality, filters,
grouping, one table feeding several classes, a wide row giving several canonical rows.

A small shop system (SQLite) is mapped onto the real dictionary: each customer row carries home,
work and mobile phone columns (three contact points), customers sharing a normalised address form
a household, an account's balance is the sum of its transactions (to_many join, grouped), and the
sales-rep lookup is declared to_one although one rep code appears twice in the reps table.
"""
from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from engine_support import open_engine
from toolkit.cli import app
from toolkit.run.engines import deploy, join_violations, results
from toolkit.run.engines.compare import differences
from toolkit.run.engines.data import read_source
from toolkit.plan import load_plan
from toolkit.load.source_schema import dump_source_schema, import_sqlite

SHOP_SQL = """
CREATE TABLE customers (cust_id INTEGER PRIMARY KEY, name TEXT NOT NULL, street TEXT, zip TEXT,
                        home_phone TEXT, work_phone TEXT, mobile_phone TEXT, rep_code TEXT);
CREATE TABLE reps (rep_row INTEGER PRIMARY KEY, rep_code TEXT, rep_name TEXT);
CREATE TABLE accounts (acct_no TEXT PRIMARY KEY, cust_id INTEGER, status TEXT);
CREATE TABLE transactions (txn_id INTEGER PRIMARY KEY, acct_no TEXT, amount NUMERIC(10,2));
INSERT INTO customers VALUES
  (1, 'Ann Lee',  '1 High St ', 'AB1', '0101', '0102', '0770', 'R1'),
  (2, 'Bob Lee',  '1 HIGH ST',  'AB1', NULL,   NULL,   '0771', 'R1'),
  (3, 'Cy Young', '9 Low Rd',   'ZZ9', '0301', NULL,   NULL,   'R2'),
  (4, 'Di Ross',  NULL,         NULL,  NULL,   NULL,   NULL,   NULL);
INSERT INTO reps VALUES (1, 'R1', 'Rita'), (2, 'R2', 'Raj'), (3, 'R2', 'Raj (duplicate row)');
INSERT INTO accounts VALUES ('A-1', 1, 'A'), ('A-2', 3, 'S'), ('A-3', 4, 'C');
INSERT INTO transactions VALUES (1, 'A-1', 100.50), (2, 'A-1', -20.25), (3, 'A-1', 5.00), (4, 'A-2', 42.00);
"""

SHOP_MAPPING = """
source: shop
title: Corner shop
class_derivations:
  Customer:
    populated_from: customers
    joins:
      rep: {table: reps, "on": rep.rep_code = customers.rep_code, cardinality: to_one}
    slot_derivations:
      customer_type: {value: person}
      full_name: {expr: TRIM(name)}
      household_id: {expr: "GLOBAL_ID('Household', UPPER(TRIM(street)) || '|' || TRIM(zip))"}
      support_agent: {expr: rep.rep_name}
  Household:
    populated_from: customers
    filter: street IS NOT NULL
    group_by: ["UPPER(TRIM(street)) || '|' || TRIM(zip)"]
    slot_derivations:
      household_name: {expr: "MIN(TRIM(name)) || ' household'"}
      address_key: {expr: "UPPER(TRIM(street)) || '|' || TRIM(zip)"}
      member_count: {expr: COUNT(*)}
  ContactPointHome:
    target_class: ContactPoint
    populated_from: customers
    filter: home_phone IS NOT NULL
    slot_derivations:
      id: {expr: "GLOBAL_ID('ContactPoint', 'home', cust_id)"}
      customer_id: {expr: "GLOBAL_ID('Customer', cust_id)"}
      contact_type: {value: phone}
      phone_number: {populated_from: home_phone}
      is_primary: {expr: "TRUE"}
  ContactPointWork:
    target_class: ContactPoint
    populated_from: customers
    filter: work_phone IS NOT NULL
    slot_derivations:
      id: {expr: "GLOBAL_ID('ContactPoint', 'work', cust_id)"}
      customer_id: {expr: "GLOBAL_ID('Customer', cust_id)"}
      contact_type: {value: phone}
      phone_number: {populated_from: work_phone}
      is_primary: {expr: "FALSE"}
  ContactPointMobile:
    target_class: ContactPoint
    populated_from: customers
    filter: mobile_phone IS NOT NULL
    slot_derivations:
      id: {expr: "GLOBAL_ID('ContactPoint', 'mobile', cust_id)"}
      customer_id: {expr: "GLOBAL_ID('Customer', cust_id)"}
      contact_type: {value: mobile}
      phone_number: {populated_from: mobile_phone}
      is_primary: {expr: "FALSE"}
  Account:
    populated_from: accounts
    joins:
      txn: {table: transactions, "on": txn.acct_no = accounts.acct_no, cardinality: to_many}
    group_by: [acct_no]
    slot_derivations:
      account_number: {expr: acct_no}
      customer_id: {expr: "GLOBAL_ID('Customer', MIN(cust_id))"}
      account_status:
        expr: MIN(status)
        value_mappings: {A: active, S: suspended, C: closed}
        unmapped: reject
      balance: {expr: "COALESCE(SUM(txn.amount), 0)"}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A project: the real dictionary and one mapping for the shop, and the shop's SQLite database."""
    root = tmp_path_factory.mktemp("shop")
    shutil.copytree(ROOT / "dictionary", root / "dictionary")
    (root / "mappings").mkdir()
    database = root / "shop.sqlite"
    con = sqlite3.connect(database)
    con.executescript(SHOP_SQL)
    con.close()
    (root / "mappings" / "shop.source.yaml").write_text(dump_source_schema(import_sqlite(database, "shop", "shop.sqlite")),
                                                        encoding="utf-8")
    (root / "mappings" / "shop.yaml").write_text(SHOP_MAPPING, encoding="utf-8")
    plan = load_plan(root)
    return root, database, plan, read_source(plan, "shop", database)


_RUNS: dict[str, tuple] = {}


def run_on(name: str, shop) -> tuple[dict, list]:
    """Rows per class and the to_one violations of the Customer derivation, on one engine."""
    if name not in _RUNS:
        _root, _db, plan, data = shop
        with open_engine(name) as engine:
            deployed = deploy(engine, plan, [data])
            customer = next(v for v in deployed.views() if v.name == "Customer")
            _RUNS[name] = (results(engine, deployed), sorted(join_violations(engine, customer)))
    return _RUNS[name]


def _rows(result, view, *columns):
    rows = result[view]
    idx = [rows.columns.index(c) for c in columns]
    return sorted(tuple(r[i] for i in idx) for r in rows.rows)


def test_a_wide_row_gives_one_contact_point_per_phone_column(shop):
    result, _ = run_on("duckdb", shop)
    assert _rows(result, "contact_point", "id", "contact_type", "phone_number") == [
        ("shop:ContactPoint:home|1", "phone", "0101"), ("shop:ContactPoint:home|3", "phone", "0301"),
        ("shop:ContactPoint:mobile|1", "mobile", "0770"), ("shop:ContactPoint:mobile|2", "mobile", "0771"),
        ("shop:ContactPoint:work|1", "phone", "0102")]


def test_customers_sharing_a_normalised_address_form_one_household(shop):
    result, _ = run_on("duckdb", shop)
    assert _rows(result, "household", "address_key", "member_count", "household_name") == [
        ("1 HIGH ST|AB1", 2, "Ann Lee household"), ("9 LOW RD|ZZ9", 1, "Cy Young household")]
    households = {r[0] for r in _rows(result, "household", "id")}
    members = [r for r in _rows(result, "customer", "id", "household_id") if r[1] in households]
    assert {m[0] for m in members} == {"shop:Customer:1", "shop:Customer:2", "shop:Customer:3"}


def test_an_account_balance_is_the_sum_of_its_transactions_through_a_to_many_join(shop):
    result, _ = run_on("duckdb", shop)
    assert _rows(result, "account", "account_number", "account_status", "balance") == [
        ("A-1", "active", Decimal("85.2500")), ("A-2", "suspended", Decimal("42.0000")), ("A-3", "closed", Decimal("0E-4"))]


def test_rows_a_filter_excludes_are_rejects_with_the_filter_as_reason(shop):
    result, _ = run_on("duckdb", shop)
    reasons = {(r[1], r[2], r[3]) for r in _rows(result, "rejects", "_source_system", "_source_key", "_derivation", "_reject_reason")}
    assert ("4", "Household", "excluded by filter: street IS NOT NULL") in reasons
    assert ("2", "ContactPointHome", "excluded by filter: home_phone IS NOT NULL") in reasons


def test_a_to_one_join_that_matched_two_rows_is_found_by_its_check_view(shop):
    _, violations = run_on("duckdb", shop)
    assert violations == [("3", "rep", 2)]


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "mysql", "spark"])
def test_every_engine_gives_the_same_rows_and_finds_the_same_cardinality_violation(engine, shop):
    reference, ref_violations = run_on("duckdb", shop)
    other, violations = run_on(engine, shop)
    found = differences(reference, other)
    assert not found, "\n".join(d.describe("duckdb", engine) for d in found)
    assert violations == ref_violations


def test_dict_run_reports_the_to_one_join_that_matched_several_rows_and_fails(shop):
    root, database, _plan, _data = shop
    outcome = CliRunner().invoke(app, ["run", "-d", f"shop={database}", "--project", str(root)])
    assert outcome.exit_code == 1
    text = " ".join((outcome.output + (outcome.stderr if outcome.stderr_bytes is not None else "")).split())
    assert "join 'rep' is declared to_one but matched up to 2 rows for 1 source row(s)" in text
