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
from toolkit.cli import app
from toolkit.core.errors import DictError
from toolkit.plan.identity import can_share_an_id, id_patterns
from toolkit.plan import load_plan
from toolkit.load.source_schema import dump_source_schema, import_sqlite

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


def _invoke(*args: str):
    outcome = CliRunner().invoke(app, list(args))
    text = " ".join((outcome.output + (outcome.stderr if outcome.stderr_bytes is not None else "")).split())
    return outcome, text


def _line(text: str, needle: str, after: str = "") -> int:
    """The 1-based line of the first line holding ``needle`` (after the first line holding ``after``)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines[start:], start + 1) if needle in line)


# ----------------------------------------------------------------------------- 7. identity: validate

CONTACT = """
  {name}:
    target_class: ContactPoint
    populated_from: {table}
    slot_derivations:
{id}      customer_id: {{expr: "GLOBAL_ID('Customer', cust_id)"}}
      contact_type: {{value: phone}}
      phone_number: {{populated_from: phone}}
"""


def _contacts(*ids: str, table: str = "customers") -> str:
    """The store's Customer and one ContactPoint derivation per id expression (None: the default id)."""
    head = STORE_MAPPING.split("  ContactPointPhone:")[0]
    parts = [CONTACT.format(name=f"Contact{i}", table=table,
                            id="" if text is None else f"      id: {{expr: \"{text}\"}}\n") for i, text in enumerate(ids)]
    return head + "".join(parts)


@pytest.mark.unit
def test_validate_refuses_two_derivations_with_the_default_id_over_one_key_naming_both_lines(tmp_path):
    mapping = _contacts(None, None)
    make_project(tmp_path, mapping)
    outcome, text = _invoke("validate", "--project", str(tmp_path))
    first, second = _line(mapping, "  Contact0:"), _line(mapping, "  Contact1:")
    assert outcome.exit_code == 1
    assert (f"error mappings/store.yaml:{second}: derivations 'Contact0' (mappings/store.yaml:{first}) and 'Contact1' "
            f"(mappings/store.yaml:{second}) of ContactPoint can give the same id (e.g. 'store:ContactPoint:1')") in text
    assert "add a discriminator to one id expression" in text and "GLOBAL_ID('ContactPoint', 'contact1', cust_id)" in text
    assert "Traceback" not in text


# (id expression of one derivation, of another, whether they can give the same id)
ID_PAIRS = [
    ("GLOBAL_ID('ContactPoint', 'home', cust_id)", "GLOBAL_ID('ContactPoint', 'work', cust_id)", False),
    (None, "GLOBAL_ID('ContactPoint', 'work', cust_id)", False),                   # digits never spell 'work|'
    ("GLOBAL_ID('ContactPoint', phone)", "GLOBAL_ID('ContactPoint', 'work', cust_id)", True),   # phone may be 'work|1'
    ("GLOBAL_ID('ContactPoint', 'a', cust_id)", "GLOBAL_ID('ContactPoint', 'a', 'b', cust_id)", False),
    ("GLOBAL_ID('ContactPoint', 'a', name)", "GLOBAL_ID('ContactPoint', 'a', 'b', cust_id)", True),
    ("'p-' || CAST(cust_id AS TEXT)", "'p-' || CAST(cust_id + 1 AS TEXT)", True),
    ("'p-' || CAST(cust_id AS TEXT)", "'q-' || CAST(cust_id AS TEXT)", False),
    ("'p-' || CAST(cust_id AS TEXT) || '-x'", "'p-' || CAST(cust_id AS TEXT) || '-y'", False),
    ("CASE WHEN phone IS NULL THEN 'a:' || name ELSE 'b:' || name END", "'c:' || name", False),
    ("CASE WHEN phone IS NULL THEN 'a:' || name ELSE 'b:' || name END", "'b:' || phone", True),
    ("COALESCE(phone, name)", "'anything'", True),
    ("'fixed'", "'fixed'", True),
    ("'fixed'", "'fixed2'", False),
    ("CONCAT('k', NULL, CAST(cust_id AS TEXT))", "'k' || CAST(cust_id AS TEXT)", True),
]


@pytest.mark.unit
@pytest.mark.parametrize("first,second,shared", ID_PAIRS)
def test_two_id_expressions_are_refused_exactly_when_they_can_give_one_id(tmp_path, first, second, shared):
    make_project(tmp_path, _contacts(first, second))
    if not shared:
        plan = load_plan(tmp_path)
        a, b = [v for v in plan.views() if v.target.name == "ContactPoint"]
        assert can_share_an_id(id_patterns(a), id_patterns(b)) is None
        return
    with pytest.raises(DictError, match="can give the same id"):
        load_plan(tmp_path)


@pytest.mark.unit
def test_default_ids_of_two_sources_never_meet_but_copied_natural_keys_do(tmp_path):
    make_project(tmp_path, _contacts("'cp:' || CAST(cust_id AS TEXT)"))
    other = tmp_path / "mappings"
    (other / "shop.source.yaml").write_text((other / "store.source.yaml").read_text().replace("source: store", "source: shop"))
    shop = _contacts("'cp:' || CAST(cust_id AS TEXT)").replace("source: store", "source: shop")
    (other / "shop.yaml").write_text(shop)
    with pytest.raises(DictError) as refused:
        load_plan(tmp_path)
    message = str(refused.value)
    assert "mappings/shop.yaml" in message and "mappings/store.yaml" in message and "(e.g. 'cp:1')" in message
    # with the default id each source prefixes its own name: no refusal
    (other / "shop.yaml").write_text(_contacts(None).replace("source: store", "source: shop"))
    (other / "store.yaml").write_text(_contacts(None))
    assert len(load_plan(tmp_path).views()) == 4


@pytest.mark.unit
def test_the_shipped_mappings_give_every_contact_point_an_id_of_its_own(plan):
    # the Chinook mapping used the default id for its three contact-point derivations: 176 rows, 59 ids
    for views in ([v for v in plan.views() if v.target.name == c] for c in plan.dictionary.classes):
        for k, view in enumerate(views):
            for other in views[:k]:
                assert can_share_an_id(id_patterns(other), id_patterns(view)) is None, (other.name, view.name)


# ----------------------------------------------------------------------------- 7. identity: run and materialize

DUPLICATE_KEY = STORE_MAPPING.replace("      id: {expr: \"GLOBAL_ID('ContactPoint', 'phone', cust_id)\"}",
                                      "      id: {expr: \"GLOBAL_ID('ContactPoint', 'phone', CAST(cust_id / 2 AS INTEGER))\"}")


@pytest.mark.unit
def test_dict_run_reports_ids_one_derivation_gives_several_rows_and_fails(tmp_path):
    database = make_project(tmp_path, DUPLICATE_KEY)
    outcome, text = _invoke("run", "-d", f"store={database}", "--project", str(tmp_path))
    assert outcome.exit_code == 1
    # cust_id / 2 rounds half away from zero: 1 -> 1, 2 -> 1, 3 -> 2, 4 -> 2, 5 -> 3, 6 -> 3
    assert ("duplicate ids 3 ContactPoint identifier(s) are carried by 6 rows, from store.ContactPointPhone (6 row(s)) "
            "(see view contact_point__duplicate_ids; build the id from columns that identify one row") in text


def _plan_without_the_static_check(root: Path, monkeypatch):
    import toolkit.plan

    monkeypatch.setattr(toolkit.plan, "check_identities", lambda sources, problems: None)
    return load_plan(root)


def test_the_duplicate_ids_view_names_every_derivation_that_gives_a_shared_id(tmp_path, monkeypatch):
    """The run-time check does not rely on validate: two derivations with the default id over one key."""
    database = make_project(tmp_path, _contacts(None, None))
    plan = _plan_without_the_static_check(tmp_path, monkeypatch)
    from toolkit.run.engines.reconcile import run_report

    result = run_report(plan, {"store": database})
    assert not result.balanced
    [shared] = result.shared_ids
    assert (shared.ids, shared.rows) == (6, 12)
    assert shared.derivations == (("store", "Contact0", 6, 6), ("store", "Contact1", 6, 6))
    assert "from store.Contact0 (6 row(s)), store.Contact1 (6 row(s))" in shared.describe()
    assert "add a discriminator" in shared.describe()


@pytest.mark.parametrize("kind", ["duckdb", "postgres", "mysql"])
def test_materialize_reports_the_shared_ids_per_derivation_and_refuses_the_rows(tmp_path, kind):
    from test_materialize_safety import Target
    from toolkit.run.engines.materialize import materialize, open_target, read_sources

    database = make_project(tmp_path, DUPLICATE_KEY)
    plan = load_plan(tmp_path)
    target = Target(kind, tmp_path)
    try:
        with open_target(target.url) as engine:
            loads = {c.class_name: c for c in materialize(engine, plan, read_sources(plan, {"store": database}))}
    finally:
        target.drop()
    contacts = loads["ContactPoint"]
    assert contacts.balanced and contacts.loaded == 0 and len(contacts.refused) == 6
    assert all("view contact_point__duplicate_ids names the derivations" in r[4] for r in contacts.refused)
    assert contacts.shared_ids.derivations == (("store", "ContactPointPhone", 3, 6),)
    assert loads["Customer"].shared_ids is None


# ----------------------------------------------------------------------------- 8. orphans

def _view_rows(con, name: str, *columns: str) -> list[tuple]:
    cols = ", ".join(f'"{c}"' for c in columns)
    return sorted(con.execute(f'SELECT {cols} FROM "{name}"').fetchall(), key=repr)


@pytest.fixture(scope="module")
def store_run(store):
    from toolkit.run.engines.duckdb import connect
    from toolkit.run.engines.reconcile import run_report

    root, database, plan = store
    con = connect()
    return plan, con, run_report(plan, {"store": database}, con=con)


@pytest.mark.unit
def test_references_to_rejected_or_missing_rows_are_listed_per_derivation(store_run):
    plan, con, _ = store_run
    contacts = next(v for v in plan.views() if v.name == "ContactPointPhone")
    assert _view_rows(con, contacts.orphans_name, "_source_key", "_slot", "_target_id", "_target_state", "_on_orphan") == [
        ("2", "customer_id", "store:Customer:2", "rejected", "report"),   # name '   ' is blank: Customer 2 rejected
        ("6", "customer_id", "store:Customer:6", "rejected", "report")]
    orders = next(v for v in plan.views() if v.name == "Transaction")
    assert _view_rows(con, orders.orphans_name, "_source_key", "_target_id", "_target_state") == [
        ("12", "store:Customer:2", "rejected"), ("13", "store:Customer:77", "missing")]
    # reported orphans stay canonical
    assert {r[0] for r in _view_rows(con, orders.view_name, "_source_key")} == {"10", "12", "13"}


@pytest.mark.unit
def test_on_orphan_reject_makes_a_reject_naming_the_slot_and_the_id_and_every_derivation_reconciles(store_run):
    plan, con, result = store_run
    lines = next(v for v in plan.views() if v.name == "TransactionLine")
    assert _view_rows(con, lines.rejects_name, "_source_key", "_reject_reason") == [
        ("102", "slot transaction_id: Transaction 'store:Transaction:11' was rejected"),
        ("104", "slot transaction_id: Transaction 'store:Transaction:99' does not exist")]
    assert {r[0] for r in _view_rows(con, lines.view_name, "_source_key")} == {"100", "101", "103", "105"}
    assert _view_rows(con, lines.orphans_name, "_source_key", "_target_state", "_on_orphan") == [
        ("102", "rejected", "reject"), ("104", "missing", "reject")]
    for r in result.reconciliations:
        assert r.balanced and r.source_rows == r.canonical + r.rejected, r.view.name
    counts = {r.view.name: (r.canonical, r.rejected, r.orphan_rows) for r in result.reconciliations}
    assert counts == {"Customer": (4, 2, 0), "ContactPointPhone": (6, 0, 2), "Transaction": (3, 1, 2),
                      "TransactionLine": (4, 2, 0)}


@pytest.mark.unit
def test_dict_run_prints_the_orphan_counts_and_stays_successful(store):
    root, database, _plan = store
    outcome = CliRunner().invoke(app, ["run", "-d", f"store={database}", "--project", str(root)],
                                 env={"COLUMNS": "200"})
    assert outcome.exit_code == 0, outcome.output
    text = " ".join(outcome.output.split())
    assert "orphan references: values naming no canonical row of their class" in text
    assert "│ store │ TransactionLine │ transaction_id │ Transaction │ missing │ rejected │ 1 │" in text
    assert "│ store │ Transaction │ customer_id │ Customer │ missing │ kept │ 1 │" in text
    assert "slot transaction_id: Transaction 'store:Transaction:11' was rejected" in text


@pytest.mark.unit
def test_the_translator_gives_the_record_level_outcome_and_declares_the_set_level_check(store_run):
    from translator_support import load_translator, record_level_outcome, records_with_joins

    plan, con, _ = store_run
    module = load_translator(plan, "store")
    assert module.SET_LEVEL == {"TransactionLine": ("transaction_id",)}
    assert "on_orphan: reject is set-level" in module.__doc__
    for view in plan.views():
        canonical, rejects = record_level_outcome(con, view)
        got_canonical, got_rejects = {}, {}
        for record in records_with_joins(con, view):
            out = module.translate(view.name, record)
            if isinstance(out, module.Reject):
                got_rejects[out.source_key] = out.reason
            else:
                got_canonical[out["_source_key"]] = out
        assert got_rejects == rejects, view.name
        assert got_canonical == canonical, view.name
    # the rows the views reject as orphans are canonical for the one-record translator
    assert "102" in record_level_outcome(con, next(v for v in plan.views() if v.name == "TransactionLine"))[0]


@pytest.mark.unit
def test_a_derivation_rejecting_orphans_is_created_after_the_one_it_reads(tmp_path):
    lines_first = STORE_MAPPING.split("  Customer:")[0] + "  TransactionLine:" + STORE_MAPPING.split("  TransactionLine:")[1] \
        + "  Customer:" + STORE_MAPPING.split("  Customer:")[1].split("  TransactionLine:")[0]
    database = make_project(tmp_path, lines_first)
    plan = load_plan(tmp_path)
    names = [v.name for v in plan.source("store").views]
    assert names.index("Transaction") < names.index("TransactionLine")
    from toolkit.run.engines.reconcile import run_report

    assert run_report(plan, {"store": database}).balanced


ORPHAN_REFUSALS = [
    ("      phone_number: {populated_from: phone}",
     "      phone_number: {populated_from: phone, on_orphan: reject}",
     "slot 'phone_number' of derivation 'ContactPointPhone': on_orphan only applies to a slot whose range is a class"),
    ("      transaction_type: {value: purchase}",
     "      transaction_type: {value: purchase}\n      account_id: {expr: CAST(cust_id AS TEXT), on_orphan: reject}",
     "on_orphan: reject cannot check this reference: store has no derivation of Account with an identifier"),
    ("      total_amount: {populated_from: total}",
     "      total_amount: {populated_from: total}\n      account_id: {on_orphan: reject}",
     "slot 'account_id' needs exactly one of populated_from, expr or value"),
]


@pytest.mark.unit
@pytest.mark.parametrize("old,new,message", ORPHAN_REFUSALS, ids=["plain-slot", "class-not-derived", "unmapped"])
def test_on_orphan_where_it_cannot_apply_is_refused_with_its_line(tmp_path, old, new, message):
    mapping = STORE_MAPPING.replace(old, new)
    make_project(tmp_path, mapping)
    outcome, text = _invoke("validate", "--project", str(tmp_path))
    assert outcome.exit_code == 1 and message in text, text
    assert f"mappings/store.yaml:{_line(mapping, new.splitlines()[-1].strip())}:" in text


@pytest.mark.unit
def test_a_cycle_of_on_orphan_reject_is_refused(tmp_path):
    """Customer.household_id -> Household and (in this dictionary) Household.customer_id -> Customer, both
    rejecting orphans: each derivation's canonical rows would need the other's first."""
    mapping = STORE_MAPPING.replace(
        "      given_name: {populated_from: nickname}",
        "      given_name: {populated_from: nickname}\n"
        "      household_id: {expr: \"GLOBAL_ID('Household', cust_id)\", on_orphan: reject}") + """
  Household:
    populated_from: customers
    slot_derivations:
      household_name: {populated_from: name}
      address_key: {expr: CAST(cust_id AS TEXT)}
      member_count: {value: "1"}
      customer_id: {expr: "GLOBAL_ID('Customer', cust_id)", on_orphan: report}
"""
    make_project(tmp_path, mapping)
    dictionary = tmp_path / "dictionary" / "enterprise.yaml"
    text = dictionary.read_text(encoding="utf-8")
    assert text.count("      - id\n      - household_name\n") == 1
    dictionary.write_text(text.replace("      - id\n      - household_name\n",
                                       "      - id\n      - household_name\n      - customer_id\n"), encoding="utf-8")
    assert len(load_plan(tmp_path).views()) == 5   # one way only: no cycle
    (tmp_path / "mappings" / "store.yaml").write_text(mapping.replace("on_orphan: report", "on_orphan: reject"))
    outcome, text = _invoke("validate", "--project", str(tmp_path))
    assert outcome.exit_code == 1
    assert "on_orphan: reject forms a cycle of derivations (Customer -> Household -> Customer)" in text, text
    assert "report the orphans of one of them instead" in text and "Traceback" not in text


# ----------------------------------------------------------------------------- 9. blank text, and all of it on every engine

@pytest.mark.unit
def test_blank_text_is_null_in_every_text_slot_and_a_required_slot_rejects_it(store_run):
    plan, con, _ = store_run
    phones = dict(_view_rows(con, "contact_point", "_source_key", "phone_number"))
    assert phones == {"1": "0101", "2": "0202", "3": None, "4": None, "5": None, "6": "\t"}   # a tab is not blank
    customers = dict(_view_rows(con, "customer", "_source_key", "given_name"))
    assert customers == {"1": "annie", "3": None, "4": None, "5": "  ed "}   # ' ' and '' are NULL; text keeps its spaces
    rejects = dict(_view_rows(con, "store__customer__rejects", "_source_key", "_reject_reason"))
    assert rejects == {"2": "slot full_name is required but empty", "6": "slot full_name is required but empty"}


BLANK_REFUSALS = [
    ("      contact_type: {value: phone}", "      contact_type: {value: phone}\n      city: {value: ' '}",
     "slot 'city': value ' ' is blank, and blank text is NULL"),
    ("      phone_number: {populated_from: phone}",
     "      phone_number:\n        populated_from: phone\n        value_mappings: {'0101': ' '}\n        unmapped: keep",
     "slot 'phone_number': code '0101' maps to blank text, which is NULL"),
    ("      phone_number: {populated_from: phone}",
     "      phone_number:\n        populated_from: phone\n        value_mappings: {'0101': x}\n        unmapped: default\n"
     "        default: ''", "slot 'phone_number': default '' is blank, which is NULL"),
]


@pytest.mark.unit
@pytest.mark.parametrize("old,new,message", BLANK_REFUSALS, ids=["constant", "code-map-target", "default"])
def test_a_blank_constant_or_code_map_target_is_refused(tmp_path, old, new, message):
    make_project(tmp_path, STORE_MAPPING.replace(old, new))
    outcome, text = _invoke("validate", "--project", str(tmp_path))
    assert outcome.exit_code == 1 and message in text, text


@pytest.mark.unit
def test_the_blank_rule_costs_nothing_where_a_value_cannot_be_blank(store):
    from toolkit import dialects
    from toolkit.emit.sql import source_file_statements

    _root, _db, plan = store
    sql = "\n".join(dialects.get("duckdb").render(s) for _n, s in source_file_statements(plan.source("store")))
    assert sql.count("TRIM(") == 3          # full_name, given_name, phone_number: never a GLOBAL_ID or a constant
    assert "TRIM(\"customers\".\"name\", ' ') = ''" in sql


def _engine_run(name: str, plan, data):
    from engine_support import open_engine
    from toolkit.run.engines import _read, deploy, results

    with open_engine(name) as engine:
        deployed = deploy(engine, plan, [data])
        out = results(engine, deployed)
        extra = {v.orphans_name: _read(engine, v.orphans_name, ("_source_key", "_slot", "_target_id", "_target_state",
                                                                 "_on_orphan")) for v in deployed.views() if v.references}
        extra["contact_point__duplicate_ids"] = _read(engine, "contact_point__duplicate_ids",
                                                      ("_id", "_source_system", "_derivation", "_rows"))
    return out, {k: sorted(map(tuple, rows), key=repr) for k, rows in extra.items()}


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "mysql"])
def test_every_engine_gives_duckdbs_blank_text_orphans_and_duplicate_ids(tmp_path, engine):
    from toolkit.run.engines.compare import differences
    from toolkit.run.engines.data import read_source

    # one more customer whose phone id collides with customer 5's: cust_id / 2 for 9 and 10 is 5
    database = make_project(tmp_path, DUPLICATE_KEY, STORE_SQL + "INSERT INTO customers VALUES (9, 'Gil', ' 9 ', '  ');")
    plan = load_plan(tmp_path)
    data = read_source(plan, "store", database)
    reference, ref_views = _engine_run("duckdb", plan, data)
    other, views = _engine_run(engine, plan, data)
    found = differences(reference, other)
    assert not found, "\n".join(d.describe("duckdb", engine) for d in found)
    assert views == ref_views
    assert ref_views["contact_point__duplicate_ids"] and ref_views["store__transaction_line__orphans"]
    phones = {r[-1]: r for r in reference["contact_point"].rows}
    assert phones["9"][reference["contact_point"].columns.index("phone_number")] == " 9 "


@pytest.mark.unit
@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "mysql"])
def test_the_lineage_graph_tells_what_the_orphans_duplicate_ids_and_orphan_rejects_read(store, dialect):
    from toolkit.emit.graph import build_lineage
    from toolkit.analyze.verify import verify

    _root, _db, plan = store
    assert [str(m) for m in verify(plan, build_lineage(plan), dialect)] == []
