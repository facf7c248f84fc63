"""The enterprise dictionary: valid LinkML with business metadata on every term."""
import shutil
import subprocess

import pytest

from conftest import ROOT

LANGUAGES = ("zh", "fr")


def test_dictionary_has_the_core_business_terms(plan):
    assert {"Customer", "Household", "ContactPoint", "Account", "Product", "Transaction", "TransactionLine",
            "Interaction"} <= set(plan.dictionary.classes)
    assert {"CustomerType", "Channel", "TransactionType", "CustomerTier"} <= set(plan.dictionary.enums)


def test_every_term_has_definition_steward_pii_synonyms_and_labels(plan):
    d = plan.dictionary
    for term in list(d.classes.values()) + list(d.slots.values()):
        assert term.description, term.name
        assert term.meta.steward, term.name
        assert term.meta.pii in ("none", "personal", "sensitive"), term.name
        assert term.meta.aliases, term.name
        assert term.meta.title, term.name
        for lang in LANGUAGES:
            assert term.meta.label(lang), f"{term.name} has no {lang} label"


def test_patterns_are_real_where_they_matter(plan):
    slots = plan.dictionary.slots
    assert slots["email_address"].pattern and slots["country_code"].pattern == "^[A-Z]{2}$"
    assert slots["currency_code"].pattern == "^[A-Z]{3}$"


@pytest.mark.skipif(shutil.which("linkml-lint") is None, reason="linkml (test extra) not installed")
def test_dictionary_is_linkml_lint_clean():
    result = subprocess.run(["linkml-lint", str(ROOT / "dictionary" / "enterprise.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found" in result.stdout


@pytest.mark.skipif(shutil.which("gen-pydantic") is None, reason="linkml (test extra) not installed")
def test_linkml_generators_run_on_the_dictionary(tmp_path):
    py = subprocess.run(["gen-pydantic", str(ROOT / "dictionary" / "enterprise.yaml")], capture_output=True, text=True)
    assert py.returncode == 0, py.stderr
    compile(py.stdout, "enterprise_pydantic.py", "exec")
    doc = subprocess.run(["gen-doc", str(ROOT / "dictionary" / "enterprise.yaml"), "-d", str(tmp_path)],
                         capture_output=True, text=True)
    assert doc.returncode == 0, doc.stderr
    assert (tmp_path / "Customer.md").exists()


@pytest.mark.skipif(shutil.which("gen-json-schema") is None, reason="linkml (test extra) not installed")
def test_mapping_language_json_schema_is_what_linkml_generates_from_its_definition():
    result = subprocess.run(["gen-json-schema", str(ROOT / "toolkit" / "load" / "mapping_language.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    committed = (ROOT / "toolkit" / "load" / "mapping_language.schema.json").read_text(encoding="utf-8")
    assert result.stdout == committed
    assert (ROOT / "generated" / "mapping-language.schema.json").read_text(encoding="utf-8") == committed


def test_every_mapping_file_validates_against_the_language_schema():
    import json

    import jsonschema
    import yaml

    schema = json.loads((ROOT / "toolkit" / "load" / "mapping_language.schema.json").read_text(encoding="utf-8"))
    for path in sorted((ROOT / "mappings").glob("*.yaml")):
        if path.name.endswith(".source.yaml"):
            continue
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
