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
import functools
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import jinja2
from sqlglot import exp
import networkx as nx

from toolkit import dialects
from toolkit.load.dictionary import ClassDef, Slot
from toolkit.emit.generate import GENERATORS, generator
from toolkit.emit.graph import (DIRECT, Link, column_id, derivation_views, impact_report, plan_lineage, plan_links, slot_checks, summary_links, expression_text)
from toolkit.core.output import file_stem
from toolkit.plan import Plan, ViewPlan
from toolkit.load.standards import expand
from toolkit.emit.sql import rendered

TEMPLATES = Path(__file__).resolve().parent / "templates" / "docs"
ASSETS = ("docs.css", "docs.js", "lineage.js")
LANGUAGES = ("en", "zh", "fr")
KIND_RANK = {"term": 0, "slot": 1, "system": 2, "mapping": 3, "table": 4, "column": 5}
SUBTYPE_CODES = ("IDENTITY", "TRANSFORMATION", "AGGREGATION", "CONDITIONAL", "JOIN", "FILTER", "GROUP_BY")

# lineage drawing metrics (pixels), shared with assets/lineage.js through the page data
LAYER_X, NODE_W, HEADER_H, ROW_H, GROUP_GAP, PAD = 290, 220, 26, 22, 14, 10
COLLAPSE_OVER = 8   # groups with more members than this start collapsed unless they hold the focus


def _anchor(name: str) -> str:
    return file_stem(name).replace(".", "-")


@dataclass
class Page:
    path: str                 # relative to the site root
    template: str
    title: str
    context: dict = field(default_factory=dict)

    @property
    def root(self) -> str:
        return "../" * self.path.count("/")


@functools.lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja's per-user cache of compiled templates (compiling the site's templates is ~0.07 CPU-s a run).

    Jinja's own default folder (in the temporary folder, created owner-only and refused when another user
    owns it), never the project's: what it holds is Python bytecode that is loaded and run."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


class Site:
    """Everything the pages need, computed once from the plan and the lineage graph."""

    def __init__(self, plan: Plan, g: nx.MultiDiGraph | None = None):
        self.plan = plan
        self.d = plan.dictionary
        self.links = summary_links(g) if g is not None else list(plan_links(plan))
        self.g = g if g is not None else plan_lineage(plan)
        self.translator_note = "no python generator is registered"
        # every registered dialect, the embedded default engine's first
        self.dialect_names = sorted(dialects.names(), key=lambda name: (name != "duckdb", name))
        self._paths_lower: dict[str, dict[str, str]] = defaultdict(dict)
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                      undefined=jinja2.StrictUndefined, auto_reload=False,
                                      bytecode_cache=_bytecode_cache())
        self.env.filters["tojson_compact"] = _json_compact
        self.env.globals.update(dialects=self.dialect_names, languages=LANGUAGES)
        self._index()

    # ------------------------------------------------------------------ paths
    def _unique(self, folder: str, name: str) -> str:
        """Slug unique within ``folder`` even on case-insensitive file systems."""
        slug = file_stem(name)
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
        for l in self.links:
            self.links_by_column[l.column].append(l)
            if l.slot:
                self.links_by_field[(l.derivation, l.slot)].append(l)
        self.views_by_class: dict[str, list[ViewPlan]] = defaultdict(list)
        self.views_by_table: dict[tuple[str, str], list[ViewPlan]] = defaultdict(list)
        for v in self.plan.views():
            self.views_by_class[v.target.name].append(v)
            for ref in v.tables():
                if v not in self.views_by_table[(v.source, ref.table.name)]:
                    self.views_by_table[(v.source, ref.table.name)].append(v)
        # the lineage picture's vocabulary, computed once: links as rows, nodes and groups as tuples
        attr = dict(g.nodes(data=True))
        self.attr = attr
        self.link_rows: list[tuple] = []
        self.links_of_column: dict[str, list[int]] = defaultdict(list)
        self.links_of_field: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.row_links_of: dict[str, list[int]] = defaultdict(list)
        self.fields_of_slot: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._field_nodes: dict[tuple[str, str], tuple[str, str]] = {}
        self.field_info: dict[tuple[str, str], tuple] = {}
        for i, l in enumerate(self.links):
            fid, snode = self.field_node((l.derivation, l.slot)) if l.slot else ("", "")
            self.link_rows.append((l.column, l.derivation, l.slot, l.type, l.subtype, l.expression, fid, snode))
            self.links_of_column[l.column].append(i)
            if l.slot:
                self.links_of_field[(l.derivation, l.slot)].append(i)
            else:
                self.row_links_of[l.derivation].append(i)
        for f, (_fid, snode) in self._field_nodes.items():
            self.fields_of_slot[snode].append(f)
        self.column_info = {}
        self.group_info: dict[str, tuple[str, str, int]] = {}
        self.group_system: dict[str, str] = {}   # table and derivation groups -> their system (the filter)
        for s in self.plan.sources:
            for t in s.schema.tables.values():
                tid = f"table:{s.name}.{t.name}"
                self.group_system[tid] = s.name
                self.group_info[tid] = (f"{s.name}.{t.name}", self.table_url[(s.name, t.name)], 0)
                for c in t.columns.values():
                    cid = column_id(s.name, t.name, c.name)
                    self.column_info[cid] = (c.name, self.column_url[cid], tid, 0)
        for did, v in self.views_by_id.items():
            self.group_info[did] = (f"{v.source}: {v.name} → {v.target.name}", self.derivation_url[did], 1)
            self.group_system[did] = v.source
        for c in self.d.classes:
            self.group_info[f"class:{c}"] = (c, self.class_url[c], 2)
        self.classes_by_slot: dict[str, list[ClassDef]] = defaultdict(list)
        for c in self.d.classes.values():
            for s in c.slots:
                self.classes_by_slot[s.name].append(c)

    # ------------------------------------------------------------------ generated code
    @cached_property
    def sql(self) -> dict[str, dict[str, str]]:
        """view name -> dialect -> its CREATE statement: the SQL generator's own texts, rendered once per plan."""
        out: dict[str, dict[str, str]] = defaultdict(dict)
        for name, by_stem in rendered(self.plan, [dialects.get(d) for d in self.dialect_names]).items():
            for statements in by_stem.values():
                for view, text in statements:
                    out[view][name] = text + ";"
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

    def field_node(self, field: tuple[str, str]) -> tuple[str, str]:
        """(field node id, canonical slot node id) of a derivation's slot."""
        known = self._field_nodes.get(field)
        if known is None:
            did, slot = field
            known = self._field_nodes[field] = (self.field_id(did, slot), f"slot:{self.attr[did]['target']}.{slot}")
            self.field_info[field] = (slot, self.field_url(did, slot), did, 1)
        return known

    def slot_info_of(self, snode: str) -> tuple:
        cls, slot = snode.split(":", 1)[1].split(".", 1)
        return (slot, self.slot_node_url(cls, slot), f"class:{cls}", 2)

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


# Characters that could end or alter the script block holding page data ("</script>", "<!--<script>",
# "]]>" in XHTML) or a JavaScript string (U+2028/U+2029 before ES2019): each becomes its \\u escape, which
# JSON.parse and JavaScript read back as the same character. JSON puts them only inside strings.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_compact(data) -> str:
    """Compact JSON safe to inline in an HTML <script> element or a JavaScript file, whatever its strings hold."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.translate(_SCRIPT_SAFE)


def _translator_code(files: dict[str, str], view: ViewPlan) -> tuple[str, str] | None:
    """The functions in the Python generator's output that translate ``view``'s records: the one named after
    the derivation (``contact_point_phone``) and its helpers (``household__staged``), in file order."""
    from toolkit.emit.python import function_name   # only asked when the python generator gave files

    wanted = {function_name(view), view.view_name}
    own = [p for p in sorted(files) if p.endswith(".py") and Path(p).stem == view.source]
    for path in own + [p for p in sorted(files) if p.endswith(".py") and p not in own]:
        definitions = _definitions(files[path])
        if definitions is None:
            continue
        parts = [code for name, code in definitions
                 if any(name == w or name.startswith(w + "__") or name == f"translate_{w}" for w in wanted)]
        if parts and (path in own or any(view.view_name in part for part in parts)):
            return path, "\n\n\n".join(parts)
    return None


@functools.lru_cache(maxsize=64)
def _definitions(text: str) -> tuple[tuple[str, str], ...] | None:
    """(name, source text) of each top-level function and class of a module, parsed once per module text
    (every derivation of a source asks for its own functions) and kept in the regeneration cache when one is
    open (after one mapping is edited, only that source's module is parsed again); None if it does not parse."""
    from toolkit.emit.cache import store_texts, stored_texts

    found = stored_texts("python-definitions", text)
    if found is not None:
        return tuple(found)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    lines = re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text)   # as ast.get_source_segment splits them
    definitions = tuple((node.name, _segment(lines, node)) for node in tree.body
                        if isinstance(node, (ast.FunctionDef, ast.ClassDef)))
    store_texts("python-definitions", text, list(definitions))
    return definitions


def _segment(lines: list[str], node: ast.AST) -> str:
    """``ast.get_source_segment(text, node)`` over lines split once (it splits the whole text per call)."""
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first].encode()[node.col_offset:node.end_col_offset].decode()
    return "".join([lines[first].encode()[node.col_offset:].decode(), *lines[first + 1:last],
                    lines[last].encode()[:node.end_col_offset].decode()])


# ---------------------------------------------------------------------- layout

def _layout(site: Site, columns: set[str], fields: set[tuple[str, str]], slots: set[str], everything: bool,
            collapse_all: bool) -> dict:
    """Nodes, groups, edges and build-time coordinates of one lineage picture.

    Three layers: legacy columns grouped by table | derivation fields grouped by derivation |
    canonical slots grouped by class. Focus columns bring their downstream, focus slots their
    upstream, focus fields both. Group order comes from barycentre sweeps, ties by name.
    """
    rows = site.link_rows
    if everything:
        chosen = range(len(rows))
        col_nodes = set(site.column_url)
    else:
        picked: set[int] = set()
        for c in columns:
            picked.update(site.links_of_column.get(c, ()))
        for f in fields:
            picked.update(site.links_of_field.get(f, ()))
            picked.update(site.row_links_of.get(f[0], ()))
        for s in slots:
            for f in site.fields_of_slot.get(s, ()):
                picked.update(site.links_of_field.get(f, ()))
                picked.update(site.row_links_of.get(f[0], ()))
        chosen = sorted(picked)
        col_nodes = set(columns)
    field_keys: set[tuple[str, str]] = set(fields)
    slot_nodes: set[str] = set(slots)
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    exprs: dict[tuple[str, str], str] = {}
    gedges: dict[tuple[str, str], set[str]] = defaultdict(set)
    gexprs: dict[tuple[str, str], str] = {}
    row_derivations: set[str] = set()
    for i in chosen:
        column, did, slot, _t, sub, text, fid, _snode = rows[i]
        col_nodes.add(column)
        if slot:
            field_keys.add((did, slot))
            edges[(column, fid)].add(sub)
            exprs.setdefault((column, fid), text)
        else:
            row_derivations.add(did)
            gedges[(column, did)].add(sub)
            gexprs.setdefault((column, did), text)
    for f in field_keys:
        fid, snode = site.field_node(f)
        slot_nodes.add(snode)
        edges[(fid, snode)].add("IDENTITY")

    # groups and nodes: node -> (label, url, group, kind); group -> [label, url, layer, members]
    nodes: dict[str, tuple] = {}
    groups: dict[str, list] = {}
    for c in col_nodes:
        info = site.column_info[c]
        nodes[c] = info
    for f in field_keys:
        fid, _snode = site.field_node(f)
        nodes[fid] = site.field_info[f]
    for s in slot_nodes:
        nodes[s] = site.slot_info_of(s)
    for n, info in nodes.items():
        grp = groups.get(info[2])
        if grp is None:
            grp = groups[info[2]] = list(site.group_info[info[2]]) + [[]]
        grp[3].append(n)
    for did in row_derivations:
        if did not in groups:
            groups[did] = list(site.group_info[did]) + [[]]

    # order: barycentre sweeps over groups, then members
    layers: list[list[str]] = [[], [], []]
    for gid in sorted(groups):
        layers[groups[gid][2]].append(gid)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        ga, gb = nodes[a][2], nodes[b][2]
        neighbours[ga].add(gb)
        neighbours[gb].add(ga)
    for a, gb in gedges:
        ga = nodes[a][2]
        neighbours[ga].add(gb)
        neighbours[gb].add(ga)

    def sweep(layer: int) -> None:
        pos = {gid: i for li in layers for i, gid in enumerate(li)}

        def key(gid: str):
            ns = [pos[n] for n in neighbours[gid] if groups[n][2] != layer]
            return (sum(ns) / len(ns) if ns else pos[gid], gid)
        layers[layer].sort(key=key)

    if len(groups) > 3:
        for order in ((1, 2, 0), (1, 2)):
            for layer in order:
                sweep(layer)
    pos_group = {gid: i for li in layers for i, gid in enumerate(li)}
    node_neighbours: dict[str, list[int]] = defaultdict(list)
    for a, b in edges:
        node_neighbours[a].append(pos_group[nodes[b][2]])
        node_neighbours[b].append(pos_group[nodes[a][2]])

    def member_key(n: str):
        ns = node_neighbours.get(n)
        return (sum(ns) / len(ns) if ns else 0, nodes[n][0].lower(), n)

    for grp in groups.values():
        grp[3].sort(key=member_key)

    # coordinates for the first paint
    focus = set(columns) | {site.field_node(f)[0] for f in fields} | set(slots)
    order_ids = [gid for li in layers for gid in li]
    gindex = {gid: i for i, gid in enumerate(order_ids)}
    node_ids = [n for gid in order_ids for n in groups[gid][3]]
    nindex = {n: i for i, n in enumerate(node_ids)}
    out_groups = []
    height = 0
    for li, layer in enumerate(layers):
        y = PAD
        for gid in layer:
            label, url, _layer, members = groups[gid]
            collapsed = bool(members) and (collapse_all or (len(members) > COLLAPSE_OVER
                                                            and not any(m in focus for m in members)))
            out_groups.append([gid, label, url, li, 1 if collapsed else 0, y, [nindex[m] for m in members]])
            y += HEADER_H + (0 if collapsed else ROW_H * len(members)) + GROUP_GAP
        height = max(height, y)
    expr_list: list[str] = []
    expr_index: dict[str, int] = {}

    def ei(text: str) -> int:
        index = expr_index.get(text)
        if index is None:
            index = expr_index[text] = len(expr_list)
            expr_list.append(text)
        return index

    out_nodes = [[n, nodes[n][0], nodes[n][1], gindex[nodes[n][2]], nodes[n][3], 1 if n in focus else 0]
                 for n in node_ids]
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
            "gedges": out_gedges, "exprs": expr_list,
            "systems": [site.group_system.get(gid, "") for gid in order_ids]}


# ---------------------------------------------------------------------- pages

def _meta_rows(site: Site, meta, fallback: str, description: str) -> dict:
    return {"labels": site.labels(meta, fallback), "steward": meta.steward, "pii": meta.pii,
            "synonyms": list(meta.aliases), "description": description,
            "standards": _standards(site, meta.mappings)}


def _standards(site: Site, mappings) -> list[dict]:
    """A term's open-standard mappings with the IRI each CURIE expands to, shown as text: the site links
    nothing outside itself (it must work offline)."""
    return [{"match": key.split("_")[0], "curie": curie, "iri": expand(curie, site.d.prefixes)} for key, curie in mappings]


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
    referenced_by: dict[str, list[dict]] = defaultdict(list)   # class -> the slots of other classes naming it
    for other in sorted(d.classes):
        for s in d.classes[other].slots:
            if s.references in d.classes:
                referenced_by[s.references].append({"cls": other, "slot": s.name, "url": site.class_url[other],
                                                    "slot_url": site.slot_node_url(other, s.name)})
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
            "referenced_by": referenced_by.get(name, []),
            "references": [{"cls": s.references, "slot": s.name, "url": site.class_url[s.references],
                            "slot_url": site.slot_node_url(name, s.name)}
                           for s in cls.slots if s.references in d.classes],
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
    pages.append(run_page(site))
    pages.append(Page("lineage.html", "lineage.html", "Estate lineage", {
        "graph": site.graph_data(everything=True, collapse_all=True),
        "columns": sum(len(t.columns) for s in sources for t in s.schema.tables.values()),
    }))
    pages.append(Page("search.html", "search.html", "Search", {}))
    pages += policy_pages(site)
    pages += golden_pages(site)
    pages.append(Page("index.html", "index.html", d.name or "Dictionary", {
        "terms": [{"cls": d.classes[n], "url": site.class_url[n], "labels": site.labels(d.classes[n].meta, n)}
                  for n in sorted(d.classes)],
        "systems": [{"source": s, "url": site.system_url[s.name], "mapping_url": site.mapping_url[s.name],
                     "derivations": len(s.views), "tables": len(s.schema.tables)} for s in sources],
        "slots": len(site.slot_url),
        "columns": sum(len(t.columns) for s in sources for t in s.schema.tables.values()),
        "policies": len(plan.policies),
        "golden": [{"name": g.target.name, "url": golden_url(g)} for g in plan.golden],
    }))
    return pages


def golden_url(golden) -> str:
    return f"golden/{file_stem(golden.target.name)}.html"


def golden_pages(site: Site) -> list[Page]:
    """A page per golden class: its survivorship rule per slot, the source ranking and how ties are broken."""
    from toolkit.emit.golden import PROVENANCE, rules_of

    pages = []
    for golden in site.plan.golden:
        survive = golden.survive
        rows = []
        for slot, rule_text, together in rules_of(golden):
            unit = survive.unit_of(slot)
            rule = unit.rule
            ranking = survive.ranking(golden.sources, rule if rule.kind == "source_priority" else None)
            rows.append({"slot": slot, "url": site.slot_node_url(golden.target.name, slot), "rule": rule_text,
                         "together": together, "ranking": ranking,
                         "where": f"{rule.file or survive.file}:{rule.line or unit.line or survive.line}"})
        pages.append(Page(golden_url(golden), "golden.html", f"Golden {golden.target.name}", {
            "golden": golden, "rows": rows, "class_url": site.class_url[golden.target.name],
            "ranking": survive.ranking(golden.sources), "provenance": [suffix for suffix, _ in PROVENANCE]}))
    return pages


def run_page(site: Site) -> Page:
    """The last run the project recorded (dict run --record): canonical and rejected rows per derivation as an
    inline SVG chart, and the reject reasons; or how to record one."""
    from toolkit.emit.runrecord import chart, load_record

    record, why = load_record(site.plan.root)
    context: dict = {"record": record, "why": why}
    if record is not None:
        for d in record["derivations"]:
            d["url"] = site.derivation_url.get(f"derivation:{d['source']}.{d['derivation']}", "")
        reasons = [{"source": d["source"], "derivation": d["derivation"], **r} for d in record["derivations"]
                   for r in d["reasons"]]
        most = max([r["rows"] for r in reasons] + [1])
        for r in reasons:
            r["width"] = round(120 * r["rows"] / most, 1)
        context.update(chart=chart(record), reasons=sorted(reasons, key=lambda r: -r["rows"]))
    return Page("run.html", "run.html", "Last run", context)


def policy_pages(site: Site) -> list[Page]:
    """A page per interaction policy (purpose, rule, inputs and the legacy columns feeding them) and a list."""
    if not site.plan.policies:
        return []
    pages, listed = [], []
    for policy in site.plan.policies:
        url = f"policies/{file_stem(policy.name)}.html"
        inputs = []
        for cls, slot in policy.inputs():
            columns = sorted({(f"{site.g.nodes[l.column]['source']}.{site.g.nodes[l.column]['table']}."
                               f"{site.g.nodes[l.column]['label']}", site.column_url[l.column])
                              for v in site.views_by_class.get(cls, [])
                              for l in site.links_by_field.get((f"derivation:{v.source}.{v.name}", slot), [])})
            inputs.append({"label": f"{cls}.{slot}", "url": site.slot_node_url(cls, slot), "columns": columns})
        pages.append(Page(url, "policy.html", policy.title or policy.name, {
            "policy": policy, "trigger_url": site.class_url[policy.trigger.name], "inputs": inputs}))
        listed.append({"policy": policy, "url": url})
    pages.append(Page("policies/index.html", "policies.html", "Interaction policies", {"policies": listed}))
    return pages


def _coverage(site: Site) -> dict:
    """Canonical slots x legacy systems, and the legacy columns no mapping reads."""
    plan = site.plan
    systems = [s.name for s in plan.sources]
    by_class: dict[tuple[str, str], list[ViewPlan]] = defaultdict(list)
    slot_index = {}
    for v in plan.views():
        by_class[(v.source, v.target.name)].append(v)
        slot_index[(v.source, v.name)] = {sp.name: i for i, sp in enumerate(v.slots)}
    rows = []
    for cname in sorted(site.d.classes):
        cls = site.d.classes[cname]
        for slot in cls.slots:
            cells = []   # (state, title, text, url): one per system
            for s in plan.sources:
                derivs = by_class.get((s.name, cname), ())
                if not derivs:
                    cells.append(("none", "", "", ""))
                    continue
                kinds = [(v, v.slots[slot_index[(v.source, v.name)][slot.name]]) for v in derivs]
                mapped = [(v, sp) for v, sp in kinds if sp.kind not in ("unmapped", "waived")]
                waived = [(v, sp) for v, sp in kinds if sp.kind == "waived"]
                if mapped:
                    first = mapped[0][0]
                    cells.append(("mapped", ", ".join(v.name for v, _sp in mapped),
                                  "✓" + (str(len(mapped)) if len(mapped) > 1 else ""),
                                  site.field_url(f"derivation:{first.source}.{first.name}", slot.name)))
                elif waived:
                    cells.append(("waived", "; ".join(f"{v.name}: {sp.note}" for v, sp in waived), "w", ""))
                else:
                    cells.append(("unmapped", f"{s.name} maps {cname} but not {slot.name}", "·", ""))
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
    d = site.d
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


def site_files(plan: Plan, g: nx.MultiDiGraph | None = None, site: Site | None = None) -> dict[str, str]:
    site = site or Site(plan, g)
    files: dict[str, str] = {}
    nav = {"index": "index.html", "coverage": "coverage.html", "lineage": "lineage.html", "search": "search.html"}
    common = {"dictionary": site.d, "nav": nav, "subtypes": SUBTYPE_CODES}
    templates: dict[str, jinja2.Template] = {}
    for page in build_pages(site):
        template = templates.get(page.template) or templates.setdefault(page.template, site.env.get_template(page.template))
        files[f"docs/{page.path}"] = template.render(page=page, root=page.root, **common, **page.context)
    for asset in ASSETS:
        files[f"docs/assets/{asset}"] = (TEMPLATES / "assets" / asset).read_text(encoding="utf-8")
    files["docs/assets/search-index.js"] = search_index(site)
    return files


@generator("docs")
def docs_generator(plan: Plan, **_) -> dict[str, str]:
    """Static documentation site: terms, slots, systems, tables, columns, mappings, lineage, coverage, search."""
    return site_files(plan)
