"""Lineage exports: OpenLineage RunEvents valid against the official schemas, GraphML that networkx reads back
unchanged, Mermaid, a CSV edge list and SSSOM; committed under generated/lineage/ and reproduced byte for byte."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys

import jsonschema
import networkx as nx
import pytest
import yaml
from referencing import Registry, Resource

from lineage_support import OPENLINEAGE_SPECS, ROOT, graph, lineage_files, plan
from toolkit.emit.graph import SUBTYPES

PHONE = "COALESCE(PHONE_E164(Phone, Country), TRIM(Phone))"


def _schema(name: str) -> dict:
    path = OPENLINEAGE_SPECS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: the official OpenLineage schemas live in ../shared/specs/openlineage")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validators():
    """RunEvent and ColumnLineageDatasetFacet validators; $refs between the two resolve through a registry."""
    spec, facet = _schema("OpenLineage.json"), _schema("ColumnLineageDatasetFacet.json")
    registry = Registry().with_resources([(spec["$id"], Resource.from_contents(spec)),
                                          (facet["$id"], Resource.from_contents(facet))])
    checker = jsonschema.FormatChecker()
    event = jsonschema.Draft202012Validator(spec, registry=registry, format_checker=checker)
    column_lineage = jsonschema.Draft202012Validator(facet, registry=registry, format_checker=checker)
    return event, column_lineage


def events() -> dict[str, dict]:
    return {rel.split("/")[-1][:-5]: json.loads(text) for rel, text in lineage_files().items()
            if rel.startswith("lineage/openlineage/")}


def test_one_run_event_per_derivation_and_per_integrated_view():
    names = set(events())
    assert {f"{v.source}.{v.name}" for v in plan().views()} <= names
    assert {f"integrated.{i.target.name}" for i in plan().integrated} <= names


def test_run_events_and_column_lineage_facets_validate_against_the_official_schemas(validators):
    event_validator, facet_validator = validators
    for name, event in events().items():
        errors = sorted(event_validator.iter_errors(event), key=lambda e: list(e.absolute_path))
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"
        for output in event["outputs"]:
            facet = output["facets"]["columnLineage"]
            assert facet["_schemaURL"].startswith("https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json")
            errors = list(facet_validator.iter_errors({"columnLineage": facet}))
            assert not errors, f"{name} {output['name']}: {errors[0].message}"


def test_the_validators_do_reject_a_broken_event(validators):
    event_validator, facet_validator = validators
    event = json.loads(json.dumps(events()["chinook.ContactPointPhone"]))
    del event["run"]["runId"]
    assert list(event_validator.iter_errors(event))
    facet = event["outputs"][0]["facets"]["columnLineage"]
    facet["fields"]["phone_number"]["inputFields"][0].pop("field")
    assert list(facet_validator.iter_errors({"columnLineage": facet}))


def test_column_lineage_facet_says_where_the_phone_number_comes_from():
    event = events()["chinook.ContactPointPhone"]
    assert [i["name"] for i in event["inputs"]] == ["chinook.Customer"]
    canonical = next(o for o in event["outputs"] if o["name"] == "chinook__contact_point_phone")
    facet = canonical["facets"]["columnLineage"]
    fields = {f["field"]: f for f in facet["fields"]["phone_number"]["inputFields"]}
    assert set(fields) == {"Phone", "Country"}   # the country picks the numbering plan PHONE_E164 reads
    phone = fields["Phone"]
    assert (phone["namespace"], phone["name"]) == ("chinook", "chinook.Customer")
    assert {"type": "DIRECT", "subtype": "TRANSFORMATION", "description": PHONE, "masking": False} in phone["transformations"]
    # the filter Phone IS NOT NULL decides the whole dataset's rows
    dataset = {(f["field"], t["subtype"], t["description"]) for f in facet["dataset"] for t in f["transformations"]}
    assert ("Phone", "FILTER", "Phone IS NOT NULL") in dataset
    integrated = events()["integrated.ContactPoint"]
    feeding = {f["name"] for f in integrated["outputs"][0]["facets"]["columnLineage"]["fields"]["phone_number"]["inputFields"]}
    assert {"chinook__contact_point_phone", "northwind__contact_point_fax"} <= feeding
    assert "chinook__contact_point_email" not in feeding


def test_graphml_round_trips_through_networkx():
    g = graph()
    back = nx.read_graphml(io.BytesIO(lineage_files()["lineage/lineage.graphml"].encode("utf-8")), force_multigraph=True)
    assert dict(back.nodes(data=True)) == dict(g.nodes(data=True))
    assert sorted((u, v, k, sorted(d.items())) for u, v, k, d in back.edges(keys=True, data=True)) == \
        sorted((u, v, k, sorted(d.items())) for u, v, k, d in g.edges(keys=True, data=True))
    assert {k: back.graph[k] for k in g.graph} == g.graph


def test_csv_edge_list_has_every_lineage_edge_with_its_type():
    rows = list(csv.DictReader(io.StringIO(lineage_files()["lineage/edges.csv"])))
    assert len(rows) == sum(1 for *_e, d in graph().edges(data=True) if d["relation"] == "lineage")
    for r in rows:
        assert SUBTYPES[r["subtype"]] == r["type"]
    phone = [r for r in rows if r["source"] == "column:chinook.Customer.Phone"
             and r["target"] == "viewcol:chinook__contact_point_phone__staged.phone_number"]
    assert phone and {r["expression"] for r in phone} == {PHONE} and phone[0]["file"] == "mappings/chinook.yaml"


def test_mermaid_diagrams_declare_every_node_they_link():
    files = {rel: text for rel, text in lineage_files().items() if rel.endswith(".mmd")}
    assert "lineage/mermaid/overview.mmd" in files
    assert {f"lineage/mermaid/{s.name}.mmd" for s in plan().sources} <= set(files)
    for rel, text in files.items():
        lines = [l for l in text.splitlines() if not l.startswith("%%")]
        assert lines[0] == "flowchart LR", rel
        declared = set(re.findall(r"^\s*(?:subgraph )?(n\d+)\s*[\[(]", text, flags=re.M))
        for a, b in re.findall(r"^\s*(n\d+) -\.?->(?:\|[^|]*\|)? (n\d+)$", text, flags=re.M):
            assert a in declared and b in declared, f"{rel}: {a} -> {b}"
        assert text.count("subgraph") == text.count("\n  end")
    chinook = files["lineage/mermaid/chinook.mmd"]
    phone = re.search(r'(n\d+)\["Phone"\]', chinook).group(1)
    number = re.search(r'(n\d+)\["phone_number"\]', chinook).group(1)
    assert f"{phone} -->|TRANSFORMATION| {number}" in chinook


def test_sssom_maps_legacy_columns_to_canonical_slots():
    text = lineage_files()["lineage/mappings.sssom.tsv"]
    header = yaml.safe_load("\n".join(l[1:] for l in text.splitlines() if l.startswith("#")))
    assert {"curie_map", "mapping_set_id", "license"} <= set(header)
    rows = list(csv.DictReader(io.StringIO("\n".join(l for l in text.splitlines() if not l.startswith("#"))),
                               delimiter="\t"))
    for r in rows:
        for curie in (r["subject_id"], r["predicate_id"], r["object_id"], r["mapping_justification"]):
            assert curie.split(":", 1)[0] in header["curie_map"], curie
    pairs = {(r["subject_id"], r["predicate_id"], r["object_id"]) for r in rows}
    assert ("chinook:Customer.Company", "skos:exactMatch", "enterprise:organisation_name") in pairs
    assert ("chinook:Customer.Phone", "skos:closeMatch", "enterprise:phone_number") in pairs
    assert ("chinook:Customer.Company", "skos:relatedMatch", "enterprise:customer_type") in pairs


def test_lineage_exports_are_built_not_committed_and_check_leaves_them_out(tmp_path):
    """The bulky exports are built where they are read (CI publishes them with the docs site)."""
    from toolkit.analyze.drift import check_generated
    from toolkit.emit.generate import generator_of
    tracked = subprocess.run(["git", "ls-files", "generated/lineage"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked == "" and not generator_of("lineage").committed
    generated = tmp_path / "generated"
    subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "lineage", "--project", str(ROOT),
                    "--out", str(generated)], check=True, capture_output=True)
    (generated / "lineage" / "edges.csv").write_text("stale\n", encoding="utf-8")
    drift = check_generated(ROOT, generated=generated, dialect="duckdb")
    assert "lineage" not in drift.generators
    assert not any(p.startswith("lineage/") for p in drift.unowned + drift.extra)
    assert [s.path for s in check_generated(ROOT, generated=generated, dialect="duckdb", targets=["lineage"]).stale] \
        == ["lineage/edges.csv"]


def test_lineage_export_does_not_depend_on_the_hash_seed(tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "lineage", "--project", str(ROOT),
                    "--out", str(tmp_path)], check=True, env=env, capture_output=True)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_bytes().decode("utf-8")
             for p in sorted((tmp_path / "lineage").rglob("*")) if p.is_file()}
    assert fresh == lineage_files()
