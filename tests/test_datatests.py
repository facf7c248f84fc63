"""`dict test`: the data tests the dictionary implies (unique ids, required slots, permissible values,
references between classes, freshness) on the demo estate, Chinook and Northwind, in DuckDB and on
PostgreSQL and MariaDB after `dict materialize`, with the same outcome everywhere."""
from __future__ import annotations

import json
import re
import shutil
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
from toolkit.run.datatests import DataTest, Outcome, check_data, failing_rows, on_connection, plan_tests
from toolkit.run.demo import build_estate
from toolkit.run.engines import create_views
from toolkit.run.engines.duckdb import DuckDBEngine
from toolkit.run.engines import deploy
from toolkit.run.engines.materialize import read_sources
from toolkit.load.dictionary import EnumDef, PermissibleValue, Slot
from toolkit.plan import load_plan
from toolkit.core.types import Type

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-06-01"


def _cli(*args: str):
    return CliRunner().invoke(app, ["test", "--project", str(ROOT), *args])


def _by_name(payload: dict) -> dict[str, dict]:
    return {t["test"]: t for t in payload["tests"]}


@pytest.fixture(scope="module")
def demo():
    """The demo estate's views in DuckDB, built once."""
    plan = load_plan(ROOT).restrict(["crm", "billing", "callcentre"])
    con = build_estate(":memory:")
    create_views(DuckDBEngine(con=con), plan)
    yield con, plan
    con.close()


@pytest.fixture(scope="module")
def demo_outcomes(demo) -> dict[str, Outcome]:
    con, plan = demo
    return {o.test.name: o for o in on_connection(con, plan, datetime(2025, 6, 1))}


@pytest.mark.unit
def test_every_kind_of_test_is_derived_from_the_dictionary():
    tests = plan_tests(load_plan(ROOT))
    names = {t.name for t in tests}
    assert {"unique: Customer.id", "required: ContactPoint.customer_id", "accepted_values: Customer.customer_tier",
            "references: Transaction.account_id -> Account",
            "fresh: Interaction.interaction_datetime within 730 days"} <= names


@pytest.mark.slow
def test_demo_estate_orphan_transactions_and_stale_interactions_fail_with_samples(demo_outcomes):
    orphans = demo_outcomes["references: Transaction.account_id -> Account"]
    assert orphans.status == "fail" and orphans.failing == 2
    assert {r[1] for r in orphans.sample} == {"billing:Account:B-000118"} and {r[2] for r in orphans.sample} == {"billing"}
    stale = demo_outcomes["fresh: Interaction.interaction_datetime within 730 days"]
    assert stale.status == "fail" and stale.failing == 20 and len(stale.sample) == 5
    assert all(r[1] < datetime(2023, 6, 2) for r in stale.sample)
    assert [n for n, o in demo_outcomes.items() if o.status == "fail"] == [
        "references: Transaction.account_id -> Account", "fresh: Interaction.interaction_datetime within 730 days"]
    assert demo_outcomes["unique: Customer.id"].rows == 93


@pytest.mark.slow
def test_stale_records_depend_on_the_as_of_date_and_are_a_view(demo):
    con, plan = demo
    early = [o for o in on_connection(con, plan, datetime(2024, 6, 1), sample=0) if o.test.kind == "fresh"]
    assert early[0].passed and early[0].rows == 184
    on_connection(con, plan, datetime(2025, 6, 1), sample=0)
    assert con.execute('SELECT COUNT(*) FROM "interaction__stale"').fetchone()[0] == 20


@pytest.mark.slow
def test_chinook_and_northwind_pass_every_test_they_can_run():
    report = check_data(load_plan(ROOT), {"chinook": CHINOOK, "northwind": NORTHWIND}, as_of=datetime(2025, 6, 1))
    tests = {o.test.name: o for o in report.outcomes}
    assert tests["unique: Customer.id"].rows == 150   # 59 Chinook + 91 Northwind customers
    assert tests["references: TransactionLine.product_id -> Product"].passed
    assert [n for n, o in tests.items() if o.status == "fail"] == []
    # Chinook and Northwind keep no households and no accounts: references to them cannot be checked
    skipped = [n for n, o in tests.items() if o.status == "skip"]
    assert skipped and all("Household" in n or "Account" in n for n in skipped)


@pytest.mark.slow
def test_the_command_prints_pass_fail_counts_samples_and_json(demo_outcomes):
    text = _cli("--as-of", AS_OF, "--sample", "2")
    assert text.exit_code == 1
    words = " ".join(text.output.split())
    assert "FAIL" in words and "pass" in words and re.search(r"\b\d{2,} passed, 2 failed, \d+ skipped", words)
    assert "billing:Account:B-00" in words and "first 2 of 20 failing rows" in words
    payload = json.loads(_cli("--as-of", AS_OF, "--format", "json").output)
    assert payload["where"] == "the demo estate" and payload["failed"] == 2
    assert {n: (t["status"], t["failing"]) for n, t in _by_name(payload).items()} == \
        {n: (o.status, o.failing) for n, o in demo_outcomes.items()}


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


def _engine(server: str):
    """A fresh database of ours on ``server`` (dropped when closed) and the URL that reaches it."""
    if server == "postgres":
        from toolkit.run.engines.postgres import DEFAULT_URL, PostgresEngine

        e = PostgresEngine(database=None)
        return e, DEFAULT_URL.rsplit("/", 1)[0] + f"/{e.database}"
    from toolkit.run.engines.mysql import DEFAULT_URL, MySQLEngine

    e = MySQLEngine(prefix=f"h16_quality_{uuid.uuid4().hex[:8]}")
    return e, DEFAULT_URL.rstrip("/") + f"/{e.prefix}"


@pytest.mark.engine
@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_a_server_gives_the_same_outcomes_as_duckdb(server, tmp_path, demo_outcomes):
    """The demo estate's views deployed on the server (as dict deploy/materialize leave them) give the same
    pass/fail and the same failing counts as DuckDB."""
    require(server)
    estate = tmp_path / "estate.duckdb"
    build_estate(estate).close()
    plan = load_plan(ROOT)
    e, target = _engine(server)
    try:
        deploy(e, plan, read_sources(plan, {"crm": estate, "billing": estate, "callcentre": estate}))
        outcome = _cli("--target", target, "--as-of", AS_OF, "--format", "json")
    finally:
        if server == "mysql":
            for db in reversed(e._databases):   # ours, named after this branch
                e.execute(f"DROP DATABASE IF EXISTS `{db}`")
        e.close()
    expected = {n: (o.status, o.failing) for n, o in demo_outcomes.items()}
    got = {n: (t["status"], t["failing"]) for n, t in _by_name(json.loads(outcome.output)).items()}
    assert {n: got[n] for n in expected} == expected
    # the whole plan's other tests (classes only Chinook/Northwind derive) have no rows here: skipped, never failed
    assert all(got[n] == ("skip", 0) for n in got.keys() - expected.keys())
    assert outcome.exit_code == 1


@pytest.mark.unit
@pytest.mark.parametrize("annotations, message", [
    ("max_age: soon", "max_age 'soon' is not an age"),
    ("max_age: 30 days\n      freshness_slot: topic", "needs a date or timestamp slot of the class"),
    ("max_age: 30 days\n      freshness_slot: \"'; DROP TABLE x; --\"", "needs a date or timestamp slot"),
])
def test_a_wrong_max_age_is_refused_with_file_and_line(tmp_path, annotations, message):
    from toolkit.load.dictionary import load_dictionary
    from toolkit.core.errors import DictError

    text = (ROOT / "dictionary" / "enterprise.yaml").read_text(encoding="utf-8")
    text = text.replace("      max_age: 2 years\n      freshness_slot: interaction_datetime", "      " + annotations)
    shutil.copytree(ROOT / "dictionary", tmp_path / "dictionary")   # every dictionary file: they import each other
    (tmp_path / "dictionary" / "enterprise.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DictError) as error:
        load_dictionary(tmp_path / "dictionary")
    [problem] = error.value.problems
    assert message in str(problem) and problem.line > 1


@pytest.mark.unit
@pytest.mark.parametrize("age, days", [("30 days", 30), ("6 months", 180), ("2 years", 730), ("P45D", 45), ("1 week", 7)])
def test_max_age_reads_days_weeks_months_years(tmp_path, age, days):
    from toolkit.load.dictionary import load_dictionary

    text = (ROOT / "dictionary" / "enterprise.yaml").read_text(encoding="utf-8").replace("max_age: 2 years", f"max_age: {age}")
    shutil.copytree(ROOT / "dictionary", tmp_path / "dictionary")   # every dictionary file: they import each other
    (tmp_path / "dictionary" / "enterprise.yaml").write_text(text, encoding="utf-8")
    assert load_dictionary(tmp_path / "dictionary").classes["Interaction"].freshness.days == days
