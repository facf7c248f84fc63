"""`dict test`: the data tests the dictionary implies (unique ids, required slots, permissible values,
references between classes, freshness) on the demo estate, Chinook and Northwind, in DuckDB and on
PostgreSQL and MariaDB after `dict materialize`, with the same outcome everywhere."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND
from engine_support import require
from toolkit import dialects
from toolkit.cli import app
from toolkit.datatests import DataTest, check_data, failing_rows, plan_tests, stale_view
from toolkit.demo import build_estate
from toolkit.dictionary import EnumDef, PermissibleValue, Slot
from toolkit.plan import load_plan
from toolkit.types import Type

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-06-01"


def _cli(*args: str):
    return CliRunner().invoke(app, ["test", "--project", str(ROOT), *args])


def _by_name(payload: dict) -> dict[str, dict]:
    return {t["test"]: t for t in payload["tests"]}


@pytest.fixture(scope="module")
def demo_json() -> dict:
    outcome = _cli("--as-of", AS_OF, "--format", "json")
    assert outcome.exit_code == 1, outcome.output   # the demo estate has known defects
    return json.loads(outcome.output)


@pytest.mark.unit
def test_every_kind_of_test_is_derived_from_the_dictionary():
    tests = plan_tests(load_plan(ROOT))
    names = {t.name for t in tests}
    assert {"unique: Customer.id", "required: ContactPoint.customer_id", "accepted_values: Customer.customer_tier",
            "references: Transaction.account_id -> Account",
            "fresh: Interaction.interaction_datetime within 730 days"} <= names


@pytest.mark.unit
def test_demo_estate_orphan_transactions_and_stale_interactions_fail_with_samples(demo_json):
    tests = _by_name(demo_json)
    orphans = tests["references: Transaction.account_id -> Account"]
    assert orphans["status"] == "fail" and orphans["failing"] == 2
    assert {r[1] for r in orphans["sample"]} == {"billing:Account:B-000118"}
    assert all(r[2] == "billing" for r in orphans["sample"])
    stale = tests["fresh: Interaction.interaction_datetime within 730 days"]
    assert stale["status"] == "fail" and stale["failing"] == 20 and len(stale["sample"]) == 5
    assert all(r[1] < "2023-06-02" for r in stale["sample"])
    assert demo_json["failed"] == 2 and demo_json["skipped"] == 0
    assert tests["unique: Customer.id"]["status"] == "pass" and tests["unique: Customer.id"]["rows"] == 93


@pytest.mark.unit
def test_stale_records_depend_on_the_as_of_date():
    plan = load_plan(ROOT)
    early = check_data(plan, {}, as_of=datetime(2024, 6, 1), sample=0)
    fresh = next(o for o in early.outcomes if o.test.kind == "fresh")
    assert fresh.passed and fresh.rows == 184


@pytest.mark.unit
def test_stale_view_lists_the_stale_rows_on_the_demo_estate():
    from toolkit import engine

    plan = load_plan(ROOT)
    con = build_estate(":memory:")
    try:
        engine.create_views(con, plan, ["crm", "billing", "callcentre"])
        test = next(t for t in plan_tests(plan) if t.kind == "fresh")
        relation = lambda t: exp.Table(this=exp.to_identifier(t, quoted=True))   # noqa: E731
        con.execute(dialects.get("duckdb").render(stale_view(test, relation, datetime(2025, 6, 1))))
        assert con.execute('SELECT COUNT(*) FROM "interaction__stale"').fetchone()[0] == 20
    finally:
        con.close()


@pytest.mark.unit
def test_chinook_and_northwind_pass_every_test_they_can_run():
    outcome = _cli("-d", f"chinook={CHINOOK}", "-d", f"northwind={NORTHWIND}", "--as-of", AS_OF, "--format", "json")
    payload = json.loads(outcome.output)
    tests = _by_name(payload)
    assert tests["unique: Customer.id"]["rows"] == 150   # 59 Chinook + 91 Northwind customers
    failing = {name: t["failing"] for name, t in tests.items() if t["status"] == "fail"}
    assert outcome.exit_code == (1 if failing else 0)
    # Chinook and Northwind keep no households and no accounts: references to them cannot be checked
    skipped = {name for name, t in tests.items() if t["status"] == "skip"}
    assert all("Household" in n or "Account" in n for n in skipped)
    assert tests["references: TransactionLine.product_id -> Product"]["status"] == "pass"


@pytest.mark.unit
def test_text_output_shows_pass_fail_counts_and_sample_rows():
    outcome = _cli("--as-of", AS_OF, "--sample", "2")
    assert outcome.exit_code == 1
    text = " ".join(outcome.output.split())
    assert "FAIL" in text and "pass" in text and "51 passed, 2 failed, 0 skipped" in text
    assert "billing:Account:B-00" in text and "first 2 of 20 failing rows" in text


@pytest.mark.unit
@pytest.mark.parametrize("args, message", [
    (["--as-of", "2025-02-30"], "is not a date"),
    (["--format", "xml"], "unknown format"),
    (["--target", "duckdb:x.duckdb", "-d", "chinook=x.sqlite"], "either --target or --data"),
    (["-d", "nosuch=x.sqlite"], "no mapping for source 'nosuch'"),
])
def test_wrong_options_give_one_line_and_exit_1(args, message):
    outcome = _cli(*args)
    assert outcome.exit_code == 1 and message in outcome.output and "Traceback" not in outcome.output


HOSTILE = ["O'Brien", "'); DROP TABLE customer; --", "back\\slash", "\"quoted\"", "日本", "%_"]


@pytest.mark.unit
@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "mysql", "sqlite", "tsql", "spark"])
def test_hostile_permissible_values_stay_literals_in_every_dialect(dialect):
    enum = EnumDef("Hostile", "", tuple(PermissibleValue(v) for v in HOSTILE))
    slot = Slot("code", "", "Hostile", Type.STRING, enum=enum)
    test = DataTest("accepted_values", "Thing", "thing", slot, None, values=enum.texts)
    relation = lambda t: exp.Table(this=exp.to_identifier(t, quoted=True))   # noqa: E731
    d = dialects.get(dialect)
    sql = d.render(failing_rows(test, relation, datetime(2025, 1, 1)))
    trees = sqlglot.parse(sql, read=d.sqlglot)
    assert len(trees) == 1 and isinstance(trees[0], exp.Select), sql
    assert len(trees[0].find(exp.In).expressions) == len(HOSTILE)
    assert not list(trees[0].find_all(exp.Drop, exp.Command))


@pytest.mark.unit
def test_hostile_permissible_values_are_compared_exactly_on_duckdb():
    enum = EnumDef("Hostile", "", tuple(PermissibleValue(v) for v in HOSTILE))
    slot = Slot("code", "", "Hostile", Type.STRING, enum=enum)
    test = DataTest("accepted_values", "Thing", "thing", slot, None, values=enum.texts)
    con = duckdb.connect()
    con.execute('CREATE TABLE thing (code TEXT, _source_system TEXT, _source_key TEXT)')
    con.executemany("INSERT INTO thing VALUES (?, 's', ?)", [[v, str(i)] for i, v in enumerate(HOSTILE + ["o'brien", None])])
    relation = lambda t: exp.Table(this=exp.to_identifier(t, quoted=True))   # noqa: E731
    rows = con.execute(dialects.get("duckdb").render(failing_rows(test, relation, datetime(2025, 1, 1)))).fetchall()
    assert rows == [("o'brien", "s", str(len(HOSTILE)))]
    assert con.execute("SELECT COUNT(*) FROM thing").fetchone()[0] == len(HOSTILE) + 2


def _server_target(server: str, name: str) -> tuple[str, callable]:
    """A fresh database on ``server`` and how to drop it."""
    if server == "postgres":
        import psycopg

        from toolkit.engines.postgres import DEFAULT_URL

        with psycopg.connect(DEFAULT_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(DEFAULT_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return DEFAULT_URL.rsplit("/", 1)[0] + f"/{name}", drop
    import pymysql

    from toolkit.engines.mysql import DEFAULT_URL, _params

    def drop():
        con = pymysql.connect(autocommit=True, **{k: v for k, v in _params(DEFAULT_URL).items() if k != "database"})
        with con.cursor() as cur:
            cur.execute(f"SHOW DATABASES LIKE '{name}%'")
            for (db,) in cur.fetchall():
                cur.execute(f"DROP DATABASE `{db}`")
        con.close()

    return DEFAULT_URL.rstrip("/") + f"/{name}", drop


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_a_server_gives_the_same_outcomes_as_duckdb(server, tmp_path, demo_json):
    require(server)
    estate = tmp_path / "estate.duckdb"
    build_estate(estate).close()
    name = f"h16_quality_{uuid.uuid4().hex[:8]}"
    target, drop = _server_target(server, name)
    try:
        loaded = CliRunner().invoke(app, ["materialize", "--target", target, "--schema", f"{name}_canonical",
                                          "--project", str(ROOT), "-d", f"crm={estate}", "-d", f"billing={estate}",
                                          "-d", f"callcentre={estate}"])
        assert "canonical tables" in loaded.output, loaded.output
        outcome = _cli("--target", target, "--as-of", AS_OF, "--format", "json")
        on_views = json.loads(outcome.output)
        on_tables = json.loads(_cli("--target", target, "--schema", f"{name}_canonical", "--as-of", AS_OF,
                                    "--format", "json").output)
    finally:
        drop()
    expected = {n: (t["status"], t["failing"]) for n, t in _by_name(demo_json).items()}
    assert {n: (t["status"], t["failing"]) for n, t in _by_name(on_views).items()} == expected
    assert outcome.exit_code == 1
    # the canonical tables hold only the rows their constraints let in: identifiers there are unique
    assert all(t["status"] == "pass" for n, t in _by_name(on_tables).items() if n.startswith("unique"))
