"""Column-level lineage read off the mappings: typed edges, upstream/downstream and impact analysis."""
from __future__ import annotations

import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from lineage_support import ROOT, graph, plan
from toolkit.cli import app
from toolkit.emit.graph import (DIRECT, INDIRECT, LINEAGE, SUBTYPES, column_lineage, impact_report, resolve, summary_links, traverse, upstream)

runner = CliRunner()


def how(source: str, table: str, column: str, derivation: str, slot: str = "") -> set[tuple[str, str]]:
    """(type, subtype) pairs by which a legacy column reaches a derivation's slot ('' = its rows)."""
    col = f"column:{source}.{table}.{column}"
    return {(l.type, l.subtype) for l in summary_links(graph())
            if l.column == col and l.derivation == f"derivation:{source}.{derivation}" and l.slot == slot}


def test_every_lineage_edge_carries_an_openlineage_type_subtype_and_the_mapping_text():
    g = graph()
    edges = [d for *_e, d in g.edges(data=True) if d["relation"] == LINEAGE]
    assert edges
    for d in edges:
        assert SUBTYPES[d["subtype"]] == d["type"] in (DIRECT, INDIRECT)
        assert isinstance(d["expression"], str) and isinstance(d["in_select"], bool)
    assert nx.is_directed_acyclic_graph(g)


def test_graph_holds_systems_tables_columns_derivations_classes_slots_and_views():
    g, p = graph(), plan()
    kinds = {k for _n, k in g.nodes(data="kind")}
    assert {"system", "table", "column", "mapping", "derivation", "check", "class", "slot", "view", "viewcol"} <= kinds
    for source in p.sources:
        for table in source.schema.tables.values():
            for column in table.columns:
                assert f"column:{source.name}.{table.name}.{column}" in g
    for view in p.views():
        for name in (view.staged_name, view.view_name, view.rejects_name):
            assert f"view:{name}" in g
    for integrated in p.integrated:
        assert f"view:{integrated.view_name}" in g


def test_a_copied_column_is_identity_and_a_case_condition_is_conditional():
    assert how("chinook", "Customer", "Company", "Customer", "organisation_name") == {(DIRECT, "IDENTITY")}
    assert how("chinook", "Customer", "Company", "Customer", "customer_type") == {(INDIRECT, "CONDITIONAL")}
    assert how("chinook", "Customer", "FirstName", "Customer", "full_name") == {(DIRECT, "TRANSFORMATION")}


def test_a_code_map_is_a_transformation_and_an_aggregate_an_aggregation():
    assert how("chinook", "Customer", "Country", "ContactPointAddress", "country_code") == {(DIRECT, "TRANSFORMATION")}
    assert how("chinook", "Customer", "LastName", "Household", "household_name") == {(DIRECT, "AGGREGATION")}
    assert (DIRECT, "AGGREGATION") in how("northwind", "Order Details", "UnitPrice", "Transaction", "total_amount")


def test_join_keys_filters_and_grouping_keys_are_indirect():
    # the support agent is read through the join rep.EmployeeId = Customer.SupportRepId
    assert how("chinook", "Customer", "SupportRepId", "Customer", "support_agent") == {(INDIRECT, "JOIN")}
    assert how("chinook", "Employee", "EmployeeId", "Customer", "support_agent") == {(INDIRECT, "JOIN")}
    assert how("chinook", "Employee", "FirstName", "Customer", "support_agent") == {(DIRECT, "TRANSFORMATION")}
    # filter: Phone IS NOT NULL decides which rows become phone contact points
    assert (INDIRECT, "FILTER") in how("chinook", "Customer", "Phone", "ContactPointPhone")
    # households group customers on the normalised address
    for column in ("Address", "PostalCode", "Country"):
        assert (INDIRECT, "GROUP_BY") in how("chinook", "Customer", column, "Household")
    # a reject rule is a filter too
    assert (INDIRECT, "FILTER") in how("chinook", "Customer", "Email", "Customer")
    # Northwind's order lines are joined to_many and aggregated per order
    assert (INDIRECT, "JOIN") in how("northwind", "Orders", "OrderID", "Transaction", "total_amount")


def test_where_a_canonical_slot_comes_from():
    g = graph()
    sources = column_lineage(g, "slot:ContactPoint.phone_number")
    phone = "COALESCE(PHONE_E164(Phone, Country), TRIM(Phone))"
    assert ("DIRECT", "TRANSFORMATION", phone) in sources["column:chinook.Customer.Phone"]
    # the number's shape decides which branch of the standardisation gives the value
    assert ("INDIRECT", "CONDITIONAL", phone) in sources["column:chinook.Customer.Phone"]
    assert ("DIRECT", "TRANSFORMATION", "COALESCE(PHONE_E164(Fax, Country), TRIM(Fax))") in sources["column:northwind.Customers.Fax"]
    assert ("INDIRECT", "FILTER", "Phone IS NOT NULL") in sources["column:chinook.Customer.Phone"]
    assert "view:contact_point" not in upstream(g, "slot:ContactPoint.phone_number")


def test_dropping_chinook_customer_phone_affects_phone_contact_points_and_nothing_else():
    g = graph()
    report = impact_report(g, resolve(g, "chinook.Customer.Phone"))
    assert report["node"] == "column:chinook.Customer.Phone"
    assert "ContactPoint.phone_number" in report["canonical_slots"]
    # the filter Phone IS NOT NULL decides every row of the derivation, so all its slots are affected
    assert {"ContactPoint.id", "ContactPoint.customer_id", "ContactPoint.contact_type"} <= set(report["canonical_slots"])
    assert not [s for s in report["canonical_slots"] if not s.startswith("ContactPoint.")]
    assert report["derivations"] == ["chinook.ContactPointPhone"]
    assert {"chinook__contact_point_phone__staged", "chinook__contact_point_phone", "chinook__contact_point_phone__rejects",
            "chinook__contact_point_phone__orphans", "contact_point", "contact_point__duplicate_ids", "rejects"} == set(report["views"])
    assert [c["rule"] for c in report["checks"]] == ["Phone IS NOT NULL"]
    reads = {(r["file"], r["expression"]) for r in report["mapping_reads"]}
    assert reads == {("mappings/chinook.yaml", "Phone IS NOT NULL"),
                     ("mappings/chinook.yaml", "COALESCE(PHONE_E164(Phone, Country), TRIM(Phone))")}


def test_upstream_and_downstream_of_containers_cover_their_members():
    g = graph()
    down = traverse(g, "table:chinook.Customer", "downstream")
    assert "slot:Customer.full_name" in down.nodes and "slot:Household.member_count" in down.nodes
    up = traverse(g, "class:Household", "upstream")
    assert "column:northwind.Customers.CompanyName" in up.nodes


def test_cli_impact_prints_slots_views_translators_and_checks():
    result = runner.invoke(app, ["lineage", "impact", "chinook.Customer.Phone", "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "ContactPoint.phone_number" in result.output
    assert "chinook__contact_point_phone__staged" in result.output
    assert "translators" in result.output
    if (ROOT / "generated" / "python" / "chinook.py").exists():   # the record translator that reads the row
        assert "chinook.ContactPointPhone in generated/python/chinook.py:" in result.output
    assert "Phone IS NOT NULL" in result.output and "mappings/chinook.yaml:" in result.output


def test_cli_impact_json_is_machine_readable():
    result = runner.invoke(app, ["lineage", "impact", "column:chinook.Customer.Phone", "--format", "json",
                                 "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "column" and "ContactPoint.phone_number" in data["canonical_slots"]
    assert {"views", "checks", "translators", "derivations", "mapping_reads"} <= set(data)


@pytest.mark.parametrize("direction", ["upstream", "downstream"])
def test_cli_upstream_and_downstream(direction):
    node = "Customer.full_name" if direction == "upstream" else "chinook.Customer.FirstName"
    result = runner.invoke(app, ["lineage", direction, node, "--format", "json", "--project", str(ROOT)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ids = {n["id"] for n in data["nodes"]}
    if direction == "upstream":
        assert "column:chinook.Customer.FirstName" in ids
        assert data["legacy_columns"]["column:chinook.Customer.FirstName"][0]["subtype"] == "TRANSFORMATION"
    else:
        assert {"slot:Customer.full_name", "slot:Customer.given_name"} <= ids


def test_cli_unknown_node_is_a_one_line_error_with_a_suggestion():
    result = runner.invoke(app, ["lineage", "impact", "chinook.Customer.Phon", "--project", str(ROOT)])
    assert result.exit_code == 1
    assert "no lineage node 'chinook.Customer.Phon'" in result.output
    assert "column:chinook.Customer.Phone" in result.output
    assert "Traceback" not in result.output
