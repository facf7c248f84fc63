"""dict suggest: a draft mapping that passes `dict validate` once renamed, never written over a file,
with evidence as comments, safe with hostile source names."""
from __future__ import annotations

import shutil

import pytest
import yaml
from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND, ROOT
from toolkit.cli import app
from toolkit.load.mapping import load_mapping
from toolkit.plan import load_plan
from toolkit.run.suggest import ground_truth, name_score, tokens


def _project(tmp_path, hidden: str):
    """A copy of the project without ``hidden``'s mapping (its source schema stays)."""
    shutil.copytree(ROOT / "dictionary", tmp_path / "dictionary")
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    (tmp_path / "mappings" / f"{hidden}.yaml").unlink()
    return tmp_path


def _validate(project):
    return CliRunner().invoke(app, ["validate", "-p", str(project)])


@pytest.fixture(scope="module")
def chinook_draft(tmp_path_factory):
    """Chinook's mapping hidden, drafted again from its source schema and a profile of its data."""
    project = _project(tmp_path_factory.mktemp("chinook"), "chinook")
    result = CliRunner().invoke(app, ["suggest", "chinook", "--data", str(CHINOOK), "-p", str(project)])
    assert result.exit_code == 0, result.output
    return project


@pytest.mark.slow   # profiles a real database and binds drafts: seconds, not milliseconds
def test_draft_validates_after_renaming(chinook_draft):
    project = chinook_draft
    draft = project / "mappings" / "chinook.suggested.yaml"
    assert "# confidence" in draft.read_text(encoding="utf-8")
    # a draft is not a mapping until renamed: the project validates with it lying there
    assert _validate(project).exit_code == 0
    renamed = project / "mappings" / "chinook.yaml"
    shutil.copy(draft, renamed)
    try:
        checked = _validate(project)
        assert checked.exit_code == 0, checked.output
        found = ground_truth(load_mapping(renamed, "chinook.yaml", project))
    finally:
        renamed.unlink()
    truth = ground_truth(load_mapping(ROOT / "mappings" / "chinook.yaml", "chinook.yaml", ROOT))
    assert len(found & truth) / len(truth) >= 0.8


@pytest.mark.slow   # profiles a real database and binds drafts: seconds, not milliseconds
def test_chinook_suggestions_and_evidence(chinook_draft):
    text = (chinook_draft / "mappings" / "chinook.suggested.yaml").read_text(encoding="utf-8")
    draft = yaml.safe_load(text)["class_derivations"]
    assert draft["Transaction"]["populated_from"] == "Invoice"
    assert draft["Transaction"]["slot_derivations"]["customer_id"]["expr"] == "GLOBAL_ID('Customer', \"CustomerId\")"
    assert draft["ContactPoint"]["slot_derivations"]["email_address"]["populated_from"] == "Email"
    assert "declared foreign key to Customer.CustomerId" in text
    assert "values look like emails" in text


@pytest.mark.slow   # profiles a real database and binds drafts: seconds, not milliseconds
def test_northwind_draft_validates(tmp_path):
    project = _project(tmp_path, "northwind")
    result = CliRunner().invoke(app, ["suggest", "northwind", "--data", str(NORTHWIND), "-p", str(project)])
    assert result.exit_code == 0, result.output
    (project / "mappings" / "northwind.suggested.yaml").rename(project / "mappings" / "northwind.yaml")
    checked = _validate(project)
    assert checked.exit_code == 0, checked.output


@pytest.mark.slow   # profiles a real database and binds drafts: seconds, not milliseconds
def test_never_overwrites(tmp_path):
    project = _project(tmp_path, "chinook")
    runner = CliRunner()
    assert runner.invoke(app, ["suggest", "chinook", "-p", str(project)]).exit_code == 0
    draft = project / "mappings" / "chinook.suggested.yaml"
    before = draft.read_text(encoding="utf-8")
    again = runner.invoke(app, ["suggest", "chinook", "-p", str(project)])
    assert again.exit_code == 1 and "never overwrites" in again.output and "Traceback" not in again.output
    assert draft.read_text(encoding="utf-8") == before
    mapped = runner.invoke(app, ["suggest", "crm", "-p", str(project)])
    assert mapped.exit_code == 1 and "crm.yaml" in mapped.output
    assert not (project / "mappings" / "crm.suggested.yaml").exists()
    unknown = runner.invoke(app, ["suggest", "shop", "-p", str(project)])
    assert unknown.exit_code == 1 and "import-source" in unknown.output
    bad = runner.invoke(app, ["suggest", "../evil", "-p", str(project)])
    assert bad.exit_code == 1 and "not a plain name" in bad.output


HOSTILE_SCHEMA = '''source: shop
dialect: duckdb
imported_from: shop.sql
tables:
  "Customer\\"; DROP TABLE x; --":
    primary_key: ["Customer\\"Id"]
    columns:
      "Customer\\"Id": {type: INTEGER, nullable: false}
      "FirstName # injected: true": {type: TEXT}
      "LastName'": {type: TEXT}
      "Email: {x}": {type: TEXT}
  "Invoice #1":
    primary_key: [InvoiceId]
    columns:
      InvoiceId: {type: INTEGER, nullable: false}
      "Customer\\"Id": {type: INTEGER}
      "InvoiceDate": {type: DATE}
      "Total": {type: "DECIMAL(10,2)"}
    foreign_keys:
    - columns: ["Customer\\"Id"]
      references: "Customer\\"; DROP TABLE x; --"
      referenced_columns: ["Customer\\"Id"]
'''


def test_hostile_source_names(tmp_path):
    shutil.copytree(ROOT / "dictionary", tmp_path / "dictionary")
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "shop.source.yaml").write_text(HOSTILE_SCHEMA, encoding="utf-8")
    result = CliRunner().invoke(app, ["suggest", "shop", "-p", str(tmp_path)])
    assert result.exit_code == 0, result.output
    draft = tmp_path / "mappings" / "shop.suggested.yaml"
    parsed = yaml.safe_load(draft.read_text(encoding="utf-8"))
    assert "injected" not in parsed
    customer = parsed["class_derivations"]["Customer"]
    assert customer["populated_from"] == 'Customer"; DROP TABLE x; --'
    assert customer["slot_derivations"]["given_name"]["populated_from"] == "FirstName # injected: true"
    draft.rename(tmp_path / "mappings" / "shop.yaml")
    checked = _validate(tmp_path)
    assert checked.exit_code == 0, checked.output
    plan = load_plan(tmp_path)
    assert {v.target.name for v in plan.source("shop").views} >= {"Customer", "Transaction"}


def test_names_compare_by_words():
    assert tokens("CUST_NO") == ("customer", "number")
    assert tokens("BillingPostalCode") == ("billing", "postal", "code")
    assert name_score("FirstName", "given name") < 0.6 < name_score("FirstName", "FirstName")
    assert name_score("CustomerId", "customer_type") < 0.6
    assert name_score("BillingCity", "city") >= 0.8
