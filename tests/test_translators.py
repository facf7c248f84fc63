"""Record translators (`dict generate python`): for every mapping and every real dataset the translator
gives, record for record, exactly what the DuckDB views give: the same canonical rows, the same rejects
with the same reasons. Also: generated modules are committed, reproducible and standard-library only."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CHINOOK, NORTHWIND, _require
from toolkit.emit.generate import generate
from translator_support import (ROOT, dict_rows, estate_and_legacy, load_translator, quoted, record_level_outcome,
                                records_with_joins)


@pytest.fixture(scope="session")
def every_source(plan):
    """DuckDB with the demo estate (crm, billing, callcentre), Chinook and Northwind and all their views."""
    con = estate_and_legacy(plan, _require(CHINOOK), _require(NORTHWIND))
    yield con
    con.close()


@pytest.fixture(scope="session")
def translators(plan):
    return {s.name: load_translator(plan, s.name) for s in plan.sources}


def _plain_views(plan):
    return [pytest.param(v, id=f"{v.source}-{v.name}") for v in plan.views() if not v.grouped]


def _grouped_views(plan):
    return [pytest.param(v, id=f"{v.source}-{v.name}") for v in plan.views() if v.grouped]


def pytest_generate_tests(metafunc):
    from toolkit.plan import load_plan

    if "plain_view" in metafunc.fixturenames or "grouped_view" in metafunc.fixturenames:
        plan = load_plan(ROOT)
        if "plain_view" in metafunc.fixturenames:
            metafunc.parametrize("plain_view", _plain_views(plan))
        else:
            metafunc.parametrize("grouped_view", _grouped_views(plan))


def test_every_mapped_source_is_covered(plan):
    # the differential tests below run every derivation of every source over its real data
    assert {s.name for s in plan.sources} >= {"chinook", "northwind", "crm", "billing", "callcentre"}


def test_translator_equals_the_views_row_for_row(plain_view, every_source, translators):
    view = plain_view
    module = translators[view.source]
    # on_orphan: reject is set-level (it needs other derivations' rows): compared as one record decides it
    canonical, rejects = record_level_outcome(every_source, view)
    records = records_with_joins(every_source, view)
    assert len(records) == len(canonical) + len(rejects), "the view itself does not reconcile"
    got_canonical, got_rejects = {}, {}
    for record in records:
        out = module.translate(view.name, record)
        if isinstance(out, module.Reject):
            got_rejects[out.source_key] = out.reason
        else:
            got_canonical[out["_source_key"]] = out
    assert got_rejects == rejects
    assert got_canonical.keys() == canonical.keys()
    for key, row in canonical.items():
        assert got_canonical[key] == row, f"{view.view_name} row {key}"


def test_grouped_derivations_give_the_staged_rows_and_refuse_to_aggregate(grouped_view, every_source, translators):
    view = grouped_view
    module = translators[view.source]
    staged = sorted(((r["_source_key"], r["_reject_reason"]) for r in
                     dict_rows(every_source, f"SELECT * FROM {quoted(view.staged_name)}")), key=repr)
    got = []
    for record in records_with_joins(every_source, view):
        rows = module.STAGED[view.name](record)
        got += [(r["_source_key"], r["_reject_reason"]) for r in rows]
        with pytest.raises(module.NotTranslatable, match="aggregation over many records"):
            module.translate(view.name, record)
    assert sorted(got, key=repr) == staged
    assert view.name in module.GROUPED and "cannot compute" in module.GROUPED[view.name]


def test_reject_names_the_slot_the_value_and_the_rule(translators):
    chinook = translators["chinook"]
    record = {"CustomerId": 7, "FirstName": "Astrid", "LastName": "Gruber", "Email": "astrid@example.com",
              "Country": "Atlantis", "Address": "Rotenturmstraße 4", "City": "Vienne"}
    reject = chinook.translate("ContactPointAddress", record)
    assert isinstance(reject, chinook.Reject)
    assert reject.slot == "country_code" and reject.value == "Atlantis" and reject.rule == "value_mappings"
    assert reject.reason.startswith("slot country_code: code 'Atlantis' is not in value_mappings (line ")
    assert reject.source_key == "7"


def test_row_rules_reject_with_the_mapping_reason(translators):
    chinook = translators["chinook"]
    reject = chinook.translate("Customer", {"CustomerId": 3, "FirstName": "A", "LastName": "B", "Email": "  "})
    assert reject.rule == "reject_when" and reject.slot is None
    assert reject.reason == "customer has no e-mail address, the web shop's login key"
    excluded = chinook.translate("ContactPointPhone", {"CustomerId": 3, "Phone": None})
    assert excluded.rule == "filter" and excluded.reason == "excluded by filter: Phone IS NOT NULL"


def test_joined_rows_travel_with_the_record_and_the_join_condition_picks_the_match(translators):
    chinook = translators["chinook"]
    base = {"CustomerId": 1, "FirstName": "Luís", "LastName": "Gonçalves", "Email": "luisg@embraer.com.br",
            "Country": "Brazil", "SupportRepId": 3}
    jane = {"EmployeeId": 3, "FirstName": "Jane", "LastName": "Peacock"}
    steve = {"EmployeeId": 5, "FirstName": "Steve", "LastName": "Johnson"}
    assert chinook.translate("Customer", dict(base, rep=jane))["support_agent"] == "Jane Peacock"
    assert chinook.translate("Customer", dict(base, rep=[steve, jane]))["support_agent"] == "Jane Peacock"
    assert chinook.translate("Customer", dict(base, rep=steve))["support_agent"] is None     # LEFT JOIN: no match
    assert chinook.translate("Customer", base)["support_agent"] is None
    twice = chinook.translate("Customer", dict(base, rep=[jane, dict(jane, LastName="Doe")]))
    assert twice.rule == "join" and "declared to_one" in twice.reason


def test_text_input_is_read_like_an_insert_into_the_source_table(translators):
    chinook = translators["chinook"]
    line = chinook.translate("TransactionLine", {"InvoiceLineId": "12", "InvoiceId": " 3 ", "TrackId": "7",
                                                 "UnitPrice": "0.99", "Quantity": "2"})
    assert line["line_amount"] == __import__("decimal").Decimal("1.9800") and line["_source_key"] == "12"
    bad = chinook.translate("TransactionLine", {"InvoiceLineId": 12, "InvoiceId": 3, "TrackId": 7,
                                                "UnitPrice": "cheap", "Quantity": 2})
    assert bad.rule == "input" and "UnitPrice" in bad.reason and bad.value == "cheap" and bad.source_key == "12"


def test_generated_translators_are_committed_and_reproduced_byte_for_byte(tmp_path):
    out = tmp_path / "generated"
    generate(ROOT, ["python"], out)
    fresh = sorted(p.relative_to(out) for p in (out / "python").glob("*.py"))
    assert fresh, "nothing generated"
    for rel in fresh:
        committed = ROOT / "generated" / rel
        assert committed.exists() and committed.read_bytes() == (out / rel).read_bytes(), \
            f"generated/{rel} is out of date: run `dict generate python`"


def test_generated_translators_import_with_the_standard_library_alone(tmp_path):
    # -S: no site-packages; -I: isolated from the user's environment
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import chinook, northwind, crm, billing, callcentre; "
            "allowed = set(sys.stdlib_module_names) | {'__main__', 'chinook', 'northwind', 'crm', 'billing', 'callcentre'}; "
            "extra = sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] not in allowed); "
            "print(extra); assert not extra")
    done = subprocess.run([sys.executable, "-S", "-I", "-c", code, str(ROOT / "generated" / "python")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout


@pytest.mark.parametrize("seed", ["0", "31337"])
def test_generated_translators_do_not_depend_on_hash_seed(tmp_path, seed):
    import os

    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "python", "--project", str(ROOT), "--out", str(out)],
                   check=True, env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True)
    for path in sorted((out / "python").glob("*.py")):
        assert path.read_bytes() == (ROOT / "generated" / "python" / path.name).read_bytes(), path.name
