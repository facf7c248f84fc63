"""`dict generate lineage`: the lineage graph and its standard exports, into generated/lineage/.

  lineage.graphml            the whole graph (networkx reads it back unchanged)
  edges.csv                  every lineage edge with its transformation type, subtype and expression
  openlineage/<job>.json     one OpenLineage RunEvent per derivation and per integrated view, with the
                             ColumnLineageDatasetFacet 1-2-0 on its outputs
  mermaid/overview.mmd       tables -> canonical classes; mermaid/<source>.mmd columns -> slots per system
  mappings.sssom.tsv         legacy column <-> canonical slot, and term <-> standard, mappings in SSSOM
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from collections import defaultdict

import networkx as nx

from toolkit.emit.generate import generator
from toolkit.emit.graph import (DIRECT, IDENTITY, INDIRECT, Link, column_lineage, derivation_views, lineage_edges, members, plan_lineage, plan_links, summary_links, view_id, viewcol_id)
from toolkit.core.output import file_stem
from toolkit.plan import Plan
from toolkit.load.standards import curie_prefix, standard_mappings

PRODUCER = "https://example.org/dict/toolkit"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
COLUMN_LINEAGE_SCHEMA = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
SCHEMA_FACET_SCHEMA = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
NAMESPACE = "dict"               # jobs and the canonical views
EVENT_TIME = "1970-01-01T00:00:00Z"  # fixed so exports regenerate byte-identically; set it when sending


def _json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------- OpenLineage

def _input_field(namespace: str, name: str, field: str, uses: list[tuple[str, str, str]]) -> dict:
    return {"namespace": namespace, "name": name, "field": field,
            "transformations": [{"type": t, "subtype": sub, "description": text, "masking": False}
                                for t, sub, text in uses]}


def _column_ref(g: nx.MultiDiGraph, plan: Plan, column: str) -> tuple[str, str, str]:
    data = g.nodes[column]
    source = plan.source(data["source"])
    return source.name, f"{source.database_schema}.{data['table']}", data["label"]


def _facet(schema_url: str, **fields) -> dict:
    return {"_producer": PRODUCER, "_schemaURL": schema_url, **fields}


def _event(job: str, inputs: list[dict], outputs: list[dict], description: str) -> dict:
    event = {
        "eventTime": EVENT_TIME,
        "eventType": "COMPLETE",
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": {"runId": ""},
        "job": {"namespace": NAMESPACE, "name": job,
                "facets": {"documentation": _facet(
                    "https://openlineage.io/spec/facets/1-0-1/DocumentationJobFacet.json#/$defs/DocumentationJobFacet",
                    description=description)}},
        "inputs": inputs,
        "outputs": outputs,
    }
    # the run id names this exact lineage: it changes when the lineage does, never otherwise
    digest = hashlib.sha256(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()
    event["run"]["runId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{PRODUCER}/{job}/{digest}"))
    return event


def openlineage_events(plan: Plan, g: nx.MultiDiGraph) -> dict[str, dict]:
    """Job name -> RunEvent: one per derivation (legacy tables -> its canonical and rejects views)
    and one per integrated view (canonical views -> class view)."""
    events: dict[str, dict] = {}
    for view in plan.views():
        did = f"derivation:{view.source}.{view.name}"
        roles = derivation_views(g, did)
        value_view = roles.get("groups") or roles["staged"]
        tables = {ref.table.name: ref for ref in view.tables()}
        inputs = []
        for name in sorted(tables):
            ref = tables[name]
            inputs.append({"namespace": view.source, "name": f"{ref.database_schema}.{name}",
                           "facets": {"schema": _facet(SCHEMA_FACET_SCHEMA, fields=[
                               {"name": c.name, "type": c.native_type or c.type.value}
                               for c in ref.table.columns.values()])}})
        # dataset-wide: what decides which rows there are (filters, checks, grouping)
        dataset_uses: dict[str, list] = defaultdict(list)
        for target in sorted({viewcol_id(roles["staged"], "_reject_reason"), viewcol_id(value_view, "_reject_reason")}):
            for col, uses in column_lineage(g, target).items():
                for _t, _sub, text in uses:
                    dataset_uses[col].append((INDIRECT, "FILTER", text))
        group = f"group:{view.source}.{view.name}"
        if group in g:
            for col, edges in sorted(g.pred[group].items()):
                for e in edges.values():
                    if e.get("relation") == "lineage" and g.nodes[col]["kind"] == "column":
                        dataset_uses[col].append((INDIRECT, "GROUP_BY", e["expression"]))
        dataset = [_input_field(*_column_ref(g, plan, col), sorted(set(uses))) for col, uses in sorted(dataset_uses.items())]
        outputs = []
        for role in ("canonical", "rejects"):
            name = roles[role]
            fields = {}
            for vc in members(g, view_id(name)):
                label = g.nodes[vc]["label"]
                source_col = viewcol_id(value_view, label) if role == "canonical" else vc
                uses = column_lineage(g, source_col) if source_col in g else {}
                if role == "canonical":   # rows are dataset-level: keep each field's own lineage
                    uses = {c: [u for u in us if u[1] not in ("FILTER", "GROUP_BY")] for c, us in uses.items()}
                fields[label] = {"inputFields": [_input_field(*_column_ref(g, plan, c), us)
                                                 for c, us in uses.items() if us]}
            outputs.append({"namespace": NAMESPACE, "name": name, "facets": {
                "schema": _facet(SCHEMA_FACET_SCHEMA, fields=[{"name": f} for f in fields]),
                "columnLineage": _facet(COLUMN_LINEAGE_SCHEMA, fields=fields, dataset=dataset),
            }})
        events[f"{view.source}.{view.name}"] = _event(
            f"{view.source}.{view.name}", inputs, outputs,
            f"Derivation {view.name} of {view.file} line {view.line}: {view.base.table.name} -> {view.target.name}")
    for integrated in plan.integrated:
        name = integrated.view_name
        inputs = [{"namespace": NAMESPACE, "name": v.view_name} for v in integrated.views]
        fields = {}
        for vc in members(g, view_id(name)):
            label = g.nodes[vc]["label"]
            feeding = [v.view_name for v in integrated.views if _feeds(g, viewcol_id(v.view_name, label), vc)]
            fields[label] = {"inputFields": [
                {"namespace": NAMESPACE, "name": v, "field": label,
                 "transformations": [{"type": DIRECT, "subtype": IDENTITY, "description": "UNION ALL", "masking": False}]}
                for v in feeding]}
        outputs = [{"namespace": NAMESPACE, "name": name, "facets": {
            "columnLineage": _facet(COLUMN_LINEAGE_SCHEMA, fields=fields)}}]
        events[f"integrated.{integrated.target.name}"] = _event(
            f"integrated.{integrated.target.name}", inputs, outputs,
            f"Integrated view of {integrated.target.name}: every source's canonical rows, with provenance")
    return events


def _feeds(g: nx.MultiDiGraph, a: str, b: str) -> bool:
    """Whether data flows from view column ``a`` to ``b`` (directly or through the canonical slot)."""
    if a not in g:
        return False
    for mid in g.succ[a]:
        if mid == b or b in g.succ[mid]:
            return True
    return False


# ----------------------------------------------------------------------------- GraphML, CSV

def _graphml_type(value) -> str:
    return "boolean" if isinstance(value, bool) else "int" if isinstance(value, int) else "string"


def _xml(value) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


def graphml_text(g: nx.MultiDiGraph) -> str:
    """GraphML as networkx writes it (keys typed per attribute, edge ids = multigraph keys), streamed fast."""
    keys: dict[tuple[str, str], tuple[str, str]] = {}

    def key(domain: str, name: str, value) -> str:
        if (domain, name) not in keys:
            keys[(domain, name)] = (f"d{len(keys)}", _graphml_type(value))
        return keys[(domain, name)][0]

    for name, value in g.graph.items():
        key("graph", name, value)
    body = []
    for n, data in g.nodes(data=True):
        attrs = "".join(f'<data key="{key("node", k, v)}">{_xml(v)}</data>' for k, v in data.items())
        body.append(f'<node id="{_xml(n)}">{attrs}</node>')
    for u, v, k, data in g.edges(keys=True, data=True):
        attrs = "".join(f'<data key="{key("edge", a, x)}">{_xml(x)}</data>' for a, x in data.items())
        body.append(f'<edge source="{_xml(u)}" target="{_xml(v)}" id="{_xml(k)}">{attrs}</edge>')
    head = ['<?xml version="1.0" encoding="utf-8"?>',
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
            'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for (domain, name), (kid, typ) in keys.items():
        head.append(f'<key id="{kid}" for="{domain}" attr.name="{_xml(name)}" attr.type="{typ}"/>')
    head.append('<graph edgedefault="directed">')
    head += [f'<data key="{keys[("graph", n)][0]}">{_xml(v)}</data>' for n, v in g.graph.items()]
    return "\n".join(head + body + ["</graph>", "</graphml>"]) + "\n"


EDGE_COLUMNS = ("source", "target", "source_kind", "target_kind", "type", "subtype", "expression", "in_select",
                "derivation", "file", "line")


def edges_csv(g: nx.MultiDiGraph) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EDGE_COLUMNS)
    for u, v, d in lineage_edges(g):
        w.writerow([u, v, g.nodes[u]["kind"], g.nodes[v]["kind"], d["type"], d["subtype"], d["expression"],
                    "true" if d["in_select"] else "false", d["derivation"], d["file"], d["line"]])
    return buf.getvalue()


# ----------------------------------------------------------------------------- Mermaid

def _mid(node: str, ids: dict[str, str]) -> str:
    if node not in ids:
        ids[node] = f"n{len(ids)}"
    return ids[node]


# Mermaid reads "#name;" / "#code;" as an entity, "`" as the start of Markdown and renders labels as HTML:
# every such character is written as its entity so a name is shown as the text it is
_MERMAID_ENTITIES = str.maketrans({"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;",
                                   "\u2028": "#8232;", "\u2029": "#8233;"})


def _mtext(text: str) -> str:
    return '"' + text.translate(_MERMAID_ENTITIES) + '"'


def mermaid_source(plan: Plan, g: nx.MultiDiGraph, source: str, links: list[Link]) -> str:
    """One system: its columns (by table) -> canonical slots (by class); dashed when INDIRECT."""
    ids: dict[str, str] = {}
    mine = [l for l in links if l.slot and g.nodes[l.column]["source"] == source]
    lines = ["%% Generated by `dict generate lineage`. Do not edit.", f"%% {source}: legacy columns -> canonical slots",
             "flowchart LR"]
    by_table: dict[str, set[str]] = defaultdict(set)
    by_class: dict[str, set[str]] = defaultdict(set)
    for l in mine:
        by_table[g.nodes[l.column]["table"]].add(l.column)
        target = g.nodes[l.derivation]["target"]
        by_class[target].add(f"slot:{target}.{l.slot}")
    for table in sorted(by_table):
        lines.append(f"  subgraph {_mid('table:' + source + '.' + table, ids)} [{_mtext(source + '.' + table)}]")
        for c in sorted(by_table[table]):
            lines.append(f"    {_mid(c, ids)}[{_mtext(g.nodes[c]['label'])}]")
        lines.append("  end")
    for cls in sorted(by_class):
        lines.append(f"  subgraph {_mid('class:' + cls, ids)} [{_mtext(cls)}]")
        for s in sorted(by_class[cls]):
            lines.append(f"    {_mid(s, ids)}[{_mtext(g.nodes[s]['label'].split('.', 1)[1])}]")
        lines.append("  end")
    seen = set()
    for l in mine:
        target = f"slot:{g.nodes[l.derivation]['target']}.{l.slot}"
        key = (l.column, target, l.type)
        if key in seen:
            continue
        seen.add(key)
        arrow = "-->" if l.type == DIRECT else "-.->"
        subs = sorted({x.subtype for x in mine if x.column == l.column and x.type == l.type
                       and f"slot:{g.nodes[x.derivation]['target']}.{x.slot}" == target})
        lines.append(f"  {_mid(l.column, ids)} {arrow}|{'/'.join(subs)}| {_mid(target, ids)}")
    return "\n".join(lines) + "\n"


def mermaid_overview(plan: Plan, g: nx.MultiDiGraph, links: list[Link]) -> str:
    """Every system's mapped tables -> the canonical classes they populate."""
    ids: dict[str, str] = {}
    lines = ["%% Generated by `dict generate lineage`. Do not edit.", "%% legacy tables -> canonical classes",
             "flowchart LR"]
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for l in links:
        data = g.nodes[l.column]
        pairs[(f"table:{data['source']}.{data['table']}", f"class:{g.nodes[l.derivation]['target']}")].add(l.type)
    for source in plan.sources:
        tables = sorted({t for t, _c in pairs if t.startswith(f"table:{source.name}.")})
        if not tables:
            continue
        lines.append(f"  subgraph {_mid('system:' + source.name, ids)} [{_mtext(source.title or source.name)}]")
        for t in tables:
            lines.append(f"    {_mid(t, ids)}[{_mtext(g.nodes[t]['label'])}]")
        lines.append("  end")
    for cls in sorted({c for _t, c in pairs}):
        lines.append(f"  {_mid(cls, ids)}([{_mtext(g.nodes[cls]['label'])}])")
    for (t, c), types in sorted(pairs.items()):
        lines.append(f"  {_mid(t, ids)} {'-->' if DIRECT in types else '-.->'} {_mid(c, ids)}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- SSSOM

SSSOM_COLUMNS = ("subject_id", "subject_label", "subject_category", "predicate_id", "object_id", "object_label",
                 "object_category", "mapping_justification", "subject_source", "object_source", "mapping_tool",
                 "comment")


def _curie_local(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", lambda m: "%" + "%".join(f"{b:02X}" for b in m.group().encode()), text)


def sssom_tsv(plan: Plan, g: nx.MultiDiGraph, links: list[Link]) -> str:
    """Legacy column <-> canonical slot: exactMatch for a copy, closeMatch for a transformation or
    aggregation, relatedMatch when the column only steers a condition or a join. Then dictionary term <->
    open standard, from the terms' LinkML exact/close/... mappings (see toolkit/load/standards.py)."""
    prefix = plan.dictionary.name or "dictionary"
    curie_map = {prefix: f"https://example.org/dict/{prefix}/"}
    for s in plan.sources:
        curie_map[s.name] = f"https://example.org/dict/source/{s.name}/"
    curie_map.update({"skos": "http://www.w3.org/2004/02/skos/core#", "semapv": "https://w3id.org/semapv/vocab/"})
    standards = standard_mappings(plan.dictionary)
    used = {curie_prefix(curie) for *_x, curie, _w in standards}
    curie_map.update({p: iri for p, iri in sorted(plan.dictionary.prefixes.items()) if p in used and p not in curie_map})
    header = {
        "curie_map": curie_map,
        "mapping_set_id": f"https://example.org/dict/{prefix}/mappings.sssom.tsv",
        "mapping_set_version": plan.dictionary.version or "",
        "mapping_set_description": "Legacy columns to canonical slots, from the mapping files, and dictionary terms "
                                   "to open standards (schema.org, Common Data Model, FIBO, DPV), from the "
                                   "dictionary's LinkML mappings (generated by dict).",
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
    }
    rows: dict[tuple, list] = {}
    for l in links:
        if not l.slot or l.subtype == "JOIN":   # a join key locates rows; it is not a mapping of the slot
            continue
        col = g.nodes[l.column]
        d = g.nodes[l.derivation]
        cls = d["target"]
        predicate = {"IDENTITY": "skos:exactMatch", "TRANSFORMATION": "skos:closeMatch",
                     "AGGREGATION": "skos:closeMatch"}.get(l.subtype, "skos:relatedMatch")
        key = (l.column, cls, l.slot, l.derivation)
        strength = ("skos:exactMatch", "skos:closeMatch", "skos:relatedMatch").index(predicate)
        if key in rows and rows[key][0] <= strength:
            continue
        rows[key] = [strength, [
            f"{col['source']}:{_curie_local(col['table'] + '.' + col['label'])}",
            f"{col['table']}.{col['label']}",
            "column",
            predicate,
            f"{prefix}:{_curie_local(l.slot)}",
            f"{cls}.{l.slot}",
            cls,
            "semapv:ManualMappingCuration",
            f"{col['source']}:",
            f"{prefix}:",
            "dict",
            f"{l.derivation.split(':', 1)[1]} ({d['file']}:{d['line']}): {l.subtype} {l.expression}",
        ]]
    out = io.StringIO()
    for line in _yaml_lines(header):
        out.write(f"#{line}\n")
    w = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(SSSOM_COLUMNS)
    for key in sorted(rows):
        w.writerow(rows[key][1])
    for kind, name, predicate, curie, where in standards:
        w.writerow([f"{prefix}:{_curie_local(name)}", name, kind, predicate, curie, "", "", "semapv:ManualMappingCuration",
                    f"{prefix}:", f"{curie_prefix(curie)}:" if curie_prefix(curie) else "", "dict", f"dictionary term ({where})"])
    return out.getvalue()


def _yaml_lines(header: dict) -> list[str]:
    import yaml

    return yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000).rstrip("\n").split("\n")


# ----------------------------------------------------------------------------- generator

def lineage_files(plan: Plan, g: nx.MultiDiGraph | None = None) -> dict[str, str]:
    links = summary_links(g) if g is not None else list(plan_links(plan))
    g = g if g is not None else plan_lineage(plan)
    files = {
        "lineage/lineage.graphml": graphml_text(g),
        "lineage/edges.csv": edges_csv(g),
        "lineage/mappings.sssom.tsv": sssom_tsv(plan, g, links),
        "lineage/mermaid/overview.mmd": mermaid_overview(plan, g, links),
    }
    for source in plan.sources:
        files[f"lineage/mermaid/{file_stem(source.name)}.mmd"] = mermaid_source(plan, g, source.name, links)
    for job, event in openlineage_events(plan, g).items():
        files[f"lineage/openlineage/{file_stem(job)}.json"] = _json(event)
    return files


@generator("lineage")
def lineage_generator(plan: Plan, **_) -> dict[str, str]:
    """Lineage graph (GraphML), edge list (CSV), OpenLineage events, Mermaid diagrams, SSSOM mappings."""
    return lineage_files(plan)
