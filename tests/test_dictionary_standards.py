"""The dictionary tied to open standards (schema.org, Microsoft's Common Data Model, FIBO, DPV) and covering
the customer domain: the mappings resolve, `dict validate` refuses an undeclared prefix, the SSSOM export
and the docs carry them, and the new terms make more of the real legacy databases mappable."""
import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from curies import Converter

from conftest import ROOT, rows, scalar
from toolkit.load.dictionary import load_dictionary
from toolkit.core.errors import DictError
from toolkit.emit.lineage import lineage_files
from toolkit.load.standards import expand

CUSTOMER_DOMAIN = ("ContactPerson", "Employee", "OrganisationUnit", "SalesOrder", "SalesOrderLine", "OrderStatusChange",
                   "CustomerStatusChange", "Consent")
UNMAPPED_BEFORE = {"billing": 0, "callcentre": 1, "chinook": 37, "crm": 1, "northwind": 65}   # dictionary 1.0.0


def _terms(d):
    return list(d.classes.values()) + list(d.slots.values())


@pytest.mark.unit
def test_the_customer_domain_is_covered_the_way_the_core_terms_are(plan):
    d = plan.dictionary
    assert set(CUSTOMER_DOMAIN) <= set(d.classes)
    assert {"credit_limit", "payment_terms"} <= {s.name for s in d.classes["Account"].slots}
    assert {"registered_unit_id", "support_agent_id", "salutation"} <= {s.name for s in d.classes["Customer"].slots}
    assert {"OrderStatus", "ConsentStatus", "ConsentPurpose", "CustomerLifecycleEvent", "PaymentTerms"} <= set(d.enums)
    assert d.enums["OrderStatus"].texts == ("placed", "confirmed", "shipped", "delivered", "cancelled", "returned")
    assert d.slots["order_id"].references == "SalesOrder" and d.slots["manager_id"].references == "Employee"
    assert d.version == "1.1.0"


@pytest.mark.unit
def test_every_class_and_slot_maps_to_schema_org_and_every_curie_expands(plan):
    d = plan.dictionary
    for term in _terms(d):
        keys = {k for k, _c in term.meta.mappings}
        assert keys & {"exact_mappings", "close_mappings"}, f"{term.name} has no exact or close mapping"
        assert any(c.startswith("schema:") for _k, c in term.meta.mappings), f"{term.name} has no schema.org mapping"
        for _key, curie in term.meta.mappings:
            assert expand(curie, d.prefixes).startswith(("http://", "https://")), curie
    assert d.prefixes["schema"] == "http://schema.org/"
    cdm = {c for t in _terms(d) for _k, c in t.meta.mappings if c.startswith("mscdm:")}
    assert {"mscdm:Account", "mscdm:Contact", "mscdm:Account.creditLimit", "mscdm:CustomerAddress.city"} <= cdm
    fibo = {c for t in _terms(d) for _k, c in t.meta.mappings if c.startswith("fibo-")}
    assert "fibo-fbc-pas-caa:CustomerAccount" in fibo
    assert ("exact_mappings", "dpv:Consent") in d.classes["Consent"].meta.mappings


@pytest.mark.unit
def test_no_alias_is_a_trap_pointing_at_another_term(plan):
    """`ContactName` on full_name sent Northwind's buyer into the customer's own name; `order` aliases on
    Transaction would now send orders to the financial transaction."""
    d = plan.dictionary
    assert "ContactName" not in d.slots["full_name"].meta.aliases
    assert "ContactName" in d.slots["person_name"].meta.aliases
    assert "order" not in d.classes["Transaction"].meta.aliases and "order" in d.classes["SalesOrder"].meta.aliases
    assert "OrderDate" not in d.slots["transaction_date"].meta.aliases

    def norm(text):
        return "".join(ch for ch in text.lower() if ch.isalnum())
    names = {norm(n): n for n in list(d.classes) + list(d.slots)}
    seen: dict[str, str] = {}
    for term in _terms(d):
        for alias in term.meta.aliases:
            assert names.get(norm(alias), term.name) == term.name, f"{term.name}'s alias {alias!r} names another term"
            kind = "class" if term.name in d.classes else "slot"
            assert seen.setdefault((kind, alias.lower()), term.name) == term.name, f"{alias!r} is on two {kind}es"


def _copy_project(tmp_path: Path) -> Path:
    for folder in ("dictionary", "mappings"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.slow
def test_an_undeclared_prefix_is_refused_with_file_and_line(tmp_path):
    project = _copy_project(tmp_path)
    domain = project / "dictionary" / "enterprise_customer_domain.yaml"
    _edit(domain, "      - dpv:Consent\n", "      - gdpr:Consent\n")
    line = domain.read_text(encoding="utf-8").split("\n").index("      - gdpr:Consent") + 1
    with pytest.raises(DictError) as caught:
        load_dictionary(project / "dictionary", project)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("dictionary/enterprise_customer_domain.yaml", line)
    assert "prefix 'gdpr' of 'gdpr:Consent' is not declared" in problem.message
    # through the CLI: one line naming file:line, exit 1, no traceback
    result = subprocess.run([sys.executable, "-m", "toolkit.cli", "validate", "--project", str(project)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert f"dictionary/enterprise_customer_domain.yaml:{line}" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.unit
def test_hostile_prefixes_and_curies_are_refused(tmp_path):
    """A prefix is an http(s) IRI, so the docs' links to the standards can never be script URLs."""
    project = _copy_project(tmp_path)
    main = project / "dictionary" / "enterprise.yaml"
    _edit(main, "  vcard: http://www.w3.org/2006/vcard/ns#\n",
          "  vcard: http://www.w3.org/2006/vcard/ns#\n  js: \"javascript:alert(1)//\"\n")
    _edit(main, "      - schema:identifier\n", "      - \"<script>alert(1)</script>\"\n      - js:x\n")
    with pytest.raises(DictError) as caught:
        load_dictionary(project / "dictionary", project)
    messages = " | ".join(p.message for p in caught.value.problems)
    assert "prefix 'js' must map to an http(s) IRI" in messages
    assert "is not a CURIE" in messages and "prefix 'js' of 'js:x' is not declared" in messages


@pytest.mark.unit
def test_sssom_export_holds_dictionary_to_standard_mappings_that_resolve(plan):
    text = lineage_files(plan)["lineage/mappings.sssom.tsv"]
    header = yaml.safe_load("\n".join(line[1:] for line in text.splitlines() if line.startswith("#")))
    converter = Converter.from_prefix_map(header["curie_map"])
    table = list(csv.DictReader(io.StringIO("\n".join(l for l in text.splitlines() if not l.startswith("#"))),
                                delimiter="\t"))
    standard = [r for r in table if r["subject_category"] in ("class", "slot", "enum")]
    expected = sum(len(t.meta.mappings) for t in _terms(plan.dictionary)) + \
        sum(len(e.mappings) for e in plan.dictionary.enums.values())
    assert len(standard) == expected > 150
    for row in table:   # every CURIE of the file, legacy columns and standards alike, expands through its curie_map
        for column in ("subject_id", "object_id", "predicate_id"):
            assert converter.expand(row[column]), (column, row[column])
    assert {"subject_id": "enterprise:Customer", "predicate_id": "skos:closeMatch", "object_id": "mscdm:Account"}.items() \
        <= next(r for r in standard if r["subject_id"] == "enterprise:Customer" and r["object_id"] == "mscdm:Account").items()
    assert converter.expand("schema:orderDate") == "http://schema.org/orderDate"
    # Northwind's ContactName now maps to the contact person's name, never to the customer's full name
    contact = {r["object_id"] for r in table if r["subject_id"] == "northwind:Customers.ContactName"}
    assert contact == {"enterprise:person_name"}


@pytest.mark.slow
def test_docs_term_pages_show_the_standards_with_their_iris():
    from lineage_support import docs_site

    site = docs_site()
    page = (site / "terms" / "Customer.html").read_text(encoding="utf-8")
    assert 'close match: https://learn.microsoft.com/en-us/common-data-model/schema/core/applicationCommon/Account"' in page
    assert "<code>mscdm:Account</code>" in page and 'href="https://learn' not in page   # offline: no outside links
    slot_pages = list((site / "slots").glob("credit_limit*.html"))
    assert slot_pages and "mscdm:Account.creditLimit" in slot_pages[0].read_text(encoding="utf-8")


@pytest.mark.unit
def test_the_new_terms_leave_fewer_legacy_columns_unmapped(plan):
    from toolkit.emit.docs import Site, _coverage

    unmapped = {s.name: 0 for s in plan.sources}
    for column in _coverage(Site(plan))["unmapped"]:
        unmapped[column["source"]] += 1
    # crm's new demo tables (contact persons, permissions, orders, order events) are mapped but for orders.total
    assert unmapped == {"billing": 0, "callcentre": 1, "chinook": 25, "crm": 1, "northwind": 34}
    assert sum(unmapped.values()) < sum(UNMAPPED_BEFORE.values())


@pytest.mark.unit
def test_northwind_orders_carry_a_status_lifecycle_and_contact_persons(legacy):
    assert rows(legacy, 'SELECT order_status, COUNT(*) FROM "sales_order" GROUP BY 1 ORDER BY 1') == \
        [("confirmed", 21), ("shipped", 809)]
    # every order was placed; shipped ones have a second, later step; the latest step is the order's status
    assert scalar(legacy, 'SELECT COUNT(*) FROM "order_status_change"') == 830 + 809
    latest = rows(legacy, '''SELECT o.order_status, h.order_status FROM "sales_order" o JOIN (
                               SELECT order_id, arg_max(order_status, status_changed_at) AS order_status
                               FROM "order_status_change" GROUP BY 1) h ON h.order_id = o.id
                             WHERE o.order_status <> h.order_status AND NOT (o.order_status = 'confirmed'
                                                                            AND h.order_status = 'placed')''')
    assert latest == []
    assert scalar(legacy, '''SELECT COUNT(*) FROM "sales_order_line" l LEFT JOIN "sales_order" o ON o.id = l.order_id
                             WHERE o.id IS NULL''') == 0
    # Maria Anders acts for Alfreds Futterkiste; the customer keeps its company name
    assert rows(legacy, '''SELECT p.person_name, p.job_title, p.party_role, c.full_name FROM "contact_person" p
                           JOIN "customer" c ON c.id = p.customer_id WHERE c.id = 'northwind:Customer:ALFKI' ''') == \
        [("Maria Anders", "Sales Representative", "buyer", "Alfreds Futterkiste")]
    assert scalar(legacy, '''SELECT COUNT(*) FROM "customer" c JOIN "employee" e ON e.id = c.support_agent_id''') == 59


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("linkml-lint") is None, reason="linkml (test extra) not installed")
def test_both_dictionary_files_are_linkml_lint_clean():
    """Each file on its own too (they import each other); gen-doc/gen-pydantic: tests/test_dictionary.py."""
    for name in ("enterprise.yaml", "enterprise_customer_domain.yaml"):
        result = subprocess.run(["linkml-lint", str(ROOT / "dictionary" / name)], capture_output=True, text=True)
        assert result.returncode == 0 and "No problems found" in result.stdout, result.stdout + result.stderr


@pytest.mark.slow
def test_demo_estate_has_consents_contact_persons_and_an_order_lifecycle(plan):
    """The data the seed policies and golden records need: the consent in force, an organisation's contact
    persons, a cancelled and a returned order with their histories, the customers' joined events."""
    from toolkit.run.demo import build_estate
    from toolkit.run.engines import create_views
    from toolkit.run.engines.duckdb import DuckDBEngine

    con = build_estate(":memory:")
    try:
        create_views(DuckDBEngine(con=con), plan.restrict(["crm", "billing", "callcentre"]))
        in_force = rows(con, '''SELECT consent_status FROM "consent" WHERE customer_id = 'crm:Customer:1001'
                                AND consent_channel = 'email' AND consent_purpose = 'marketing'
                                ORDER BY consent_date DESC LIMIT 1''')
        assert in_force == [("opted_out",)]
        [(reason,)] = rows(con, 'SELECT _reject_reason FROM "crm__consent__rejects"')
        assert "consent_channel: code 'PIGEON' is not in value_mappings" in reason
        assert rows(con, '''SELECT p.person_name, p.party_role FROM "contact_person" p JOIN "customer" c
                            ON c.id = p.customer_id WHERE c.customer_type = 'organisation' AND c.id = 'crm:Customer:1029'
                            ORDER BY 1''') == [("Priya Patel", "buyer"), ("Tom Hughes", "billing_contact")]
        history = rows(con, '''SELECT o.order_number, o.order_status, string_agg(h.order_status, '>' ORDER BY h.status_changed_at)
                               FROM "sales_order" o JOIN "order_status_change" h ON h.order_id = o.id
                               GROUP BY 1, 2 ORDER BY 1''')
        assert history == [("5001", "delivered", "placed>confirmed>shipped>delivered"),
                           ("5002", "shipped", "placed>confirmed>shipped"),
                           ("5003", "cancelled", "placed>cancelled"),
                           ("5004", "returned", "placed>confirmed>shipped>delivered>returned")]
        joined = scalar(con, '''SELECT COUNT(*) FROM "customer_status_change" WHERE lifecycle_event = 'joined' ''')
        assert joined == scalar(con, 'SELECT COUNT(*) FROM "crm__customer"')
    finally:
        con.close()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.mark.slow
def test_changelog_between_two_revisions_classifies_changes_and_checks_the_version(tmp_path):
    from toolkit.analyze.changelog import changelog, format_markdown

    repo = _copy_project(tmp_path)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "release 1.1.0")
    domain = repo / "dictionary" / "enterprise_customer_domain.yaml"
    # drop a permissible value (breaking), add a slot to a class (compatible), bump only the minor version
    _edit(domain, "      returned:\n        description: The customer sent the goods back after delivery.\n"
                  "        meaning: schema:OrderReturned\n", "")
    _edit(repo / "mappings" / "crm.yaml", "          RET: returned\n", "")
    _edit(repo / "dictionary" / "enterprise.yaml", 'version: "1.1.0"', 'version: "1.2.0"')
    _git(repo, "commit", "-qam", "drop returned")
    log = changelog(repo, "HEAD~1", "HEAD")
    assert (log.old_version, log.new_version) == ("1.1.0", "1.2.0")
    assert [c.subject for c in log.report.breaking if c.kind == "removed-permissible-value"] == \
        ["enum OrderStatus: returned"]
    assert "need a new major version" in log.version_problem
    page = format_markdown(log)
    assert page.startswith("# Dictionary changelog: enterprise 1.1.0 → 1.2.0")
    assert "## Breaking changes" in page and "Version check:** " in page
