"""Column-level lineage, read off the plan: the mappings are the ground truth.

``build_lineage(plan)`` returns a networkx MultiDiGraph of legacy systems, tables and
columns; mapping files, derivations and their row rules, joins and groupings; canonical
classes and slots; and every generated view with its columns. Two relations:

- ``contains`` (structure): system > table > column, mapping > derivation > view > view column,
  derivation > join / group / check, class > slot;
- ``lineage`` (data flow), each edge with an OpenLineage transformation ``type`` and
  ``subtype`` (DIRECT: IDENTITY, TRANSFORMATION, AGGREGATION; INDIRECT: JOIN, FILTER,
  GROUP_BY, CONDITIONAL), the mapping ``expression`` it comes from, its file and line, and
  ``in_select``: whether the SQL computes it in a SELECT list (what sqlglot's column lineage
  can see) rather than in ON, WHERE or GROUP BY.

The flow mirrors the generated SQL: legacy column -> derivation's staged (or groups) view
column -> canonical view column -> canonical slot -> integrated class view column; row
rules, slot checks, joins and groupings are nodes between their input columns and the view
columns whose rows they decide.
"""
from __future__ import annotations

import weakref
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator

import networkx as nx
from sqlglot import exp

from toolkit.expressions.functions import BY_NODE
from toolkit.expressions.language import ColumnRef, Expr
from toolkit.core.names import ALL_REJECTS
from toolkit.plan import PROVENANCE, REJECT_COLUMNS, Plan, SlotPlan, ViewPlan, slot_checks

DIRECT, INDIRECT = "DIRECT", "INDIRECT"
IDENTITY, TRANSFORMATION, AGGREGATION = "IDENTITY", "TRANSFORMATION", "AGGREGATION"
JOIN, FILTER, GROUP_BY, CONDITIONAL = "JOIN", "FILTER", "GROUP_BY", "CONDITIONAL"
SUBTYPES = {IDENTITY: DIRECT, TRANSFORMATION: DIRECT, AGGREGATION: DIRECT,
            JOIN: INDIRECT, FILTER: INDIRECT, GROUP_BY: INDIRECT, CONDITIONAL: INDIRECT}
CONTAINS, LINEAGE = "contains", "lineage"

# Node kinds, in the order pages and listings show them.
KINDS = ("system", "table", "column", "mapping", "derivation", "join", "group", "check", "view", "viewcol",
         "class", "slot")


# ----------------------------------------------------------------------------- node ids

def system_id(source: str) -> str:
    return f"system:{source}"


def table_id(source: str, table: str) -> str:
    return f"table:{source}.{table}"


def column_id(source: str, table: str, column: str) -> str:
    return f"column:{source}.{table}.{column}"


def mapping_id(source: str) -> str:
    return f"mapping:{source}"


def derivation_id(view: ViewPlan) -> str:
    return f"derivation:{view.source}.{view.name}"


def view_id(name: str) -> str:
    return f"view:{name}"


def viewcol_id(view: str, column: str) -> str:
    return f"viewcol:{view}.{column}"


def class_id(name: str) -> str:
    return f"class:{name}"


def slot_id(class_name: str, slot: str) -> str:
    return f"slot:{class_name}.{slot}"


# ----------------------------------------------------------------------------- expressions

@dataclass(frozen=True)
class Use:
    """How an expression uses one column."""

    column: ColumnRef
    subtype: str

    @property
    def type(self) -> str:
        return SUBTYPES[self.subtype]


def column_uses(expr: Expr, value_map: bool = False) -> list[Use]:
    """Each column ``expr`` reads and how (a column can be used several ways), in reading order.

    A column in a CASE/IF condition (or a simple CASE's subject) is INDIRECT CONDITIONAL;
    inside an aggregate it is DIRECT AGGREGATION; the whole expression being the column is
    DIRECT IDENTITY (unless a code map translates it); anything else is DIRECT TRANSFORMATION.
    """
    refs = {(c.alias, c.column): c for c in expr.columns}
    refs_folded = {(a.lower(), c.lower()): r for (a, c), r in refs.items()}
    found: dict[tuple[ColumnRef, str], None] = {}
    bare = expr.ast
    while isinstance(bare, exp.Paren):
        bare = bare.this
    identity = isinstance(bare, exp.Column) and not value_map

    def ref(node: exp.Column) -> ColumnRef | None:
        return refs.get((node.table, node.name)) or refs_folded.get((node.table.lower(), node.name.lower()))

    def walk(node: exp.Expression, cond: bool, agg: bool) -> None:
        if isinstance(node, exp.Column):
            r = ref(node)
            if r is not None:
                sub = CONDITIONAL if cond else AGGREGATION if agg else IDENTITY if identity else TRANSFORMATION
                found[(r, sub)] = None
            return
        if isinstance(node, exp.Case):
            if node.this is not None:
                walk(node.this, True, agg)
            for branch in node.args.get("ifs") or []:
                walk(branch.this, True, agg)
                walk(branch.args["true"], cond, agg)
            if node.args.get("default") is not None:
                walk(node.args["default"], cond, agg)
            return
        if isinstance(node, exp.If):
            walk(node.this, True, agg)
            for key in ("true", "false"):
                if node.args.get(key) is not None:
                    walk(node.args[key], cond, agg)
            return
        fn = BY_NODE.get(type(node))
        inner_agg = agg or bool(fn and fn.aggregate)
        for child in node.iter_expressions():
            walk(child, cond, inner_agg)

    walk(expr.ast, False, False)
    return [Use(r, sub) for r, sub in found]


def _uses_in(expr: Expr, parts: tuple[exp.Expression, ...]) -> list[ColumnRef]:
    """The columns of ``expr`` that ``parts`` (sub-expressions of it) read."""
    refs = {(c.alias.lower(), c.column.lower()): c for c in expr.columns}
    found: dict[ColumnRef, None] = {}
    for part in parts:
        for node in part.find_all(exp.Column):
            r = refs.get((node.table.lower(), node.name.lower()))
            if r is not None:
                found[r] = None
    return list(found)


def expression_text(sp: SlotPlan) -> str:
    """The slot's derivation as a mapping author wrote it (a copy shows the bare column)."""
    if sp.expr is None:
        return ""
    text = " ".join(sp.expr.text.split())
    if sp.kind == "copy" and sp.expr.columns:
        text = sp.expr.columns[0].column
    if sp.value_map is not None:
        vm = sp.value_map
        text += f" → code map ({len(vm.pairs)} codes; unmapped: {vm.unmapped}"
        text += f" → '{vm.default}')" if vm.unmapped == "default" else ")"
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------- graph

class _Builder:
    def __init__(self) -> None:
        self.g = nx.MultiDiGraph()

    def node(self, nid: str, kind: str, label: str, **attrs) -> str:
        clean = {k: v for k, v in attrs.items() if v is not None}
        self.g.add_node(nid, kind=kind, label=label, **clean)
        return nid

    def contains(self, parent: str, child: str) -> None:
        self.g.add_edge(parent, child, key=CONTAINS, relation=CONTAINS)

    def flow(self, src: str, dst: str, subtype: str, expression: str = "", in_select: bool = True,
             derivation: str = "", file: str = "", line: int = 0, description: str = "") -> None:
        if self.g.has_edge(src, dst, key=subtype):
            return
        self.g.add_edge(src, dst, key=subtype, relation=LINEAGE, type=SUBTYPES[subtype], subtype=subtype,
                        expression=expression, in_select=in_select, derivation=derivation, file=file, line=line,
                        description=description)


def plan_lineage(plan: Plan) -> nx.MultiDiGraph:
    """``build_lineage(plan)`` once per plan, shared by the generators that read it (lineage exports, docs):
    they only read the graph, never change it."""
    from toolkit.core.memo import per_plan

    return per_plan(plan, "lineage.graph", lambda: build_lineage(plan))


def plan_links(plan: Plan) -> tuple[Link, ...]:
    """``summary_links(plan_lineage(plan))`` once per plan (the lineage exports and the docs both list them)."""
    from toolkit.core.memo import per_plan

    return per_plan(plan, "lineage.links", lambda: tuple(summary_links(plan_lineage(plan))))


def build_lineage(plan: Plan) -> nx.MultiDiGraph:
    """The lineage graph of the whole estate, from the plan alone."""
    b = _Builder()
    g = b.g
    g.graph.update(name=plan.dictionary.name or "dictionary", version=plan.dictionary.version or "")
    for cls in plan.dictionary.classes.values():
        cid = b.node(class_id(cls.name), "class", cls.name, title=cls.meta.title or cls.name,
                     description=_one_line(cls.description), file=cls.file, line=cls.line)
        for slot in cls.slots:
            sid = b.node(slot_id(cls.name, slot.name), "slot", f"{cls.name}.{slot.name}", class_name=cls.name,
                         slot=slot.name, range=slot.range, required=slot.required,
                         description=_one_line(slot.description), file=slot.file, line=slot.line)
            b.contains(cid, sid)
    for source in plan.sources:
        sys_id = b.node(system_id(source.name), "system", source.name, title=source.title or source.name,
                        description=_one_line(source.description), steward=source.steward,
                        file=source.mapping_file)
        for table in source.schema.tables.values():
            tid = b.node(table_id(source.name, table.name), "table", table.name, source=source.name,
                         description=_one_line(table.description), file=source.schema.file, line=table.line)
            b.contains(sys_id, tid)
            for col in table.columns.values():
                c = b.node(column_id(source.name, table.name, col.name), "column", col.name, source=source.name,
                           table=table.name, native_type=col.native_type, type=col.type.value,
                           nullable=col.nullable, primary_key=col.name in table.primary_key,
                           file=source.schema.file, line=col.line)
                b.contains(tid, c)
        mid = b.node(mapping_id(source.name), "mapping", source.mapping_file, source=source.name,
                     file=source.mapping_file)
        b.contains(sys_id, mid)
        for view in source.views:
            _derivation(b, view, mid)
    for view in plan.views():   # after every derivation: a reference reads another derivation's views
        _references(b, view)
    for integrated in plan.integrated:
        cls = integrated.target
        vid = b.node(view_id(integrated.view_name), "view", integrated.view_name, role="integrated",
                     class_name=cls.name)
        b.contains(class_id(cls.name), vid)
        for slot in cls.slots:
            out = b.node(viewcol_id(integrated.view_name, slot.name), "viewcol", slot.name,
                         view=integrated.view_name, slot=slot.name)
            b.contains(vid, out)
            b.flow(slot_id(cls.name, slot.name), out, IDENTITY, slot.name,
                   description=f"integrated view {integrated.view_name}: UNION ALL of every source")
        for p in PROVENANCE:
            out = b.node(viewcol_id(integrated.view_name, p), "viewcol", p, view=integrated.view_name)
            b.contains(vid, out)
            for v in integrated.views:
                b.flow(viewcol_id(v.view_name, p), out, IDENTITY, p, derivation=derivation_id(v))
        _duplicate_ids(b, integrated)
    for golden in plan.golden:
        _golden(b, golden)
    views = plan.views()
    if views:
        vid = b.node(view_id(ALL_REJECTS), "view", ALL_REJECTS, role="all_rejects")
        for c in REJECT_COLUMNS:
            out = b.node(viewcol_id(ALL_REJECTS, c), "viewcol", c, view=ALL_REJECTS)
            b.contains(vid, out)
            for v in views:
                b.flow(viewcol_id(v.rejects_name, c), out, IDENTITY, c, derivation=derivation_id(v))
    return g


ORPHAN_COLUMNS = PROVENANCE + ("_slot", "_target_class", "_target_id", "_target_state", "_on_orphan")
DUPLICATE_ID_COLUMNS = ("_id", "_source_system", "_derivation", "_rows")


SURVIVORSHIP = "survivorship"   # the ``kind`` of the edges into a golden record's columns


def _golden(b: _Builder, golden) -> None:
    """The class's golden view: each slot (and its source columns) from the integrated view's row its rule
    picks; a DIRECT edge from the slot itself and CONDITIONAL ones from what orders the entity's rows (the
    unit's slots, the rule's timestamp, the source ranking and record key), all of kind 'survivorship'."""
    from toolkit.emit.golden import ENTITY, PROVENANCE as GOLDEN_PROVENANCE, RECORDS

    cls, name, integrated = golden.target, golden.view_name, golden.integrated.view_name
    vid = b.node(view_id(name), "view", name, role="golden", class_name=cls.name)
    b.contains(class_id(cls.name), vid)
    for column in (ENTITY, RECORDS):
        b.contains(vid, b.node(viewcol_id(name, column), "viewcol", column, view=name))
    survive = golden.survive
    for unit in survive.units:
        rule = unit.rule
        expression = f"survive: {rule.text}" + (f" (together: {'+'.join(unit.slots)})" if unit.together else "")
        where = {"file": rule.file or survive.file, "line": rule.line or unit.line or survive.line}
        ordering = list(unit.slots) + ([rule.timestamp] if rule.timestamp else []) + [c for _, c in GOLDEN_PROVENANCE]
        for slot in unit.slots:
            outputs = [(slot, slot)] + [(f"{slot}__{suffix}", column) for suffix, column in GOLDEN_PROVENANCE]
            for column, value in outputs:
                out = b.node(viewcol_id(name, column), "viewcol", column, view=name,
                             **({"slot": slot} if column == slot else {}))
                b.contains(vid, out)
                _survives(b, viewcol_id(integrated, value), out, IDENTITY, expression,
                          f"golden view {name}: {slot} from the record {rule.text} picks", **where)
                for other in ordering:
                    if other != value:
                        _survives(b, viewcol_id(integrated, other), out, CONDITIONAL, expression,
                                  f"golden view {name}: orders the entity's records for {slot}", **where)


def _survives(b: _Builder, src: str, dst: str, subtype: str, expression: str, description: str, file: str,
              line: int) -> None:
    b.flow(src, dst, subtype, expression, True, "", file, line, description)
    b.g.edges[src, dst, subtype]["kind"] = SURVIVORSHIP


def _duplicate_ids(b: _Builder, integrated) -> None:
    """The class's view of identifiers several rows share: each derivation's identifier feeds ``_id``."""
    check = integrated.identity_check
    if check is None:
        return
    key, name = check.key, check.view
    vid = b.node(view_id(name), "view", name, role="duplicate_ids", class_name=integrated.target.name)
    b.contains(class_id(integrated.target.name), vid)
    for c in DUPLICATE_ID_COLUMNS:
        b.contains(vid, b.node(viewcol_id(name, c), "viewcol", c, view=name))
    for v in check.views:
        b.flow(viewcol_id(v.view_name, key.name), viewcol_id(name, "_id"), IDENTITY, key.name, derivation=derivation_id(v))


def _references(b: _Builder, view: ViewPlan) -> None:
    """The derivation's orphans view, and (on_orphan: reject) the identifiers its rejects are decided by."""
    if not view.references:
        return
    did, name = derivation_id(view), view.orphans_name
    vid = b.node(view_id(name), "view", name, role="orphans", derivation=did, class_name=view.target.name)
    b.contains(did, vid)
    for c in ORPHAN_COLUMNS:
        b.contains(vid, b.node(viewcol_id(name, c), "viewcol", c, view=name))
    value_view = view.checked_name

    def flow(a: str, z: str, subtype: str, expression: str, in_select: bool = True) -> None:
        b.flow(a, z, subtype, expression, in_select, did, view.file, view.line)

    for check in view.references:
        rows = value_view if check.reject else view.view_name
        for p in PROVENANCE:
            flow(viewcol_id(rows, p), viewcol_id(name, p), IDENTITY, p)
        flow(viewcol_id(rows, check.slot), viewcol_id(name, "_target_id"), IDENTITY, check.slot)
        looked_up = [viewcol_id(checked, check.id_slot) for checked, _canonical in check.targets]
        for target in looked_up:   # missing or rejected: whether any row of the class has the id
            flow(target, viewcol_id(name, "_target_state"), TRANSFORMATION, f"{check.slot} = {check.id_slot}")
        if not check.reject:
            continue
        reason = viewcol_id(view.rejects_name, "_reject_reason")
        flow(viewcol_id(value_view, check.slot), reason, TRANSFORMATION, f"on_orphan: reject ({check.slot})")
        for checked, canonical in check.targets:
            for target in (viewcol_id(checked, check.id_slot), viewcol_id(canonical, check.id_slot)):
                flow(target, reason, TRANSFORMATION, f"on_orphan: reject ({check.slot})")


def _derivation(b: _Builder, view: ViewPlan, mapping: str) -> None:
    did = derivation_id(view)
    src, file = view.source, view.file
    b.node(did, "derivation", view.name, source=src, target=view.target.name, file=file, line=view.line,
           description=_one_line(view.description), grouped=view.grouped, table=view.base.table.name,
           view=view.view_name)
    b.contains(mapping, did)
    b.g.add_edge(did, class_id(view.target.name), key="targets", relation="targets")

    def col(ref: ColumnRef) -> str:
        return column_id(src, ref.table, ref.column)

    def flow(a: str, z: str, subtype: str, expression: str = "", in_select: bool = True, line: int = 0,
             description: str = "") -> None:
        b.flow(a, z, subtype, expression, in_select, did, file, line or view.line, description)

    # the views of the derivation and their columns
    slots = [sp.name for sp in view.slots]
    value_view = view.groups_name if view.grouped else view.staged_name
    layout = {view.staged_name: ("staged", ([] if view.grouped else slots) + list(PROVENANCE) + ["_reject_reason"])}
    if view.grouped:
        layout[view.groups_name] = ("groups", slots + list(PROVENANCE) + ["_reject_reason"])
    layout[view.view_name] = ("canonical", slots + list(PROVENANCE))
    layout[view.rejects_name] = ("rejects", list(REJECT_COLUMNS))
    checked_joins = _checked_joins(view)
    joins_view = _join_check_view(view) if checked_joins else None
    if joins_view:
        layout[joins_view] = ("join_check", ["_source_key", "_join", "_matches"])
    for name, (role, columns) in layout.items():
        vid = b.node(view_id(name), "view", name, role=role, derivation=did, class_name=view.target.name)
        b.contains(did, vid)
        for c in columns:
            sp_slot = c if c in slots else None
            b.contains(vid, b.node(viewcol_id(name, c), "viewcol", c, view=name, slot=sp_slot))

    def vc(name: str, c: str) -> str:
        return viewcol_id(name, c)

    staged_reason = vc(view.staged_name, "_reject_reason")
    value_reason = vc(value_view, "_reject_reason")

    # joins
    for j in view.joins:
        jid = b.node(_join_id(view, j.ref.alias), "join", f"{j.ref.alias} = {j.ref.table.name}",
                     alias=j.ref.alias, table=j.ref.table.name, cardinality=j.cardinality, derivation=did,
                     source=src, file=file, line=view.line, expression=_one_line(j.on.text))
        b.contains(did, jid)
        for use in column_uses(j.on):
            flow(col(use.column), jid, JOIN, _one_line(j.on.text), in_select=False)
        if j.cardinality == "to_many":  # row multiplicity feeds every aggregate
            for sp in view.slots:
                flow(jid, vc(value_view, sp.name), JOIN, _one_line(j.on.text), in_select=False)

    # slot values
    for sp in view.slots:
        out = vc(value_view, sp.name)
        if sp.expr is not None and sp.kind not in ("unmapped", "waived"):
            text = expression_text(sp)
            for use in column_uses(sp.expr, sp.value_map is not None):
                flow(col(use.column), out, use.subtype, text, line=sp.line)
        # joins a slot reads from decide its value
        for j in view.joins:
            if sp.expr is not None and any(c.alias == j.ref.alias for c in sp.expr.columns):
                flow(_join_id(view, j.ref.alias), out, JOIN, _one_line(j.on.text), in_select=False)
        for check in slot_checks(sp, view.grouped):
            cid = b.node(_check_id(view, f"{sp.name}.{check.kind}"), "check", f"{sp.name}: {check.kind}",
                         check=check.kind, derivation=did, slot=sp.name, source=src, file=file, line=sp.line,
                         expression=check.description)
            b.contains(did, cid)
            if check.casts:  # a CAST's failure is read off the CAST's own input
                for use in _uses_in(sp.expr, tuple(c.this for c in check.casts)):
                    flow(col(use), cid, FILTER, expression_text(sp), line=sp.line)
            else:
                flow(out, cid, FILTER, check.description, line=sp.line)
            flow(cid, value_reason, FILTER, check.description, line=sp.line)
        canonical = vc(view.view_name, sp.name)
        flow(out, canonical, IDENTITY, sp.name)
        flow(value_reason, canonical, FILTER, "_reject_reason IS NULL", in_select=False)
        if sp.kind not in ("unmapped", "waived"):
            flow(canonical, slot_id(view.target.name, sp.name), IDENTITY, sp.name)

    # source key
    key_text = ", ".join(_one_line(k.text) for k in view.source_key)
    for key in view.source_key:
        for use in column_uses(key):
            flow(col(use.column), vc(view.staged_name, "_source_key"), TRANSFORMATION, key_text)
            if joins_view:
                flow(col(use.column), vc(joins_view, "_source_key"), TRANSFORMATION, key_text)

    # joins declared to_one are checked: driving rows they match more than once are listed
    for j in checked_joins if joins_view else ():
        cid = b.node(_check_id(view, f"join.{j.ref.alias}"), "check", f"join {j.ref.alias} matches at most one row",
                     check="join_cardinality", derivation=did, source=src, file=file, line=view.line,
                     expression=_one_line(j.on.text))
        b.contains(did, cid)
        flow(_join_id(view, j.ref.alias), cid, JOIN, _one_line(j.on.text), in_select=False)
        for c in ("_source_key", "_join", "_matches"):
            flow(cid, vc(joins_view, c), FILTER, f"{j.ref.alias}: more than one match", in_select=False)

    # row rules: decided on every source row, before any grouping
    for i, rule in enumerate(view.rules, start=1):
        cid = b.node(_check_id(view, f"{rule.kind}{i}"), "check", f"{rule.kind}: {_one_line(rule.condition.text)}",
                     check=rule.kind, derivation=did, source=src, file=file, line=rule.line,
                     expression=_one_line(rule.condition.text), reason=rule.reason)
        b.contains(did, cid)
        for use in column_uses(rule.condition):
            flow(col(use.column), cid, FILTER, _one_line(rule.condition.text), line=rule.line)
        flow(cid, staged_reason, FILTER, rule.reason, line=rule.line)
        if view.grouped:  # only accepted rows are aggregated
            for c in slots + ["_source_key"]:
                flow(cid, vc(value_view, c), FILTER, rule.reason, in_select=False, line=rule.line)

    # grouping
    if view.grouped:
        text = ", ".join(_one_line(g.text) for g in view.group_by)
        gid = b.node(f"group:{view.source}.{view.name}", "group", f"group by {text}", derivation=did, source=src,
                     file=file, line=view.line, expression=text)
        b.contains(did, gid)
        empty = b.node(_check_id(view, "group_key"), "check", "grouping key is empty", check="group_key",
                       derivation=did, source=src, file=file, line=view.line, expression=text)
        b.contains(did, empty)
        for key in view.group_by:
            for use in column_uses(key):
                flow(col(use.column), gid, GROUP_BY, text, in_select=False)
                flow(col(use.column), empty, FILTER, f"{_one_line(key.text)} IS NULL")
                flow(col(use.column), vc(value_view, "_source_key"), TRANSFORMATION, text)
        flow(empty, staged_reason, FILTER, "grouping key is empty")
        for sp in view.slots:
            flow(gid, vc(value_view, sp.name), GROUP_BY, text, in_select=False)

    # provenance and rejects
    for p in PROVENANCE:
        flow(vc(value_view, p), vc(view.view_name, p), IDENTITY, p)
        flow(value_reason, vc(view.view_name, p), FILTER, "_reject_reason IS NULL", in_select=False)
    checked = [view.staged_name] + ([view.groups_name] if view.grouped else [])
    for name in checked:
        reason = vc(name, "_reject_reason")
        for c in REJECT_COLUMNS:
            if c in ("_derivation", "_target_class"):
                continue
            flow(vc(name, c), vc(view.rejects_name, c), IDENTITY, c)
        for c in REJECT_COLUMNS:
            flow(reason, vc(view.rejects_name, c), FILTER, "_reject_reason IS NOT NULL", in_select=False)


def _checked_joins(view: ViewPlan) -> list:
    """Joins declared to_one that are not reached through a to_many join (those the SQL checks)."""
    return [c.join for c in view.join_checks]


def _join_check_view(view: ViewPlan) -> str | None:
    """The name of the view listing to_one joins that matched several rows."""
    return view.joins_name


def _join_id(view: ViewPlan, alias: str) -> str:
    return f"join:{view.source}.{view.name}.{alias}"


def _check_id(view: ViewPlan, name: str) -> str:
    return f"check:{view.source}.{view.name}.{name}"


# ----------------------------------------------------------------------------- queries

def lineage_edges(g: nx.MultiDiGraph) -> Iterator[tuple[str, str, dict]]:
    for u, v, data in g.edges(data=True):
        if data.get("relation") == LINEAGE:
            yield u, v, data


_ADJACENCY: "weakref.WeakKeyDictionary[nx.MultiDiGraph, dict]" = weakref.WeakKeyDictionary()


def _adjacency(g: nx.MultiDiGraph, up: bool, select_only: bool) -> dict[str, list[str]]:
    """Lineage neighbours of every node, sorted, as plain lists (built once per graph and kind of walk;
    a graph is not changed once built, and a changed copy is a new graph)."""
    cache = _ADJACENCY.get(g)
    stamp = g.number_of_nodes()
    if cache is None or cache["stamp"] != stamp:
        cache = {"stamp": stamp}
        _ADJACENCY[g] = cache
    key = (up, select_only)
    if key not in cache:
        adj: dict[str, set[str]] = {}
        for u, v, data in g.edges(data=True):
            if data.get("relation") == LINEAGE and (not select_only or data.get("in_select")):
                a, b = (v, u) if up else (u, v)
                adj.setdefault(a, set()).add(b)
        cache[key] = {n: sorted(ns) for n, ns in adj.items()}
    return cache[key]


def walk(g: nx.MultiDiGraph, start: str, up: bool, select_only: bool = False) -> list[str]:
    """Every node upstream (``up``) or downstream of ``start`` along lineage edges, nearest first."""
    adj = _adjacency(g, up, select_only)
    seen = {start}
    order = []
    queue = deque([start])
    while queue:
        for other in adj.get(queue.popleft(), ()):
            if other not in seen:
                seen.add(other)
                order.append(other)
                queue.append(other)
    return order


def upstream(g: nx.MultiDiGraph, node: str, select_only: bool = False) -> list[str]:
    return walk(g, node, up=True, select_only=select_only)


def downstream(g: nx.MultiDiGraph, node: str) -> list[str]:
    return walk(g, node, up=False)


def source_columns(g: nx.MultiDiGraph, node: str, select_only: bool = False) -> set[str]:
    """The legacy columns a node is computed from."""
    return {n for n in upstream(g, node, select_only) if g.nodes[n]["kind"] == "column"}


def column_lineage(g: nx.MultiDiGraph, node: str) -> dict[str, list[tuple[str, str, str]]]:
    """Legacy column -> sorted (type, subtype, expression) of how it reaches ``node``.

    Along a path the INDIRECT edge nearest ``node`` decides the subtype (a column that feeds a
    checked slot filters the rows of every other slot); an all-DIRECT path takes the subtype
    of the edge leaving the column. The expression is always the mapping text that reads the
    column.
    """
    result: dict[str, set[tuple[str, str, str]]] = {}
    start = (node, None)
    seen = {start}
    queue = deque([start])
    while queue:
        current, indirect = queue.popleft()
        for pred, edges in g.pred[current].items():
            for data in edges.values():
                if data.get("relation") != LINEAGE:
                    continue
                subtype = indirect or (data["subtype"] if data["type"] == INDIRECT else None)
                if g.nodes[pred]["kind"] == "column":
                    sub = subtype or data["subtype"]
                    result.setdefault(pred, set()).add((SUBTYPES[sub], sub, data["expression"]))
                    continue
                state = (pred, subtype)
                if state not in seen:
                    seen.add(state)
                    queue.append(state)
    return {c: sorted(v) for c, v in sorted(result.items())}


# ----------------------------------------------------------------------------- impact

@dataclass(frozen=True)
class Impact:
    node: str
    direction: str                    # upstream | downstream | impact
    nodes: tuple[str, ...]

    def of_kind(self, g: nx.MultiDiGraph, kind: str) -> list[str]:
        return [n for n in self.nodes if g.nodes[n]["kind"] == kind]


def resolve(g: nx.MultiDiGraph, name: str) -> str:
    """A node id from what a person types: a full id, or e.g. 'chinook.Customer.Phone', 'Customer.full_name'."""
    if name in g:
        return name
    tries = [f"{kind}:{name}" for kind in ("column", "slot", "table", "system", "class", "derivation", "view",
                                           "viewcol", "check", "join", "mapping")]
    found = [t for t in tries if t in g]
    if found:
        return found[0]
    folded = name.lower()
    matches = sorted(n for n in g if n.lower() == folded or n.split(":", 1)[1].lower() == folded)
    if len(matches) == 1:
        return matches[0]
    raise KeyError(name)


def suggestions(g: nx.MultiDiGraph, name: str, n: int = 3) -> list[str]:
    import difflib

    bare = {node.split(":", 1)[1]: node for node in g}
    return [bare[m] for m in difflib.get_close_matches(name, list(bare), n=n, cutoff=0.6)]


def members(g: nx.MultiDiGraph, node: str) -> list[str]:
    """A container's column-level members (a table's columns, a class's slots, a view's columns ...)."""
    out = []
    for child, edges in g.succ[node].items():   # insertion order: a view's columns as in its SELECT
        if any(d.get("relation") == CONTAINS for d in edges.values()):
            out.append(child)
    return out


def flow_nodes(g: nx.MultiDiGraph, node: str) -> list[str]:
    """The nodes data flows through for ``node``: itself, or its members if it is a container."""
    kind = g.nodes[node]["kind"]
    if kind in ("system",):
        return [c for t in members(g, node) if g.nodes[t]["kind"] == "table" for c in members(g, t)]
    if kind in ("table", "class", "view"):
        return [m for m in members(g, node) if g.nodes[m]["kind"] in ("column", "slot", "viewcol")]
    if kind == "derivation":
        return [c for v in members(g, node) if g.nodes[v]["kind"] == "view" for c in members(g, v)]
    return [node]


def traverse(g: nx.MultiDiGraph, node: str, direction: str) -> Impact:
    starts = flow_nodes(g, node)
    seen: dict[str, None] = {}
    for s in starts:
        for n in walk(g, s, up=direction == "upstream"):
            if n not in starts:
                seen[n] = None
    return Impact(node, direction, tuple(seen))


def impact_report(g: nx.MultiDiGraph, node: str, translators: dict[str, str] | None = None) -> dict:
    """What is affected if ``node`` (typically a legacy column) changes or is dropped.

    ``translators`` maps a derivation id to the file of its generated translator, when a
    translator generator is registered.
    """
    imp = traverse(g, node, "downstream")
    affected = set(imp.nodes)
    starts = set(flow_nodes(g, node))
    # derivations whose mapping reads the node directly: their expressions must change
    reads = {}
    for s in starts:
        for _u, _v, data in g.out_edges(s, data=True):
            if data.get("relation") == LINEAGE and data.get("derivation"):
                reads.setdefault(data["derivation"], set()).add((data["file"], data["line"], data["expression"]))
    derivations = sorted({d for d in (_derivation_of(g, n) for n in affected) if d})
    views = sorted({g.nodes[n]["view"] for n in affected if g.nodes[n]["kind"] == "viewcol"})
    slots = sorted(n for n in affected if g.nodes[n]["kind"] == "slot")
    checks = sorted(n for n in affected if g.nodes[n]["kind"] == "check")
    report = {
        "node": node,
        "kind": g.nodes[node]["kind"],
        "mapping_reads": [
            {"derivation": d, "file": f, "line": line, "expression": e}
            for d in sorted(reads) for f, line, e in sorted(reads[d])
        ],
        "canonical_slots": [g.nodes[s]["label"] for s in slots],
        "classes": sorted({g.nodes[s]["class_name"] for s in slots}),
        "views": views,
        "derivations": [d.split(":", 1)[1] for d in derivations],
        "checks": [{"check": c.split(":", 1)[1], "kind": g.nodes[c]["check"], "file": g.nodes[c].get("file", ""),
                    "line": g.nodes[c].get("line", 0), "rule": g.nodes[c].get("expression", "")} for c in checks],
        "translators": [{"derivation": d.split(":", 1)[1], "file": translators[d]}
                        for d in derivations if translators and d in translators],
    }
    return report


def _derivation_of(g: nx.MultiDiGraph, node: str) -> str | None:
    data = g.nodes[node]
    if data["kind"] == "derivation":
        return node
    if data["kind"] == "viewcol":
        data = g.nodes[view_id(data["view"])]
    return data.get("derivation") or None


def kinds_count(g: nx.MultiDiGraph) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _n, kind in g.nodes(data="kind"):
        counts[kind] = counts.get(kind, 0) + 1
    return {k: counts[k] for k in KINDS if k in counts}


def sorted_nodes(g: nx.MultiDiGraph, nodes: Iterable[str]) -> list[str]:
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(nodes, key=lambda n: (order.get(g.nodes[n]["kind"], 99), n))


# ----------------------------------------------------------------------------- summary

@dataclass(frozen=True)
class Link:
    """One step of the estate-level picture: a legacy column feeding a derivation's slot (``slot`` set)
    or deciding the derivation's rows (``slot`` empty: filters, joins, groupings, checks)."""

    column: str        # column node id
    derivation: str    # derivation node id
    slot: str          # slot name, or '' for row-level
    type: str
    subtype: str
    expression: str


def derivation_views(g: nx.MultiDiGraph, derivation: str) -> dict[str, str]:
    """role -> view name of a derivation's views."""
    return {g.nodes[v]["role"]: g.nodes[v]["label"] for v in members(g, derivation) if g.nodes[v]["kind"] == "view"}


def summary_links(g: nx.MultiDiGraph) -> list[Link]:
    """Column -> derivation slot links (value lineage) and column -> derivation links (row lineage)."""
    links: list[Link] = []
    for did, data in g.nodes(data=True):
        if data["kind"] != "derivation":
            continue
        views = derivation_views(g, did)
        value_view = views.get("groups") or views["staged"]
        slots = [g.nodes[c]["slot"] for c in members(g, view_id(views["canonical"])) if g.nodes[c].get("slot")]
        for slot in slots:
            for col, uses in column_lineage(g, viewcol_id(value_view, slot)).items():
                for t, sub, text in uses:
                    if sub not in (FILTER, GROUP_BY):   # row-level effects are listed once, below
                        links.append(Link(col, did, slot, t, sub, text))
        row_level: dict[tuple[str, str, str], None] = {}
        for target in [viewcol_id(views["staged"], "_reject_reason"), viewcol_id(value_view, "_reject_reason")]:
            for col, uses in column_lineage(g, target).items():
                for _t, _sub, text in uses:
                    row_level[(col, FILTER, text)] = None
        for node in members(g, did):   # join keys reach the slots that read the joined table, above
            if g.nodes[node]["kind"] == "group":
                for col, edges in g.pred[node].items():
                    if g.nodes[col]["kind"] == "column":
                        for e in edges.values():
                            row_level[(col, GROUP_BY, e["expression"])] = None
        for col, sub, text in row_level:
            links.append(Link(col, did, "", INDIRECT, sub, text))
    return sorted(set(links), key=lambda l: (l.derivation, l.slot, l.column, l.subtype, l.expression))
