"""`dict generate docs`: a static documentation site in generated/docs/ that works from file://.

One page per business term (class), canonical slot, legacy system, table, column and mapping
file, plus a coverage matrix, an estate-wide lineage page and in-browser search. Everything
is read off the plan and the lineage graph once; pages are plain Jinja2 over precomputed data.
Lineage graphs are laid out here, at build time (layers, group and member order, coordinates);
the browser only draws them and re-stacks a layer when a group is expanded or collapsed. No
network: CSS and JS are local files, page data is inline, the search index is a local script.
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import jinja2
import networkx as nx

from .. import dialects
from ..dictionary import ClassDef, Slot, snake_case
from ..generate import GENERATORS, generator
from ..lineage import (DIRECT, INDIRECT, Link, build_lineage, column_id, derivation_views, impact_report, members,
                       slot_checks, summary_links, expression_text)
from ..plan import Plan, SourcePlan, ViewPlan
from .sql import integrated_statements, source_statements

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "docs"
ASSETS = ("docs.css", "docs.js", "lineage.js")
LANGUAGES = ("en", "zh", "fr")
KIND_RANK = {"term": 0, "slot": 1, "system": 2, "mapping": 3, "table": 4, "column": 5}
SUBTYPE_CODES = ("IDENTITY", "TRANSFORMATION", "AGGREGATION", "CONDITIONAL", "JOIN", "FILTER", "GROUP_BY")

# lineage drawing metrics (pixels), shared with assets/lineage.js through the page data
LAYER_X, NODE_W, HEADER_H, ROW_H, GROUP_GAP, PAD = 290, 220, 26, 22, 14, 10
COLLAPSE_OVER = 8   # groups with more members than this start collapsed unless they hold the focus


def _slug(name: str) -> str:
    """A file-name-safe, readable slug; names that needed changing get a short hash so none collide."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "x"
    if slug != name:
        slug += "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return slug


def _anchor(name: str) -> str:
    return _slug(name).replace(".", "-")


@dataclass
class Page:
    path: str                 # relative to the site root
    template: str
    title: str
    context: dict = field(default_factory=dict)

    @property
    def root(self) -> str:
        return "../" * self.path.count("/")


class Site:
    """Everything the pages need, computed once from the plan and the lineage graph."""

    def __init__(self, plan: Plan, g: nx.MultiDiGraph | None = None):
        self.plan = plan
        self.d = plan.dictionary
        self.g = g if g is not None else build_lineage(plan)
        self.links = summary_links(self.g)
        self.translator_note = "no python generator is registered"
        # every registered dialect, the embedded default engine's first
        self.dialect_names = sorted(dialects.names(), key=lambda name: (name != "duckdb", name))
        self._paths_lower: dict[str, dict[str, str]] = defaultdict(dict)
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                      undefined=jinja2.StrictUndefined)
        self.env.filters["tojson_compact"] = _json_compact
        self._index()

    # ------------------------------------------------------------------ paths
    def _unique(self, folder: str, name: str) -> str:
        """Slug unique within ``folder`` even on case-insensitive file systems."""
        slug = _slug(name)
        taken = self._paths_lower[folder]
        if taken.get(slug.lower(), name) != name:
            slug = f"{slug}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:6]}"
        taken[slug.lower()] = name
        return slug

    def _index(self) -> None:
        g = self.g
        self.class_url = {c: f"terms/{self._unique('terms', c)}.html" for c in sorted(self.d.classes)}
        used_slots = sorted({s.name for c in self.d.classes.values() for s in c.slots} | set(self.d.slots))
        self.slot_url = {s: f"slots/{self._unique('slots', s)}.html" for s in used_slots}
        self.system_url, self.mapping_url, self.table_url, self.column_url = {}, {}, {}, {}
        for s in self.plan.sources:
            sl = self._unique("systems", s.name)
            self.system_url[s.name] = f"systems/{sl}.html"
            self.mapping_url[s.name] = f"mappings/{sl}.html"
            for t in s.schema.tables.values():
                ts = self._unique(f"tables/{sl}", t.name)
                self.table_url[(s.name, t.name)] = f"tables/{sl}/{ts}.html"
                for c in t.columns.values():
                    cs = self._unique(f"columns/{sl}/{ts}", c.name)
                    self.column_url[column_id(s.name, t.name, c.name)] = f"columns/{sl}/{ts}/{cs}.html"
        self.views_by_id = {f"derivation:{v.source}.{v.name}": v for v in self.plan.views()}
        self.derivation_url = {did: f"{self.mapping_url[v.source]}#{_anchor(v.name)}" for did, v in self.views_by_id.items()}
        # links by what pages ask for
        self.links_by_column: dict[str, list[Link]] = defaultdict(list)
        self.links_by_field: dict[tuple[str, str], list[Link]] = defaultdict(list)
        self.row_links: dict[str, list[Link]] = defaultdict(list)
        for l in self.links:
            self.links_by_column[l.column].append(l)
            if l.slot:
                self.links_by_field[(l.derivation, l.slot)].append(l)
            else:
                self.row_links[l.derivation].append(l)
        self.views_by_class: dict[str, list[ViewPlan]] = defaultdict(list)
        self.views_by_table: dict[tuple[str, str], list[ViewPlan]] = defaultdict(list)
        for v in self.plan.views():
            self.views_by_class[v.target.name].append(v)
            for ref in v.tables():
                if v not in self.views_by_table[(v.source, ref.table.name)]:
                    self.views_by_table[(v.source, ref.table.name)].append(v)
        self.classes_by_slot: dict[str, list[ClassDef]] = defaultdict(list)
        for c in self.d.classes.values():
            for s in c.slots:
                self.classes_by_slot[s.name].append(c)

    # ------------------------------------------------------------------ generated code
    @cached_property
    def sql(self) -> dict[str, dict[str, str]]:
        """view name -> dialect -> its CREATE statement, rendered from the SQL generator's ASTs."""
        out: dict[str, dict[str, str]] = defaultdict(dict)
        statements = [s for v in self.plan.views() for s in source_statements(v)] + integrated_statements(self.plan)
        chosen = [dialects.get(name) for name in self.dialect_names]
        for view, stmt in statements:
            key = _fingerprint(stmt)
            for dialect in chosen:
                out[view][dialect.name] = _render(dialect, stmt, key)
        return out

    @cached_property
    def translators(self) -> dict[str, tuple[str, str]]:
        """derivation id -> (file, code) of its translator, when a Python generator is registered."""
        import importlib

        try:
            importlib.import_module(f"{__package__}.python")
        except ModuleNotFoundError:
            return {}
        except Exception as exc:  # another generator's failure must not take the docs down with it
            self.translator_note = f"the python generator could not be loaded ({type(exc).__name__})"
            return {}
        if "python" not in GENERATORS:
            return {}
        try:
            files = GENERATORS["python"].files(self.plan)
        except Exception as exc:
            self.translator_note = f"the python generator failed ({type(exc).__name__}: {exc})"
            return {}
        self.translator_note = "ok"
        out = {}
        for did, view in self.views_by_id.items():
            found = _translator_code(files, view)
            if found:
                out[did] = found
        return out

    # ------------------------------------------------------------------ lineage pictures
    def field_id(self, derivation: str, slot: str) -> str:
        return f"f:{derivation.split(':', 1)[1]}.{slot}"

    def graph_data(self, focus_columns=(), focus_fields=(), focus_slots=(), everything: bool = False,
                   collapse_all: bool = False) -> dict:
        """The page's lineage picture: upstream and downstream of its focus, laid out."""
        return _layout(self, set(focus_columns), set(focus_fields), set(focus_slots), everything, collapse_all)

    # ------------------------------------------------------------------ helpers for templates
    def labels(self, meta, fallback: str) -> dict[str, str]:
        labels = {"en": meta.label("en") or meta.title or fallback}
        for lang in LANGUAGES[1:]:
            labels[lang] = meta.label(lang)
        return labels

    def field_url(self, derivation: str, slot: str) -> str:
        v = self.views_by_id[derivation]
        return f"{self.mapping_url[v.source]}#{_anchor(v.name)}--{_anchor(slot)}"

    def slot_node_url(self, class_name: str, slot: str) -> str:
        return f"{self.slot_url[slot]}#{_anchor(class_name)}"


_RENDERED: dict[tuple[str, str], str] = {}


def _fingerprint(stmt) -> str:
    """The statement's tree and the types the SQL generator recorded on its nodes (rewrites depend on them)."""
    digest = hashlib.sha1(repr(stmt).encode("utf-8"))
    for node in stmt.walk():
        if node.meta:
            digest.update(repr(sorted((k, repr(v)) for k, v in node.meta.items())).encode("utf-8"))
    return digest.hexdigest()


def _render(dialect, stmt, key: str) -> str:
    """A statement in a dialect; the same tree is rendered once per process (`dict check`, tests)."""
    if (dialect.name, key) not in _RENDERED:
        if len(_RENDERED) > 200_000:
            _RENDERED.clear()
        _RENDERED[(dialect.name, key)] = dialect.render(stmt.copy()) + ";"
    return _RENDERED[(dialect.name, key)]


def _json_compact(data) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("</", "<\\/")


def _translator_code(files: dict[str, str], view: ViewPlan) -> tuple[str, str] | None:
    """The functions in the Python generator's output that translate ``view``'s records: the one named after
    the derivation (``contact_point_phone``) and its helpers (``household__staged``), in file order."""
    wanted = {snake_case(view.name), view.view_name}
    own = [p for p in sorted(files) if p.endswith(".py") and Path(p).stem == view.source]
    for path in own + [p for p in sorted(files) if p.endswith(".py") and p not in own]:
        text = files[path]
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        parts = [ast.get_source_segment(text, node) or "" for node in tree.body
                 if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                 and any(node.name == w or node.name.startswith(w + "__") or node.name == f"translate_{w}"
                         for w in wanted)]
        if parts and (path in own or any(view.view_name in part for part in parts)):
            return path, "\n\n\n".join(parts)
    return None


# ---------------------------------------------------------------------- layout

def _layout(site: Site, columns: set[str], fields: set[str], slots: set[str], everything: bool,
            collapse_all: bool) -> dict:
    """Nodes, groups, edges and build-time coordinates of one lineage picture.

    Three layers: legacy columns grouped by table | derivation fields grouped by derivation |
    canonical slots grouped by class. Focus columns bring their downstream, focus slots their
    upstream, focus fields both. Group order comes from barycentre sweeps, ties by name.
    """
    g = site.g
    col_nodes: set[str] = set(columns)
    field_keys: set[tuple[str, str]] = set()
    slot_nodes: set[str] = set(slots)
    row: set[tuple[str, str, str, str]] = set()   # (column, derivation, subtype, expression)
    value_links: list[Link] = []
    if everything:
        for source in site.plan.sources:
            for t in source.schema.tables.values():
                for c in t.columns.values():
                    col_nodes.add(column_id(source.name, t.name, c.name))
        chosen = site.links
    else:
        chosen_set: dict[Link, None] = {}
        for c in columns:
            for l in site.links_by_column.get(c, ()):
                chosen_set[l] = None
        for f in fields:
            derivation, slot = f
            for l in site.links_by_field.get(f, ()):
                chosen_set[l] = None
            for l in site.row_links.get(derivation, ()):
                chosen_set[l] = None
        for s in slots:
            cls, slot = s.split(":", 1)[1].split(".", 1)
            for v in site.views_by_class.get(cls, ()):
                did = f"derivation:{v.source}.{v.name}"
                if (did, slot) in site.links_by_field:
                    for l in site.links_by_field[(did, slot)]:
                        chosen_set[l] = None
                    for l in site.row_links.get(did, ()):
                        chosen_set[l] = None
        chosen = list(chosen_set)
    for l in chosen:
        col_nodes.add(l.column)
        if l.slot:
            field_keys.add((l.derivation, l.slot))
            slot_nodes.add(f"slot:{g.nodes[l.derivation]['target']}.{l.slot}")
            value_links.append(l)
        else:
            row.add((l.column, l.derivation, l.subtype, l.expression))
    for f in fields:
        field_keys.add(f)
        slot_nodes.add(f"slot:{g.nodes[f[0]]['target']}.{f[1]}")
    for s in slots:  # a slot nothing maps still shows, with its class
        slot_nodes.add(s)
    row_derivations = {d for _c, d, _s, _e in row}

    # groups and nodes
    groups: dict[str, dict] = {}
    nodes: dict[str, dict] = {}

    def group(gid: str, label: str, url: str, layer: int) -> dict:
        if gid not in groups:
            groups[gid] = {"id": gid, "label": label, "url": url, "layer": layer, "members": []}
        return groups[gid]

    for c in col_nodes:
        data = g.nodes[c]
        tid = f"table:{data['source']}.{data['table']}"
        grp = group(tid, f"{data['source']}.{data['table']}", site.table_url[(data["source"], data["table"])], 0)
        nodes[c] = {"id": c, "label": data["label"], "url": site.column_url[c], "group": tid, "kind": "column"}
        grp["members"].append(c)
    for did, slot in field_keys:
        view = site.views_by_id[did]
        grp = group(did, f"{view.source}: {view.name} → {view.target.name}", site.derivation_url[did], 1)
        fid = site.field_id(did, slot)
        nodes[fid] = {"id": fid, "label": slot, "url": site.field_url(did, slot), "group": did, "kind": "field"}
        grp["members"].append(fid)
    for did in row_derivations:
        view = site.views_by_id[did]
        group(did, f"{view.source}: {view.name} → {view.target.name}", site.derivation_url[did], 1)
    for s in slot_nodes:
        cls, slot = s.split(":", 1)[1].split(".", 1)
        grp = group(f"class:{cls}", cls, site.class_url[cls], 2)
        nodes[s] = {"id": s, "label": slot, "url": site.slot_node_url(cls, slot), "group": f"class:{cls}", "kind": "slot"}
        grp["members"].append(s)

    # edges: column -> field, field -> slot, column -> derivation (rows)
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    exprs: dict[tuple[str, str], str] = {}
    for l in value_links:
        fid = site.field_id(l.derivation, l.slot)
        edges[(l.column, fid)].add(l.subtype)
        exprs.setdefault((l.column, fid), l.expression)
    for did, slot in field_keys:
        fid = site.field_id(did, slot)
        edges[(fid, f"slot:{g.nodes[did]['target']}.{slot}")].add("IDENTITY")
    gedges: dict[tuple[str, str], set[str]] = defaultdict(set)
    gexprs: dict[tuple[str, str], str] = {}
    for c, did, sub, text in sorted(row):
        gedges[(c, did)].add(sub)
        gexprs.setdefault((c, did), text)

    # order: barycentre sweeps over groups, then members
    layers: list[list[str]] = [[], [], []]
    for gid in sorted(groups):
        layers[groups[gid]["layer"]].append(gid)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in list(edges) + list(gedges):
        ga = nodes[a]["group"]
        gb = nodes[b]["group"] if b in nodes else b
        neighbours[ga].add(gb)
        neighbours[gb].add(ga)

    def sweep(layer: int) -> None:
        pos = {gid: i for li in layers for i, gid in enumerate(li)}

        def key(gid: str):
            ns = [pos[n] for n in neighbours[gid] if groups[n]["layer"] != layer]
            return (sum(ns) / len(ns) if ns else pos[gid], gid)
        layers[layer].sort(key=key)

    for order in ((1, 2, 0), (1, 2)):
        for layer in order:
            sweep(layer)
    pos_group = {gid: i for li in layers for i, gid in enumerate(li)}
    node_neighbours: dict[str, list[int]] = defaultdict(list)
    for a, b in edges:
        node_neighbours[a].append(pos_group[nodes[b]["group"]])
        node_neighbours[b].append(pos_group[nodes[a]["group"]])
    for grp in groups.values():
        grp["members"].sort(key=lambda n: (sum(node_neighbours[n]) / len(node_neighbours[n]) if node_neighbours[n] else 0,
                                           nodes[n]["label"].lower(), n))

    # coordinates for the first paint
    focus = set(columns) | {site.field_id(d, s) for d, s in fields} | set(slots)
    order_ids = [gid for li in layers for gid in li]
    gindex = {gid: i for i, gid in enumerate(order_ids)}
    node_ids = [n for gid in order_ids for n in groups[gid]["members"]]
    nindex = {n: i for i, n in enumerate(node_ids)}
    out_groups = []
    height = 0
    for li, layer in enumerate(layers):
        y = PAD
        for gid in layer:
            grp = groups[gid]
            has_focus = any(m in focus for m in grp["members"])
            collapsed = bool(grp["members"]) and (collapse_all or (len(grp["members"]) > COLLAPSE_OVER and not has_focus))
            h = HEADER_H + (0 if collapsed else ROW_H * len(grp["members"]))
            out_groups.append([grp["id"], grp["label"], grp["url"], li, 1 if collapsed else 0, y,
                               [nindex[m] for m in grp["members"]]])
            y += h + GROUP_GAP
        height = max(height, y)
    expr_list: list[str] = []
    expr_index: dict[str, int] = {}

    def ei(text: str) -> int:
        if text not in expr_index:
            expr_index[text] = len(expr_list)
            expr_list.append(text)
        return expr_index[text]

    kinds = {"column": 0, "field": 1, "slot": 2}
    out_nodes = [[n, nodes[n]["label"], nodes[n]["url"], gindex[nodes[n]["group"]], kinds[nodes[n]["kind"]],
                  1 if n in focus else 0] for n in node_ids]
    out_edges = []
    for (a, b), subs in sorted(edges.items(), key=lambda e: (nindex[e[0][0]], nindex[e[0][1]])):
        for sub in sorted(subs, key=SUBTYPE_CODES.index):
            out_edges.append([nindex[a], nindex[b], SUBTYPE_CODES.index(sub), ei(exprs.get((a, b), ""))])
    out_gedges = []
    for (c, did), subs in sorted(gedges.items(), key=lambda e: (nindex[e[0][0]], gindex[e[0][1]])):
        for sub in sorted(subs, key=SUBTYPE_CODES.index):
            out_gedges.append([nindex[c], gindex[did], SUBTYPE_CODES.index(sub), ei(gexprs[(c, did)])])
    return {"metrics": [LAYER_X, NODE_W, HEADER_H, ROW_H, GROUP_GAP, PAD], "height": height,
            "subtypes": list(SUBTYPE_CODES), "groups": out_groups, "nodes": out_nodes, "edges": out_edges,
            "gedges": out_gedges, "exprs": expr_list}


# ---------------------------------------------------------------------- pages

def _meta_rows(site: Site, meta, fallback: str, description: str) -> dict:
    return {"labels": site.labels(meta, fallback), "steward": meta.steward, "pii": meta.pii,
            "synonyms": list(meta.aliases), "description": description}


def _slot_info(slot: Slot) -> dict:
    constraints = []
    if slot.identifier:
        constraints.append("identifier")
    if slot.required:
        constraints.append("required")
    if slot.multivalued:
        constraints.append("multivalued")
    if slot.pattern:
        constraints.append(f"pattern {slot.pattern}")
    if getattr(slot, "minimum_value", None) is not None:
        constraints.append(f"minimum {slot.minimum_value}")
    if getattr(slot, "maximum_value", None) is not None:
        constraints.append(f"maximum {slot.maximum_value}")
    return {"name": slot.name, "range": slot.range, "type": slot.type.value, "constraints": constraints,
            "enum": slot.enum, "references": slot.references}


def _derivation_context(site: Site, view: ViewPlan) -> dict:
    did = f"derivation:{view.source}.{view.name}"
    roles = derivation_views(site.g, did)
    slots = []
    for sp in view.slots:
        links = site.links_by_field.get((did, sp.name), [])
        reads = sorted({(l.column, l.subtype) for l in links})
        slots.append({
            "name": sp.name, "anchor": f"{_anchor(view.name)}--{_anchor(sp.name)}", "kind": sp.kind,
            "expression": expression_text(sp) if sp.expr is not None else "", "note": sp.note, "line": sp.line,
            "value_map": sp.value_map, "checks": [c.description for c in slot_checks(sp, view.grouped)],
            "reads": [{"label": f"{site.g.nodes[c]['table']}.{site.g.nodes[c]['label']}", "url": site.column_url[c],
                       "subtype": sub} for c, sub in reads],
            "slot_url": site.slot_node_url(view.target.name, sp.name),
        })
    order = ("staged", "groups", "canonical", "rejects")
    views = [(role, roles[role]) for role in order if role in roles]
    return {
        "id": did, "view": view, "anchor": _anchor(view.name), "slots": slots,
        "class_url": site.class_url[view.target.name],
        "table_url": site.table_url[(view.source, view.base.table.name)],
        "joins": [{"alias": j.ref.alias, "table": j.ref.table.name, "on": " ".join(j.on.text.split()),
                   "cardinality": j.cardinality, "url": site.table_url[(view.source, j.ref.table.name)]}
                  for j in view.joins],
        "rules": [{"kind": r.kind, "condition": " ".join(r.condition.text.split()), "reason": r.reason, "line": r.line}
                  for r in view.rules],
        "group_by": [" ".join(gk.text.split()) for gk in view.group_by],
        "source_key": [" ".join(k.text.split()) for k in view.source_key],
        "views": [{"role": role, "name": name, "sql": site.sql.get(name, {})} for role, name in views],
        "translator": site.translators.get(did),
    }


def build_pages(site: Site) -> list[Page]:
    plan, d, g = site.plan, site.d, site.g
    pages: list[Page] = []
    sources = plan.sources

    # business terms
    for name in sorted(d.classes):
        cls = d.classes[name]
        derivs = site.views_by_class.get(name, [])
        pages.append(Page(site.class_url[name], "term.html", cls.meta.title or name, {
            "cls": cls, "meta": _meta_rows(site, cls.meta, name, cls.description),
            "slots": [{"slot": s, "url": site.slot_node_url(name, s.name), "info": _slot_info(s),
                       "sources": sorted({v.source for v in derivs
                                          if (f"derivation:{v.source}.{v.name}", s.name) in site.links_by_field
                                          or any(sp.name == s.name and sp.kind in ("constant", "identifier")
                                                 for sp in v.slots)})}
                      for s in cls.slots],
            "derivations": [{"view": v, "url": site.derivation_url[f"derivation:{v.source}.{v.name}"],
                             "table_url": site.table_url[(v.source, v.base.table.name)]} for v in derivs],
            "integrated_sql": site.sql.get(cls.table_name, {}) if derivs else {},
            "graph": site.graph_data(focus_slots=[f"slot:{name}.{s.name}" for s in cls.slots]),
        }))
    # canonical slots
    for sname in sorted(site.slot_url):
        slot = d.slots.get(sname) or site.classes_by_slot[sname][0].slot(sname)
        uses = []
        for cls in site.classes_by_slot.get(sname, []):
            induced = cls.slot(sname)
            rows = []
            for v in site.views_by_class.get(cls.name, []):
                sp = next(sp for sp in v.slots if sp.name == sname)
                did = f"derivation:{v.source}.{v.name}"
                rows.append({"view": v, "sp": sp, "url": site.field_url(did, sname),
                             "expression": expression_text(sp) if sp.expr is not None else "",
                             "checks": [c.description for c in slot_checks(sp, v.grouped)],
                             "reads": sorted({(f"{g.nodes[l.column]['source']}.{g.nodes[l.column]['table']}.{g.nodes[l.column]['label']}",
                                               site.column_url[l.column], l.subtype)
                                              for l in site.links_by_field.get((did, sname), [])})})
            uses.append({"cls": cls, "anchor": _anchor(cls.name), "url": site.class_url[cls.name],
                         "info": _slot_info(induced), "rows": rows})
        pages.append(Page(site.slot_url[sname], "slot.html", slot.meta.title or sname, {
            "slot": slot, "info": _slot_info(slot), "meta": _meta_rows(site, slot.meta, sname, slot.description),
            "uses": uses, "references_url": site.class_url.get(slot.references, ""),
            "graph": site.graph_data(focus_slots=[f"slot:{c.name}.{sname}" for c in site.classes_by_slot.get(sname, [])]),
        }))
    # systems, mapping files, tables, columns
    for source in sources:
        tables = []
        for t in source.schema.tables.values():
            cols = [column_id(source.name, t.name, c) for c in t.columns]
            mapped = sum(1 for c in cols if any(l.slot for l in site.links_by_column.get(c, ())))
            tables.append({"table": t, "url": site.table_url[(source.name, t.name)], "columns": len(cols),
                           "mapped": mapped})
        all_cols = [column_id(source.name, t.name, c) for t in source.schema.tables.values() for c in t.columns]
        pages.append(Page(site.system_url[source.name], "system.html", source.title or source.name, {
            "source": source, "tables": tables, "mapping_url": site.mapping_url[source.name],
            "derivations": [{"view": v, "url": site.derivation_url[f"derivation:{v.source}.{v.name}"],
                             "class_url": site.class_url[v.target.name]} for v in source.views],
            "graph": site.graph_data(focus_columns=all_cols, collapse_all=len(all_cols) > 60),
        }))
        pages.append(Page(site.mapping_url[source.name], "mapping.html", source.mapping_file, {
            "source": source, "system_url": site.system_url[source.name],
            "derivations": [_derivation_context(site, v) for v in source.views],
            "translator_note": site.translator_note,
            "graph": site.graph_data(focus_fields=[(f"derivation:{v.source}.{v.name}", sp.name) for v in source.views
                                                   for sp in v.slots if sp.kind not in ("unmapped", "waived")]),
        }))
        for t in source.schema.tables.values():
            cols = []
            for c in t.columns.values():
                cid = column_id(source.name, t.name, c.name)
                links = site.links_by_column.get(cid, [])
                cols.append({"column": c, "url": site.column_url[cid], "pk": c.name in t.primary_key,
                             "feeds": sorted({(f"{g.nodes[l.derivation]['target']}.{l.slot}",
                                               site.slot_node_url(g.nodes[l.derivation]["target"], l.slot))
                                              for l in links if l.slot}),
                             "row_level": sorted({l.subtype for l in links if not l.slot})})
            table_cols = [column_id(source.name, t.name, c) for c in t.columns]
            pages.append(Page(site.table_url[(source.name, t.name)], "table.html", f"{source.name}.{t.name}", {
                "source": source, "table": t, "system_url": site.system_url[source.name], "columns": cols,
                "derivations": [{"view": v, "url": site.derivation_url[f"derivation:{v.source}.{v.name}"],
                                 "driving": v.base.table.name == t.name} for v in site.views_by_table.get((source.name, t.name), [])],
                "graph": site.graph_data(focus_columns=table_cols),
            }))
            for c in t.columns.values():
                cid = column_id(source.name, t.name, c.name)
                links = site.links_by_column.get(cid, [])
                fks = [fk for fk in t.foreign_keys if c.name in fk.columns]
                impact = impact_report(g, cid) if links else None
                pages.append(Page(site.column_url[cid], "column.html", f"{source.name}.{t.name}.{c.name}", {
                    "source": source, "table": t, "column": c, "pk": c.name in t.primary_key, "fks": fks,
                    "system_url": site.system_url[source.name], "table_url": site.table_url[(source.name, t.name)],
                    "feeds": [{"link": l, "slot": f"{g.nodes[l.derivation]['target']}.{l.slot}",
                               "slot_url": site.slot_node_url(g.nodes[l.derivation]["target"], l.slot),
                               "derivation": site.views_by_id[l.derivation], "url": site.field_url(l.derivation, l.slot)}
                              for l in links if l.slot],
                    "rows": [{"link": l, "derivation": site.views_by_id[l.derivation],
                              "url": site.derivation_url[l.derivation]} for l in links if not l.slot],
                    "impact": impact,
                    "graph": site.graph_data(focus_columns=[cid]) if links else None,
                }))
    # coverage, lineage overview, search, index
    pages.append(Page("coverage.html", "coverage.html", "Coverage", _coverage(site)))
    pages.append(Page("lineage.html", "lineage.html", "Estate lineage", {
        "graph": site.graph_data(everything=True, collapse_all=True),
        "columns": sum(len(t.columns) for s in sources for t in s.schema.tables.values()),
    }))
    pages.append(Page("search.html", "search.html", "Search", {}))
    pages.append(Page("index.html", "index.html", d.name or "Dictionary", {
        "terms": [{"cls": d.classes[n], "url": site.class_url[n], "labels": site.labels(d.classes[n].meta, n)}
                  for n in sorted(d.classes)],
        "systems": [{"source": s, "url": site.system_url[s.name], "mapping_url": site.mapping_url[s.name],
                     "derivations": len(s.views), "tables": len(s.schema.tables)} for s in sources],
        "slots": len(site.slot_url),
        "columns": sum(len(t.columns) for s in sources for t in s.schema.tables.values()),
    }))
    return pages


def _coverage(site: Site) -> dict:
    """Canonical slots x legacy systems, and the legacy columns no mapping reads."""
    plan, g = site.plan, site.g
    systems = [s.name for s in plan.sources]
    rows = []
    for cname in sorted(site.d.classes):
        cls = site.d.classes[cname]
        for slot in cls.slots:
            cells = []
            for s in plan.sources:
                derivs = [v for v in s.views if v.target.name == cname]
                if not derivs:
                    cells.append({"state": "none", "title": f"{s.name} does not map {cname}"})
                    continue
                kinds = [(v, next(sp for sp in v.slots if sp.name == slot.name)) for v in derivs]
                mapped = [(v, sp) for v, sp in kinds if sp.kind not in ("unmapped", "waived")]
                waived = [(v, sp) for v, sp in kinds if sp.kind == "waived"]
                if mapped:
                    cells.append({"state": "mapped", "count": len(mapped),
                                  "url": site.field_url(f"derivation:{mapped[0][0].source}.{mapped[0][0].name}", slot.name),
                                  "title": "; ".join(f"{v.name}: {expression_text(sp)}" for v, sp in mapped)})
                elif waived:
                    cells.append({"state": "waived", "title": "; ".join(f"{v.name}: {sp.note}" for v, sp in waived)})
                else:
                    cells.append({"state": "unmapped", "title": f"{s.name} maps {cname} but not {slot.name}"})
            rows.append({"cls": cname, "slot": slot.name, "url": site.slot_node_url(cname, slot.name),
                         "required": slot.required, "cells": cells})
    unmapped = []
    for s in plan.sources:
        for t in s.schema.tables.values():
            for c in t.columns.values():
                cid = column_id(s.name, t.name, c.name)
                links = site.links_by_column.get(cid, [])
                if not any(l.slot and l.type == DIRECT for l in links):
                    uses = sorted({l.subtype for l in links})
                    unmapped.append({"source": s.name, "table": t.name, "column": c.name, "url": site.column_url[cid],
                                     "type": c.native_type, "uses": uses})
    total = sum(len(t.columns) for s in plan.sources for t in s.schema.tables.values())
    return {"systems": systems, "system_urls": [site.system_url[s] for s in systems], "rows": rows,
            "unmapped": unmapped, "total_columns": total}


def search_index(site: Site) -> str:
    """window.DICT_SEARCH: [title, kind, url, names (labels, synonyms), description] per entry."""
    d, g = site.d, site.g
    entries = []
    for n in sorted(d.classes):
        c = d.classes[n]
        names = [n, c.meta.title] + [l for _lang, l in c.meta.labels] + list(c.meta.aliases)
        entries.append([c.meta.title or n, "term", site.class_url[n], _names(names), c.description])
    for sname in sorted(site.slot_url):
        s = d.slots.get(sname) or site.classes_by_slot[sname][0].slot(sname)
        names = [sname, s.meta.title] + [l for _lang, l in s.meta.labels] + list(s.meta.aliases) + \
                [f"{c.name}.{sname}" for c in site.classes_by_slot.get(sname, [])]
        entries.append([s.meta.title or sname, "slot", site.slot_url[sname], _names(names), s.description])
    for s in site.plan.sources:
        entries.append([s.title or s.name, "system", site.system_url[s.name], _names([s.name, s.title]), s.description])
        entries.append([s.mapping_file, "mapping", site.mapping_url[s.name], _names([s.mapping_file, s.name]),
                        f"Mapping of {s.title or s.name} onto the dictionary"])
        for t in s.schema.tables.values():
            entries.append([f"{s.name}.{t.name}", "table", site.table_url[(s.name, t.name)], _names([t.name]),
                            t.description])
            for c in t.columns.values():
                cid = column_id(s.name, t.name, c.name)
                entries.append([f"{s.name}.{t.name}.{c.name}", "column", site.column_url[cid],
                                _names([c.name, f"{t.name}.{c.name}"]), c.native_type])
    return "window.DICT_SEARCH = " + _json_compact(entries) + ";\n"


def _names(names) -> str:
    return "\u001f".join(dict.fromkeys(" ".join(str(n).split()) for n in names if n))


def site_files(plan: Plan, g: nx.MultiDiGraph | None = None) -> dict[str, str]:
    site = Site(plan, g)
    files: dict[str, str] = {}
    nav = {"index": "index.html", "coverage": "coverage.html", "lineage": "lineage.html", "search": "search.html"}
    common = {"dictionary": site.d, "dialects": site.dialect_names, "nav": nav, "subtypes": SUBTYPE_CODES,
              "languages": LANGUAGES}
    templates: dict[str, jinja2.Template] = {}
    for page in build_pages(site):
        template = templates.get(page.template) or templates.setdefault(page.template, site.env.get_template(page.template))
        files[f"docs/{page.path}"] = template.render(page=page, root=page.root, **common, **page.context)
    for asset in ASSETS:
        files[f"docs/assets/{asset}"] = (TEMPLATES / "assets" / asset).read_text(encoding="utf-8")
    files["docs/assets/search-index.js"] = search_index(site)
    return files


@generator("docs", owns=lambda **_: ("docs",), order=60)
def docs_generator(plan: Plan, **_) -> dict[str, str]:
    """Static documentation site: terms, slots, systems, tables, columns, mappings, lineage, coverage, search."""
    return site_files(plan)
