"""dict demo: the README's main job, end to end on the embedded engine, over the demo estate."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conftest import ROOT, rows, scalar
from toolkit.cli import app
from toolkit.run.demo import build_estate, run_demo

DEMO_SOURCES = ("billing", "callcentre", "crm")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    con = build_estate(":memory:")
    from toolkit.plan import load_plan
    from toolkit.run.engines.reconcile import run_report

    result = run_report(load_plan(ROOT), {s: None for s in DEMO_SOURCES}, con=con)
    return con, result, workdir


def test_dict_demo_command_runs_end_to_end(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path), "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "integrated views" in result.output and "rejects by reason" in result.output
    assert (tmp_path / "estate.duckdb").exists()
    assert (tmp_path / "generated" / "sql" / "duckdb" / "crm.sql").exists()


def test_every_demo_source_row_is_canonical_or_rejected(demo):
    _con, result, _ = demo
    assert {r.view.source for r in result.reconciliations} == set(DEMO_SOURCES)
    unbalanced = [r.view.view_name for r in result.reconciliations if not r.balanced]
    assert unbalanced == []


def test_demo_junk_test_rows_are_rejected_with_a_reason(demo):
    con, _, _ = demo
    junk = rows(con, """SELECT _source_system, _source_key, _reject_reason FROM "rejects"
                        WHERE _derivation = 'Customer' ORDER BY 1, 2""")
    keys = {(s, k) for s, k, _ in junk}
    assert ("crm", "1034") in keys and ("billing", "5033") in keys and ("callcentre", "999") in keys
    assert all(reason for _, _, reason in junk)


def test_demo_unknown_codes_are_rejected_naming_slot_and_code(demo):
    con, _, _ = demo
    reasons = [r[0] for r in rows(con, 'SELECT _reject_reason FROM "rejects"')]
    assert any("FAX" in r and "channel" in r for r in reasons)       # crm activity channel
    assert any("ADJ" in r for r in reasons)                          # billing invoice type
    assert any("ZZ" in r for r in reasons)                           # call disposition


def test_demo_malformed_emails_are_rejected_by_the_dictionary_pattern(demo):
    con, _, _ = demo
    bad = rows(con, """SELECT _source_system, _reject_reason FROM "rejects"
                       WHERE _reject_reason LIKE '%email_address%does not match pattern%' ORDER BY 1""")
    assert {s for s, _ in bad} >= {"crm", "billing"}
    assert any("marie.dupont@" in r for _, r in bad)


def test_demo_integrated_customers_are_the_sum_of_the_sources(demo):
    con, _, _ = demo
    per_source = dict(rows(con, 'SELECT _source_system, COUNT(*) FROM "customer" GROUP BY 1'))
    for source in DEMO_SOURCES:
        assert per_source[source] == scalar(con, f'SELECT COUNT(*) FROM "{source}__customer"')
    assert sum(per_source.values()) == scalar(con, 'SELECT COUNT(*) FROM "customer"')


def test_demo_chinese_and_french_names_survive(demo):
    con, _, _ = demo
    names = {r[0] for r in rows(con, 'SELECT full_name FROM "customer"')}
    assert any("王" in n for n in names) and any("Hélène" in n for n in names)


def test_billing_accounts_are_households(demo):
    con, _, _ = demo
    households = scalar(con, 'SELECT COUNT(*) FROM "billing__household"')
    assert households == 24
    orphans = scalar(con, '''SELECT COUNT(*) FROM "billing__customer" c LEFT JOIN "billing__household" h
                             ON h.id = c.household_id WHERE c.household_id IS NOT NULL AND h.id IS NULL''')
    assert orphans == 0
