"""Golden records (issue 17): survivorship rules read from plain LinkML annotations, validated with file:line,
compiled into golden_<class> views; lineage shows survivorship edges and the docs a page per golden class."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from toolkit.load.dictionary import load_dictionary
from toolkit.core.errors import DictError
from toolkit.load.survivorship import Survivorship, check_sources
from toolkit.core.errors import Problems
from engine_support import require_module

PERSON = """name: t
classes:
  Person:
    annotations:
      match_blocking: given_name+family_name, birth_date
{class_rules}
    slots: [id, given_name, family_name, birth_date, town, street, updated_at, tier]
slots:
  id: {{identifier: true}}
  given_name: {{annotations: {{match: given_name}}}}
  family_name: {{annotations: {{match: family_name}}}}
  birth_date: {{range: date, annotations: {{match: date}}}}
  town: {{annotations: {{survive: {town_rule}}}}}
  street: {{}}
  updated_at: {{range: datetime}}
  tier: {{range: integer}}
"""
GOOD = ("      survive_sources: crm, billing\n      survive_default: source_priority\n"
        "      survive_together: street+town")


def _load(tmp_path: Path, class_rules: str = GOOD, town_rule: str = "most_recent(updated_at)"):
    folder = tmp_path / "dictionary"
    folder.mkdir(exist_ok=True)
    (folder / "d.yaml").write_text(PERSON.format(class_rules=class_rules, town_rule=town_rule), encoding="utf-8")
    return load_dictionary(folder, tmp_path)


def _problems(tmp_path: Path, **kwargs) -> list[str]:
    with pytest.raises(DictError) as caught:
        _load(tmp_path, **kwargs)
    return [str(p) for p in caught.value.problems]


@pytest.mark.unit
def test_rules_are_read_from_plain_linkml_annotations(tmp_path):
    survive = _load(tmp_path).classes["Person"].survive
    assert survive.sources == ("crm", "billing")
    units = {u.slots: u.rule.text for u in survive.units}
    # the group takes the rule its member gives; the others the class default
    assert units[("street", "town")] == "most_recent(updated_at)"
    assert units[("given_name",)] == "source_priority" and units[("tier",)] == "source_priority"
    assert sorted(s for u in survive.units for s in u.slots) == sorted(
        ["id", "given_name", "family_name", "birth_date", "town", "street", "updated_at", "tier"])
    # a source the class does not rank comes after the ranked ones, by name
    assert survive.ranking(["zeta", "billing", "alpha", "crm"]) == ("crm", "billing", "alpha", "zeta")


@pytest.mark.unit
def test_without_rules_a_matched_class_keeps_the_most_complete_values(tmp_path):
    survive = _load(tmp_path, class_rules="", town_rule="most_frequent").classes["Person"].survive
    assert {u.slots: u.rule.text for u in survive.units}[("id",)] == "most_complete"


@pytest.mark.unit
def test_the_enterprise_customer_has_survivorship():
    survive = load_dictionary(ROOT / "dictionary", ROOT).classes["Customer"].survive
    units = {u.slots: u.rule.text for u in survive.units}
    assert units[("full_name", "given_name", "family_name", "salutation")] == "most_complete"
    assert units[("preferred_language",)] == "most_recent(customer_since)"
    assert units[("customer_tier",)] == "source_priority(billing, crm)"
    assert survive.sources[0] == "crm"


@pytest.mark.unit
@pytest.mark.parametrize("class_rules, town_rule, expected", [
    (GOOD, "loudest", "dictionary/d.yaml:{town}: slot 'town': survivorship rule 'loudest' is not one dict knows"),
    (GOOD, "most_recent(nope)", "dictionary/d.yaml:{town}: class 'Person': most_recent reads 'nope', which is not a slot"),
    (GOOD, "most_recent(tier)", "dictionary/d.yaml:{town}: class 'Person': most_recent reads 'tier', which is integer, not a date"),
    (GOOD, "most_recent", "dictionary/d.yaml:{town}: slot 'town': most_recent needs the date or timestamp slot"),
    (GOOD, "most_complete(town)", "dictionary/d.yaml:{town}: slot 'town': most_complete takes no arguments"),
    (GOOD, "\"source_priority(crm, erp)\"",
     "dictionary/d.yaml:{town}: class 'Person': source_priority names source 'erp', which survive_sources does not rank"),
    (GOOD, '"source_priority(crm); DROP TABLE x --)"', "dictionary/d.yaml:{town}: slot 'town': survivorship rule 'source_priority(crm); DROP"),
    (GOOD, '"source_priority(crm, \'x\'\')"', "dictionary/d.yaml:{town}: slot 'town': source_priority names \"'x''\", which is not"),
    ("      survive_together: street+shoe_size", "most_frequent",
     "dictionary/d.yaml:6: class 'Person': survive_together names 'shoe_size', which is not a single-valued slot"),
    ("      survive_together: street+town, town+tier", "most_frequent",
     "dictionary/d.yaml:6: class 'Person': survive_together names slot 'town' twice"),
    ("      survive_default: newest", "most_frequent",
     "dictionary/d.yaml:6: class 'Person' survive_default: survivorship rule 'newest' is not one dict knows"),
    ("      survive_sorces: crm", "most_frequent", "dictionary/d.yaml:6: class 'Person': unknown survivorship annotation"),
    ("      survive_sources: crm, crm", "most_frequent", "dictionary/d.yaml:6: class 'Person': survive_sources names a source twice"),
    ("      survive_sources: \"crm'; --\"", "most_frequent", "dictionary/d.yaml:6: class 'Person': survive_sources must list"),
])
def test_bad_rules_are_refused_with_file_and_line(tmp_path, class_rules, town_rule, expected):
    problems = _problems(tmp_path, class_rules=class_rules, town_rule=town_rule)
    expected = expected.format(town=12 + len(class_rules.splitlines()))   # the line of slot town's rule
    assert any(p.startswith(expected) for p in problems), (expected, problems)


@pytest.mark.unit
def test_slots_of_one_group_must_share_their_rule(tmp_path):
    folder = tmp_path / "dictionary"
    folder.mkdir()
    text = PERSON.format(class_rules="      survive_together: town+street", town_rule="most_frequent")
    (folder / "d.yaml").write_text(text.replace("  street: {}", "  street: {annotations: {survive: most_complete}}"))
    with pytest.raises(DictError) as caught:
        load_dictionary(folder, tmp_path)
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith("dictionary/d.yaml:6: class 'Person': the slots of group town+street have different "
                            "survivorship rules (most_complete, most_frequent)") for p in problems), problems


@pytest.mark.unit
def test_rules_on_a_class_that_is_not_matched_are_refused(tmp_path):
    folder = tmp_path / "dictionary"
    folder.mkdir()
    (folder / "d.yaml").write_text("name: t\nclasses:\n  Shop:\n    annotations:\n      survive_sources: crm\n"
                                   "    slots: [id]\nslots:\n  id: {identifier: true}\n", encoding="utf-8")
    with pytest.raises(DictError) as caught:
        load_dictionary(folder, tmp_path)
    assert any(str(p).startswith("dictionary/d.yaml:5: class 'Shop': survive_sources needs match_blocking")
               for p in caught.value.problems)


@pytest.mark.unit
def test_a_misspelt_source_in_the_ranking_is_refused():
    """'crn' ranked, 'crm' mapped and unranked: refused at the survive_sources line. A name no mapping defines
    and close to none (another estate's system) and an unranked new source (ranked last) are accepted."""
    problems = Problems()
    check_sources(Survivorship(("crn", "billing", "erp"), (), "dictionary/d.yaml", 7), "Customer",
                  ["billing", "crm", "shop"], problems)
    assert [str(p) for p in problems.items] == [
        "dictionary/d.yaml:7: class 'Customer': survive_sources ranks 'crn', which no mapping defines, and not 'crm', "
        "which maps the class (did you mean 'crm'?)"]


@pytest.mark.slow
def test_demo_prints_golden_records_and_the_view_keeps_every_record():
    """Over the demo estate: dict's model finds the planted cross-system duplicates; the golden view has one row
    per entity, counts every source record once, and each value names the record it came from."""
    require_module("splink")
    from toolkit.run.matching.run import integrated, unique_parties
    from toolkit.plan import load_plan

    plan = load_plan(ROOT)
    con = integrated(plan, None)
    try:
        lines = unique_parties(plan, con)
        assert any(line.startswith("golden Customer records of 3 ") for line in lines), lines
        records = con.execute('SELECT count(*) FROM "customer"').fetchone()[0]
        entities, total = con.execute('SELECT count(*), sum(source_records) FROM "golden_customer"').fetchone()
        assert total == records and entities < records
        # a value's source record really holds it, and the name group comes from one record
        bad = con.execute('''SELECT count(*) FROM "golden_customer" g JOIN "customer" c
            ON c._source_system = g.full_name__source AND c._source_key = g.full_name__source_key
            WHERE g.full_name IS DISTINCT FROM c.full_name OR g.given_name IS DISTINCT FROM c.given_name
               OR g.given_name__source_key <> g.full_name__source_key''').fetchone()[0]
        assert bad == 0
        # customer_tier: billing first (source_priority(billing, crm)) wherever billing has a tier
        wrong = con.execute('''SELECT count(*) FROM "golden_customer" g JOIN "customer__clusters" k
            ON k.entity_id = g.entity_id JOIN "customer" c ON c._source_system = k._source_system
            AND c._source_key = k._source_key WHERE c._source_system = 'billing' AND c.customer_tier IS NOT NULL
            AND g.customer_tier__source <> 'billing' ''').fetchone()[0]
        assert wrong == 0
    finally:
        con.close()


@pytest.mark.unit
def test_lineage_shows_survivorship_edges():
    from toolkit.emit.graph import build_lineage, source_columns
    from toolkit.plan import load_plan

    plan = load_plan(ROOT)
    g = build_lineage(plan)
    edge = g.edges["viewcol:customer.customer_tier", "viewcol:golden_customer.customer_tier", "IDENTITY"]
    assert edge["kind"] == "survivorship" and edge["expression"] == "survive: source_priority(billing, crm)"
    # the rule's timestamp orders the records: an indirect edge into the value it decides
    stamp = g.edges["viewcol:customer.customer_since", "viewcol:golden_customer.preferred_language", "CONDITIONAL"]
    assert stamp["kind"] == "survivorship" and stamp["type"] == "INDIRECT"
    # the golden value reaches back to the legacy columns of every system mapping the slot
    systems = {g.nodes[c]["source"] for c in source_columns(g, "viewcol:golden_customer.customer_tier")}
    assert {"crm", "billing"} <= systems
    assert g.nodes["view:golden_customer"]["role"] == "golden"


@pytest.mark.unit
def test_golden_sql_is_generated_for_every_dialect_from_asts():
    from toolkit.dialects import get, names
    from toolkit.emit.golden import golden_statements
    from toolkit.plan import load_plan

    plan = load_plan(ROOT)
    [(name, statement)] = golden_statements(plan)
    assert name == "golden_customer"
    for dialect in names():
        text = get(dialect).render(statement.copy())
        assert "customer__clusters" in text and "ROW_NUMBER" in text.upper(), dialect
    # MariaDB compares the source systems and orders record keys by their bytes, whatever the collation
    assert "AS BINARY" in get("mysql").render(statement.copy())
    assert 'COLLATE "C"' in get("postgres").render(statement.copy())


@pytest.mark.unit
def test_the_golden_docs_page_lists_every_rule_and_escapes_what_it_shows():
    from toolkit.emit.docs import Site, golden_pages
    from toolkit.plan import load_plan

    site = Site(load_plan(ROOT))
    [page] = golden_pages(site)
    assert page.path == "golden/Customer.html"
    rules = {r["slot"]: r["rule"] for r in page.context["rows"]}
    assert rules["customer_tier"] == "source_priority(billing, crm)" and rules["birth_date"] == "most_frequent"
    assert len(rules) == len(load_plan(ROOT).dictionary.classes["Customer"].slots)
    hostile = "<script>alert('x')</script>"
    context = dict(page.context, rows=[dict(page.context["rows"][0], slot=hostile, rule=hostile, together=hostile)],
                   ranking=(hostile,))
    html = site.env.get_template("golden.html").render(page=page, root="../", dictionary=site.d, nav={}, subtypes=(),
                                                       **{k: v for k, v in context.items()})
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
