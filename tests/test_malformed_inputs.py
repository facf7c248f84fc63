"""Malformed dictionaries and mappings: each gives a file:line message, exit code 1, no traceback,
and leaves generated/ untouched."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

ROOT = Path(__file__).resolve().parents[1]
MAPPING = "mappings/chinook.yaml"
DICTIONARY = "dictionary/enterprise.yaml"

# (case id, file, old text, new text, expected message, anchor: text on the line the message must name)
CASES = [
    ("bad-yaml", MAPPING, "class_derivations:\n", "class_derivations: [\n", "invalid YAML", None),
    ("unknown-key", MAPPING, "    populated_from: Invoice\n", "    populated_from: Invoice\n    populated_by: Invoice\n",
     "unknown key 'populated_by'", "populated_by: Invoice"),
    ("unknown-table", MAPPING, "populated_from: InvoiceLine", "populated_from: InvoiceLines",
     "unknown source table 'InvoiceLines' (did you mean 'InvoiceLine'?)", "populated_from: InvoiceLines"),
    ("unknown-column", MAPPING, "populated_from: Company", "populated_from: Compny",
     "unknown column 'Compny'", "populated_from: Compny"),
    ("unknown-slot", MAPPING, "      organisation_name:\n", "      organisation_nam:\n",
     "class 'Customer' has no slot 'organisation_nam'", "organisation_nam:"),
    ("unknown-class", MAPPING, "target_class: ContactPoint\n    description: The customer's e-mail",
     "target_class: ContactPiont\n    description: The customer's e-mail", "targets unknown class 'ContactPiont'", "ContactPointEmail:"),
    ("constant-not-permissible", MAPPING, "value: purchase", "value: sale",
     "'sale' is not a permissible value of TransactionType", "transaction_type:"),
    ("code-map-target-not-permissible", MAPPING,
     "      customer_type:\n        expr: CASE WHEN Company IS NULL THEN 'person' ELSE 'organisation' END\n",
     "      customer_type:\n        populated_from: Company\n        value_mappings:\n          ACME: company\n",
     "'company' is not a permissible value of CustomerType", "ACME: company"),
    ("required-slot-unmapped", MAPPING, "      full_name:\n        expr: TRIM(FirstName) || ' ' || TRIM(LastName)\n", "",
     "required slot 'full_name' of 'Customer' is not mapped", "  Customer:"),
    ("type-mismatch", MAPPING, "populated_from: InvoiceDate", "populated_from: BillingCity",
     "slot 'transaction_date' is datetime but", "transaction_date:"),
    ("statement-injection", MAPPING, "expr: TRIM(FirstName)\n", "expr: TRIM(FirstName); DROP TABLE Customer\n",
     "exactly one expression", "DROP TABLE"),
    ("ddl-injection", MAPPING, "expr: TRIM(FirstName)\n", "expr: \"DROP TABLE Customer\"\n",
     "statements are not allowed", "DROP TABLE"),
    ("subquery", MAPPING, "expr: TRIM(FirstName)\n", "expr: (SELECT MAX(FirstName) FROM Customer)\n",
     "subqueries are not allowed", "SELECT MAX"),
    ("comment", MAPPING, "expr: TRIM(FirstName)\n", "expr: TRIM(FirstName) -- hidden\n",
     "comments are not allowed", "-- hidden"),
    ("quote-breaking", MAPPING, "expr: TRIM(FirstName)\n", "expr: \"TRIM(FirstName) || '') ; DELETE FROM x; --\"\n",
     "expr", "DELETE FROM"),
    ("unknown-function", MAPPING, "expr: TRIM(FirstName)\n", "expr: SLEEP(5)\n", "unknown function SLEEP()", "SLEEP(5)"),
    ("duplicate-key", MAPPING, "      family_name:\n", "      given_name:\n        expr: FirstName\n      family_name:\n",
     "duplicate key 'given_name'", None),
    ("wrong-type", MAPPING, "expr: TRIM(FirstName)\n", "expr: [TRIM(FirstName)]\n", "should be", "[TRIM(FirstName)]"),
    ("bad-source-name", MAPPING, "source: chinook\n", "source: Chinook Store\n", "does not match", "source: Chinook Store"),
    ("unknown-alias", MAPPING, "expr: rep.FirstName || ' ' || rep.LastName", "expr: rep2.FirstName",
     "unknown table or alias 'rep2'", "rep2.FirstName"),
    ("filter-not-condition", MAPPING, "filter: Phone IS NOT NULL", "filter: Phone", "a condition", "filter: Phone"),
    ("to-many-without-group", MAPPING, "        cardinality: to_one\n", "        cardinality: to_many\n",
     "is to_many, which would multiply rows", "rep:"),
    ("two-sources-for-slot", MAPPING, "        populated_from: Company\n", "        populated_from: Company\n        expr: Company\n",
     "needs exactly one of populated_from, expr or value", "organisation_name:"),
    ("waive-optional", MAPPING, "  Product:\n    description: Every track is a product.\n",
     "  Product:\n    description: Every track is a product.\n    waived_slots:\n      is_active: not tracked\n",
     "is optional: there is nothing to waive", "is_active: not tracked"),
    ("default-without-value", MAPPING, "        unmapped: \"null\"\n", "        unmapped: default\n",
     "unmapped: default needs a 'default' value", "country_code:\n        expr: MIN(Country)"),
    ("dictionary-bad-yaml", DICTIONARY, "classes:\n", "classes:\n  - [\n", "invalid YAML", None),
    ("dictionary-unknown-range", DICTIONARY, "    range: CustomerType\n", "    range: CustomerKind\n",
     "unknown range 'CustomerKind'", None),
    ("dictionary-unknown-slot", DICTIONARY, "      - support_agent\n", "      - support_agnt\n",
     "lists unknown slot 'support_agnt'", "support_agnt"),
    ("dictionary-case-collision", DICTIONARY, "classes:\n", "classes:\n  customer:\n    description: clash\n",
     "differs only in case", None),
    ("dictionary-inheritance", DICTIONARY, "classes:\n  Customer:\n", "classes:\n  Customer:\n    is_a: Party\n",
     "uses 'is_a'", "is_a: Party"),
    ("empty-mapping", MAPPING, None, "", "file is empty", None),
]


@pytest.fixture()
def project(tmp_path):
    shutil.copytree(ROOT / "dictionary", tmp_path / "dictionary")
    (tmp_path / "mappings").mkdir()
    for name in ("chinook.yaml", "chinook.source.yaml"):
        shutil.copy(ROOT / "mappings" / name, tmp_path / "mappings" / name)
    runner = CliRunner()
    result = runner.invoke(app, ["generate", "sql", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_input_gives_file_line_message_and_touches_nothing(project, case):
    _id, rel, old, new, message, anchor = case
    path = project / rel
    text = path.read_text(encoding="utf-8")
    if old is None:
        mutated = new
    else:
        assert old in text, f"test case anchor {old!r} not found in {rel}"
        mutated = text.replace(old, new, 1)
    path.write_text(mutated, encoding="utf-8")
    before = _snapshot(project / "generated")

    result = CliRunner().invoke(app, ["generate", "sql", "--project", str(project)])

    output = result.output
    assert result.exit_code == 1, output
    assert isinstance(result.exception, SystemExit), f"unexpected exception: {result.exception!r}"
    assert "Traceback" not in output
    assert message in output, output
    assert f"{rel}:" in output, output
    if anchor is not None:
        # the anchor's first line is the line the message must name
        first, *rest = anchor.splitlines()
        lines = mutated.splitlines()
        line = next(i for i, l in enumerate(lines, 1)
                    if first in l and all(r in lines[i + k] for k, r in enumerate(rest)))
        assert f"{rel}:{line}:" in output, output
    assert _snapshot(project / "generated") == before


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
