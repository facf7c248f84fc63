"""The plan: the validated, bound intermediate representation every generator reads.

``build_plan`` checks each mapping against its source schema and the dictionary and
binds every expression. Generators (SQL, Python, lineage, docs) read only these
dataclasses, never YAML or LinkML.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from toolkit.core import names
from toolkit.load.dictionary import ClassDef, Dictionary, Slot, load_dictionary, snake_case
from toolkit.core.errors import DictError, Problem, Problems
from toolkit.expressions import Expr, ExpressionError, Scope, compile_expression
from toolkit.expressions.language import ColumnRef
from toolkit.plan.identity import bind_references, check_identities
from toolkit.plan.integrity import check_join_order, check_references, check_view_names
from toolkit.load.survivorship import check_sources
from toolkit.load.mapping import ClassDerivationSpec, MappingSpec, SlotDerivationSpec, Text, load_mapping
from toolkit.core.names import fold_case
from toolkit.core.paths import display_path
from toolkit.plan.policies import load_policies
from toolkit.load.source_schema import SourceSchema, Table, load_source_schema
from toolkit.core.types import SQL_TYPES, Type, assignable
from toolkit.load.yamlsource import folder_files

PROVENANCE = ("_source_system", "_source_table", "_source_key")
REJECT_COLUMNS = ("_source_system", "_source_table", "_source_key", "_derivation", "_target_class", "_reject_reason")


@dataclass(frozen=True)
class TableRef:
    alias: str
    table: Table
    database_schema: str


@dataclass(frozen=True)
class JoinPlan:
    ref: TableRef
    on: Expr
    cardinality: str
    line: int = 0      # of the join in the mapping


@dataclass(frozen=True)
class RowRule:
    """A row-level rule: when ``condition`` holds, the row is rejected with ``reason``."""

    kind: str          # 'filter' (row kept only when true) or 'reject_when'
    condition: Expr
    reason: str
    line: int


@dataclass(frozen=True)
class ValueMap:
    pairs: tuple[tuple[object, str], ...]   # (source code typed like the source value, canonical value)
    unmapped: str                           # reject | default | null | keep
    default: str | None = None


@dataclass(frozen=True)
class SlotPlan:
    slot: Slot
    kind: str                  # copy | expr | constant | identifier | unmapped | waived
    expr: Expr | None = None   # the value before any code map
    value_map: ValueMap | None = None
    note: str = ""             # waiver reason or derivation description
    line: int = 0

    @property
    def name(self) -> str:
        return self.slot.name

    @property
    def permissible_by_construction(self) -> bool:
        """The value can only be one of its enum's permissible values (a validated constant, or a code
        map that never keeps a code): no row needs the permissible-value check."""
        enum = self.slot.enum
        if enum is None:
            return True
        if self.kind == "constant":
            node = self.expr.ast if self.expr is not None else None
            while isinstance(node, (exp.Cast, exp.Paren)):
                node = node.this
            return isinstance(node, exp.Literal) and node.is_string and node.this in enum.texts
        vm = self.value_map
        if vm is None or vm.unmapped == "keep":
            return False
        targets = [t for _c, t in vm.pairs] + ([vm.default] if vm.unmapped == "default" else [])
        return all(t in enum.texts for t in targets)


CHECK_KINDS = ("cast", "value_mappings", "required", "enum", "pattern", "minimum", "maximum")


@dataclass(frozen=True)
class SlotCheck:
    """One check a derivation applies to one slot's value: the single source every emitter renders (the SQL
    view's reject reason, the translator's ``Reject`` and its rule, the lineage check node, the docs, the
    LinkML-Map export's comments). ``kind`` is the rule name a reject carries."""

    kind: str                             # one of CHECK_KINDS
    slot: SlotPlan
    casts: tuple[exp.TryCast, ...] = ()   # cast: the strict CASTs of the slot's expression that can fail
    whole: bool = False                   # cast: the expression is that one CAST (its failure is a NULL value)

    @property
    def name(self) -> str:
        return self.slot.name

    @property
    def line(self) -> int:
        return self.slot.line

    @property
    def label(self) -> str:
        return f"slot {self.slot.name}"

    @property
    def target(self) -> str:
        """The cast's target type as the reason names it (the DuckDB spelling, the same in every dialect)."""
        return self.casts[0].to.sql(dialect="duckdb") if self.casts else ""

    @property
    def reported(self) -> str | None:
        """The value a reject of this check reports: 'raw' (the code before mapping), 'value' or none."""
        return {"value_mappings": "raw", "enum": "value", "pattern": "value", "minimum": "value",
                "maximum": "value"}.get(self.kind)

    @property
    def reason(self) -> tuple[str, str]:
        """The reason's text before and after the offending value (for required: all of it, no value; for a
        cast inside a larger expression: the prefix of the failing CAST's own words)."""
        slot = self.slot.slot
        if self.kind == "cast":
            return (f"{self.label}: value '", f"' cannot be converted to {self.target}") if self.whole \
                else (f"{self.label}: ", "")
        if self.kind == "value_mappings":
            return f"{self.label}: code '", f"' is not in value_mappings (line {self.slot.line})"
        if self.kind == "required":
            return f"{self.label} is required but empty", ""
        if self.kind == "enum":
            return f"{self.label}: '", f"' is not a permissible value of {slot.enum.name}"
        if self.kind == "pattern":
            return f"{self.label}: '", f"' does not match pattern {slot.pattern}"
        bound = self.bound
        return f"{self.label}: ", f" is {'below the minimum' if self.kind == 'minimum' else 'above the maximum'} {bound}"

    @property
    def bound(self):
        return self.slot.slot.minimum_value if self.kind == "minimum" else \
            self.slot.slot.maximum_value if self.kind == "maximum" else None

    @property
    def description(self) -> str:
        """The check in words, for lineage, docs and exports."""
        slot = self.slot.slot
        return {
            "cast": lambda: f"{slot.name}: a value CAST cannot convert to "
                            f"{', '.join(sorted({c.to.sql() for c in self.casts}))} is rejected",
            "value_mappings": lambda: f"{slot.name}: a code not in value_mappings is rejected",
            "required": lambda: f"{slot.name} is required: an empty value is rejected",
            "enum": lambda: f"{slot.name} must be a permissible value of {slot.enum.name}",
            "pattern": lambda: f"{slot.name} must match {slot.pattern}",
            "minimum": lambda: f"{slot.name} must be >= {self.bound}",
            "maximum": lambda: f"{slot.name} must be <= {self.bound}",
        }[self.kind]()


def whole_cast(sp: SlotPlan) -> exp.TryCast | None:
    """The strict CAST that is the slot's whole expression (no code map): its failure shows in the value itself,
    so the row check compares the value with the CAST's input instead of converting the input twice. A text
    slot has none: a cast to text cannot fail, and its value is NULL for blank text."""
    if sp.expr is None or sp.value_map is not None or len(sp.expr.strict_casts) != 1 or sp.slot.type is Type.STRING:
        return None
    node = sp.expr.ast
    while isinstance(node, exp.Paren):
        node = node.this
    return node if isinstance(node, exp.TryCast) and node == sp.expr.strict_casts[0] else None


def slot_checks(sp: SlotPlan, grouped: bool = False) -> tuple[SlotCheck, ...]:
    """The checks a derivation's staged (or groups) view applies to one slot, in the order they decide the
    reason (the first failing one is the row's reason)."""
    slot = sp.slot
    checks = []
    casts = tuple(sp.expr.strict_casts) if sp.expr is not None and not grouped else ()
    if casts:
        checks.append(SlotCheck("cast", sp, casts, whole_cast(sp) is not None))
    if sp.value_map is not None and sp.value_map.unmapped == "reject":
        checks.append(SlotCheck("value_mappings", sp))
    if slot.required and sp.kind != "waived":
        checks.append(SlotCheck("required", sp))
    if not sp.permissible_by_construction:
        checks.append(SlotCheck("enum", sp))
    if slot.pattern:
        checks.append(SlotCheck("pattern", sp))
    for kind in ("minimum", "maximum"):
        if getattr(slot, f"{kind}_value", None) is not None:
            checks.append(SlotCheck(kind, sp))
    return tuple(checks)


@dataclass(frozen=True)
class JoinCheck:
    """A join declared to_one that the derivation checks: a driving row it matches more than once is reported
    (the SQL ``__joins`` view, the translator's 'join' reject, the lineage check node)."""

    index: int                   # the join's position in the derivation's joins
    join: JoinPlan
    needed: tuple[int, ...]      # earlier joins its condition reads, transitively, in declaration order

    @property
    def alias(self) -> str:
        return self.join.ref.alias

    @property
    def description(self) -> str:
        return f"join {self.alias} is declared to_one: a row of the driving table may match one {self.join.ref.table.name} row at most"


def joins_needed(joins: tuple[JoinPlan, ...], index: int) -> tuple[int, ...]:
    """Earlier joins whose aliases join ``index``'s condition reads, transitively, in declaration order."""
    position = {j.ref.alias: k for k, j in enumerate(joins)}
    needed: set[int] = set()
    todo = [index]
    while todo:
        k = todo.pop()
        for ref in joins[k].on.columns:
            other = position.get(ref.alias)
            if other is not None and other != index and other not in needed:
                needed.add(other)
                todo.append(other)
    return tuple(sorted(needed))


@dataclass(frozen=True)
class ReferenceCheck:
    """A slot referencing a class, checked against the canonical rows of that class in the same source."""

    slot: str
    target_class: str
    id_slot: str                          # the referenced class's identifier
    targets: tuple[tuple[str, str], ...]  # per derivation of it: (view of all its rows or groups, canonical view)
    reject: bool                          # on_orphan: reject (else the orphan is only reported)
    line: int
    id_type: Type = Type.STRING           # the identifier's canonical type (exact-text engines compare text by key)


@dataclass(frozen=True)
class ViewPlan:
    source: str
    name: str                      # derivation name
    target: ClassDef
    base: TableRef
    joins: tuple[JoinPlan, ...]
    rules: tuple[RowRule, ...]
    slots: tuple[SlotPlan, ...]
    source_key: tuple[Expr, ...]
    group_by: tuple[Expr, ...]
    file: str
    line: int
    description: str = ""
    references: tuple[ReferenceCheck, ...] = ()   # class references checked for orphans
    on_orphan: tuple[tuple[str, str, int], ...] = ()  # (slot, action, line) as the mapping gives them

    @property
    def view_name(self) -> str:
        return names.derivation_view(self.source, snake_case(self.name))

    @property
    def orphans_name(self) -> str:
        return names.orphans_view(self.view_name)

    @property
    def checked_name(self) -> str:
        """The view holding every row (or group) with its values and reject reason."""
        return self.groups_name if self.grouped else self.staged_name

    @property
    def rejects_orphans(self) -> bool:
        return any(r.reject for r in self.references)

    @property
    def staged_name(self) -> str:
        return names.staged_view(self.view_name)

    @property
    def groups_name(self) -> str:
        return names.groups_view(self.view_name)

    @property
    def rejects_name(self) -> str:
        return names.rejects_view(self.view_name)

    @property
    def grouped(self) -> bool:
        return bool(self.group_by)

    def tables(self) -> tuple[TableRef, ...]:
        return (self.base,) + tuple(j.ref for j in self.joins)

    @property
    def join_checks(self) -> tuple[JoinCheck, ...]:
        """The joins declared to_one whose multiple matches are checked: those not reached through a to_many
        join (several matches are expected there)."""
        out = []
        for i, join in enumerate(self.joins):
            needed = joins_needed(self.joins, i)
            if join.cardinality == "to_one" and all(self.joins[k].cardinality == "to_one" for k in needed):
                out.append(JoinCheck(i, join, needed))
        return tuple(out)

    @property
    def joins_name(self) -> str:
        """The view of driving rows a to_one join matched more than once."""
        return names.joins_view(self.view_name)

    @property
    def slot_checks(self) -> tuple[SlotCheck, ...]:
        """Every slot check of this derivation, slot by slot in the mapping's order: the facts the SQL view's
        reason CASE, the translator, lineage and docs all render."""
        return tuple(c for sp in self.slots for c in slot_checks(sp, self.grouped))


@dataclass(frozen=True)
class SourcePlan:
    name: str
    title: str
    description: str
    steward: str
    database_schema: str
    mapping_file: str
    schema: SourceSchema
    views: tuple[ViewPlan, ...]


@dataclass(frozen=True)
class IdentityCheck:
    """Identifiers one class's canonical rows share across derivations and sources, listed by ``view``."""

    key: Slot
    views: tuple[ViewPlan, ...]
    view: str

    @property
    def description(self) -> str:
        return f"{self.key.name} identifies one row: an identifier several canonical rows carry is listed in {self.view}"


@dataclass(frozen=True)
class IntegratedPlan:
    target: ClassDef
    views: tuple[ViewPlan, ...]

    @property
    def view_name(self) -> str:
        return self.target.table_name

    @property
    def identity_check(self) -> IdentityCheck | None:
        """The class's identifier must be unique across every derivation and source (None: no identifier)."""
        key = self.target.identifier
        return IdentityCheck(key, self.views, self.duplicate_ids_name) if key is not None else None

    @property
    def duplicate_ids_name(self) -> str:
        """The view of identifiers several canonical rows share (created when the class has an identifier)."""
        return names.duplicate_ids_view(self.view_name)


@dataclass(frozen=True)
class GoldenPlan:
    """A matched class's golden records: one row per entity of ``<class>__clusters`` (written by `dict match`),
    each slot's value from the record its survivorship rule picks among the entity's integrated rows."""

    integrated: IntegratedPlan

    @property
    def target(self) -> ClassDef:
        return self.integrated.target

    @property
    def survive(self):
        return self.integrated.target.survive

    @property
    def view_name(self) -> str:
        return names.golden_view(self.integrated.view_name)

    @property
    def clusters_name(self) -> str:
        return names.match_table(self.integrated.view_name, "clusters")

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources feeding the class, once each, by name."""
        return tuple(sorted({v.source for v in self.integrated.views}))


@dataclass(frozen=True)
class Plan:
    dictionary: Dictionary
    sources: tuple[SourcePlan, ...]
    integrated: tuple[IntegratedPlan, ...]
    policies: tuple = ()   # toolkit.plan.policies.Policy, over the integrated views
    root: Path | None = field(default=None, compare=False)   # the project it was read from (its run record)

    def source(self, name: str) -> SourcePlan:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def views(self) -> tuple[ViewPlan, ...]:
        return tuple(v for s in self.sources for v in s.views)

    @property
    def golden(self) -> tuple[GoldenPlan, ...]:
        """The golden-record views: one per matched class (it has survivorship) that some source maps."""
        return tuple(GoldenPlan(i) for i in self.integrated if i.target.survive is not None)

    def restrict(self, sources: list[str] | tuple[str, ...]) -> "Plan":
        """The plan for ``sources`` only: their views, and integrated views spanning exactly them."""
        chosen = tuple(s for s in self.sources if s.name in sources)
        integrated = tuple(IntegratedPlan(i.target, tuple(v for v in i.views if v.source in sources))
                           for i in self.integrated if any(v.source in sources for v in i.views))
        return Plan(self.dictionary, chosen, integrated, self.policies, self.root)


# ---------------------------------------------------------------------------- project

@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def dictionary_dir(self) -> Path:
        return self.root / "dictionary"

    @property
    def mappings_dir(self) -> Path:
        return self.root / "mappings"

    @property
    def generated_dir(self) -> Path:
        return self.root / "generated"

    def display(self, path: Path) -> str:
        return display_path(path, self.root)

    def mapping_files(self) -> list[Path]:
        return [p for p in folder_files(self.mappings_dir, "*.yaml", self.display(self.mappings_dir))
                if not p.name.endswith((".source.yaml", ".suggested.yaml"))]  # a draft counts once renamed


def load_plan(root: Path) -> Plan:
    """Read the dictionary and every mapping under ``root`` and build the plan."""
    project = Project(root)
    if not project.dictionary_dir.is_dir():
        raise DictError(Problem(str(project.dictionary_dir), 1, f"no dictionary/ folder in {root.resolve()}",
                                "run dict in a project (a folder holding dictionary/ and mappings/, or a subfolder "
                                "of one) or pass --project"))
    dictionary = load_dictionary(project.dictionary_dir, root)
    problems = Problems()
    mappings: list[tuple[MappingSpec, SourceSchema]] = []
    for path in project.mapping_files():
        try:
            spec = load_mapping(path, project.display(path), root)
            schema_path = spec.source_schema_path(root)
        except DictError as err:
            problems.items.extend(err.problems)
            continue
        if not schema_path.exists():
            problems.add(spec.file, spec.source_schema_line, f"source schema '{project.display(schema_path)}' not found",
                         f"create it with: dict import-source {spec.source} --from <ddl or database>")
            continue
        try:
            schema = load_source_schema(schema_path, project.display(schema_path), root)
        except DictError as err:
            problems.items.extend(err.problems)
            continue
        mappings.append((spec, schema))
    problems.raise_if_any()
    plan = build_plan(dictionary, mappings)
    return dataclasses.replace(plan, policies=load_policies(root, dictionary), root=root)


def build_plan(dictionary: Dictionary, mappings: list[tuple[MappingSpec, SourceSchema]]) -> Plan:
    problems = Problems()
    sources: list[SourcePlan] = []
    seen_sources: dict[str, str] = {}
    for spec, schema in mappings:
        if spec.source in seen_sources:
            problems.add(spec.file, 1, f"source '{spec.source}' is already mapped in {seen_sources[spec.source]}",
                         "one mapping file per source system")
            continue
        seen_sources[spec.source] = spec.file
        views = []
        view_names: dict[str, int] = {}
        for cd in spec.class_derivations:
            view = _bind_derivation(dictionary, spec, schema, cd, problems)
            if view is None:
                continue
            if view.view_name in view_names:
                problems.add(spec.file, cd.line, f"derivation '{cd.name}' gives the same view name as the one on line {view_names[view.view_name]}")
                continue
            view_names[view.view_name] = cd.line
            views.append(view)
        check_references(spec.source, views, problems)
        views = bind_references(views, problems)
        sources.append(SourcePlan(spec.source, spec.title, spec.description, spec.steward,
                                  spec.database_schema or spec.source, spec.file, schema, tuple(views)))
    problems.raise_if_any()
    sources.sort(key=lambda s: s.name)
    integrated = []
    for cls in dictionary.classes.values():
        feeding = tuple(v for s in sources for v in s.views if v.target.name == cls.name)
        if feeding:
            integrated.append(IntegratedPlan(cls, feeding))
    check_view_names(sources, integrated, problems)
    check_identities(sources, problems)
    for i in integrated:
        if i.target.survive is not None:
            check_sources(i.target.survive, i.target.name, sorted({v.source for v in i.views}), problems)
    problems.raise_if_any()
    return Plan(dictionary, tuple(sources), tuple(integrated))


# ---------------------------------------------------------------------------- binding

def _bind_derivation(dictionary: Dictionary, spec: MappingSpec, schema: SourceSchema, cd: ClassDerivationSpec,
                     problems: Problems) -> ViewPlan | None:
    file = spec.file
    target = dictionary.classes.get(cd.target_class)
    if target is None:
        problems.add(file, cd.line, f"derivation '{cd.name}' targets unknown class '{cd.target_class}'",
                     _did_you_mean(cd.target_class, dictionary.classes) or "set target_class to a dictionary class")
        return None
    base_table = schema.table(cd.populated_from.text)
    if base_table is None:
        problems.add(file, cd.populated_from.line, f"unknown source table '{cd.populated_from.text}'",
                     _did_you_mean(cd.populated_from.text, schema.tables) or f"tables of {schema.file}: {', '.join(schema.tables)}")
        return None
    db_schema = spec.database_schema or spec.source
    base = TableRef(base_table.name, base_table, db_schema)
    tables = {base.alias: base_table}
    join_refs = []
    for j in cd.joins:
        table = schema.table(j.table)
        if table is None:
            problems.add(file, j.line, f"join '{j.alias}': unknown source table '{j.table}'",
                         _did_you_mean(j.table, schema.tables))
            continue
        if fold_case(j.alias) in {fold_case(a) for a in tables}:
            problems.add(file, j.line, f"join alias '{j.alias}' is already used in this derivation", "choose another alias")
            continue
        if j.cardinality == "to_many" and not cd.group_by:
            problems.add(file, j.line, f"join '{j.alias}' is to_many, which would multiply rows",
                         "add group_by to aggregate, or declare cardinality: to_one")
        tables[j.alias] = table
        join_refs.append((j, TableRef(j.alias, table, db_schema)))
    scope = Scope(spec.source, base.alias, tables, frozenset(dictionary.classes))

    def compile_at(text: Text, what: str, aggregates: bool = False) -> Expr | None:
        scope.allow_aggregates = aggregates
        try:
            return compile_expression(text.text, scope)
        except ExpressionError as err:
            shown = text.text if len(text.text) <= 200 else text.text[:80] + " …"
            problems.add(file, text.line, f"{what} `{shown}`: {err}")
            return None

    joins = []
    bound_joins = []
    for j, ref in join_refs:
        on = compile_at(j.on, f"join '{j.alias}' condition") if j.on else None
        if on is not None and on.type not in (Type.BOOLEAN, Type.NULL):
            problems.add(file, j.on.line, f"join '{j.alias}' condition `{j.on.text}` is {on.type.value}, not a condition")
        if on is not None:
            joins.append(JoinPlan(ref, on, j.cardinality, j.line))
            bound_joins.append((j, on))
    check_join_order(base.alias, bound_joins, file, problems)

    rules = []
    if cd.filter:
        f = compile_at(cd.filter, "filter")
        if f is not None and _is_condition(f, file, cd.filter, problems):
            rules.append(RowRule("filter", f, f"excluded by filter: {cd.filter.text}", cd.filter.line))
    for r in cd.reject_when:
        c = compile_at(r.when, "reject_when")
        if c is not None and _is_condition(c, file, r.when, problems):
            rules.append(RowRule("reject_when", c, r.reason, r.line))

    group_by = tuple(e for e in (compile_at(g, "group_by") for g in cd.group_by) if e is not None)
    if cd.source_key:
        source_key = tuple(e for e in (compile_at(k, "source_key") for k in cd.source_key) if e is not None)
    elif base_table.primary_key:
        source_key = tuple(compile_at(Text(_quote(c), cd.populated_from.line), "primary key") for c in base_table.primary_key)
    else:
        problems.add(file, cd.populated_from.line, f"table '{base_table.name}' has no primary key",
                     "list the columns identifying a row under source_key")
        source_key = ()

    slots = _bind_slots(target, cd, file, compile_at, group_by, source_key, spec.source, problems)
    if cd.group_by:
        _check_grouping(slots, group_by, file, problems)
    on_orphan = tuple((sd.name, sd.on_orphan.text, sd.on_orphan.line) for sd in cd.slot_derivations if sd.on_orphan)
    return ViewPlan(spec.source, cd.name, target, base, tuple(joins), tuple(rules), slots, source_key, group_by,
                    file, cd.line, cd.description, on_orphan=on_orphan)


def _bind_slots(target: ClassDef, cd: ClassDerivationSpec, file: str, compile_at, group_by, source_key, source,
                problems: Problems) -> tuple[SlotPlan, ...]:
    by_name: dict[str, SlotDerivationSpec] = {}
    for sd in cd.slot_derivations:
        if target.slot(sd.name) is None:
            problems.add(file, sd.line, f"class '{target.name}' has no slot '{sd.name}'",
                         _slot_suggestion(sd.name, target.slots) or f"slots: {', '.join(s.name for s in target.slots)}")
            continue
        by_name[sd.name] = sd
    waived = {}
    for slot_name, reason, line in cd.waived_slots:
        slot = target.slot(slot_name)
        if slot is None:
            problems.add(file, line, f"waived slot '{slot_name}' is not a slot of '{target.name}'")
        elif not slot.required:
            problems.add(file, line, f"slot '{slot_name}' is optional: there is nothing to waive", "remove it from waived_slots")
        elif slot_name in by_name:
            problems.add(file, line, f"slot '{slot_name}' is both derived and waived", "remove one")
        elif not reason.strip():
            problems.add(file, line, f"waiver of '{slot_name}' needs a reason")
        waived[slot_name] = reason

    plans = []
    grouped = bool(cd.group_by)
    for slot in target.slots:
        sd = by_name.get(slot.name)
        if sd is None:
            if slot.identifier:
                keys = group_by if grouped else source_key
                plans.append(SlotPlan(slot, "identifier", _identifier_expr(source, target.name, keys), line=cd.line))
            elif slot.name in waived:
                plans.append(SlotPlan(slot, "waived", note=waived[slot.name], line=cd.line))
            else:
                if slot.required:
                    problems.add(file, cd.line, f"required slot '{slot.name}' of '{target.name}' is not mapped in derivation '{cd.name}'",
                                 "add it under slot_derivations or list it under waived_slots with a reason")
                plans.append(SlotPlan(slot, "unmapped", line=cd.line))
            continue
        given = [k for k in ("populated_from", "expr", "value") if getattr(sd, k) is not None]
        if len(given) != 1:
            problems.add(file, sd.line, f"slot '{sd.name}' needs exactly one of populated_from, expr or value"
                         + (f" (has {', '.join(given)})" if given else ""))
            continue
        if sd.value is not None:
            if slot.type is Type.STRING and _blank(sd.value.text):
                problems.add(file, sd.value.line, f"slot '{sd.name}': value {sd.value.text!r} is blank, and blank text is "
                             "NULL (never a canonical value)", "give a value, or leave the slot unmapped")
            expr = _constant(sd.value.text, slot)
            kind = "constant"
        else:
            text = sd.expr or Text(_quote(sd.populated_from.text), sd.populated_from.line)
            expr = compile_at(text, f"slot '{sd.name}'", aggregates=grouped)
            kind = "expr" if sd.expr else "copy"
            if expr is None:
                continue
        value_map = None
        if sd.value_mappings:
            value_map = _value_map(sd, slot, expr, file, problems)
        else:
            if sd.unmapped != "reject" or sd.default is not None:
                problems.add(file, sd.line, f"slot '{sd.name}': 'unmapped'/'default' only apply with value_mappings")
            if not assignable(expr.type, slot.type):
                problems.add(file, sd.line,
                             f"slot '{sd.name}' is {slot.type.value} but `{expr.text}` is {expr.type.value}",
                             f"convert it explicitly, e.g. CAST(... AS {SQL_TYPES[slot.type].sql()})")
            _check_literal_targets(expr, slot, file, sd.line, problems)
        plans.append(SlotPlan(slot, kind, expr, value_map, sd.description, sd.line))
    return tuple(plans)


def _value_map(sd: SlotDerivationSpec, slot: Slot, expr: Expr, file: str, problems: Problems) -> ValueMap | None:
    pairs = []
    for vm in sd.value_mappings:
        if slot.type is Type.STRING and _blank(vm.target_value):
            problems.add(file, vm.line, f"slot '{sd.name}': code '{vm.source_value}' maps to blank text, which is NULL",
                         "leave the code out and set unmapped: \"null\" to leave the slot empty for it")
        if slot.enum and vm.target_value not in slot.enum.texts:
            problems.add(file, vm.line, f"slot '{sd.name}': '{vm.target_value}' is not a permissible value of {slot.enum.name}",
                         f"use one of: {', '.join(slot.enum.texts)}")
        try:
            code = _typed_code(vm.source_value, expr.type)
        except ValueError:
            problems.add(file, vm.line, f"slot '{sd.name}': code '{vm.source_value}' is not a {expr.type.value} like the source value `{expr.text}`")
            continue
        pairs.append((code, vm.target_value))
    if sd.unmapped == "default":
        if sd.default is None:
            problems.add(file, sd.line, f"slot '{sd.name}': unmapped: default needs a 'default' value")
            return None
        if slot.type is Type.STRING and _blank(sd.default.text):
            problems.add(file, sd.default.line, f"slot '{sd.name}': default {sd.default.text!r} is blank, which is NULL",
                         "use unmapped: \"null\" to leave the slot empty")
        if slot.enum and sd.default.text not in slot.enum.texts:
            problems.add(file, sd.default.line, f"slot '{sd.name}': default '{sd.default.text}' is not a permissible value of {slot.enum.name}")
    elif sd.default is not None:
        problems.add(file, sd.default.line, f"slot '{sd.name}': 'default' is only used with unmapped: default")
    if sd.unmapped == "keep" and not assignable(expr.type, slot.type):
        problems.add(file, sd.line, f"slot '{sd.name}': unmapped: keep passes {expr.type.value} codes into a {slot.type.value} slot")
    return ValueMap(tuple(pairs), sd.unmapped, sd.default.text if sd.default else None)


def _blank(text: str) -> bool:
    """Empty or only spaces: text the views make NULL (see generators.sql.blank_is_null)."""
    return not text.strip(" ")


def _typed_code(code: str, t: Type) -> object:
    if t is Type.INTEGER:
        return int(code)
    if t in (Type.DECIMAL, Type.FLOAT):
        return float(code)
    if t is Type.BOOLEAN:
        if code.lower() not in ("true", "false"):
            raise ValueError(code)
        return code.lower() == "true"
    return code


def _constant(text: str, slot: Slot) -> Expr:
    literal = exp.Literal.string(text)
    node = literal if slot.type is Type.STRING else exp.cast(literal, SQL_TYPES[slot.type].copy())
    return Expr(repr(text), node, slot.type if slot.type is not Type.STRING else Type.STRING, ())


def _identifier_expr(source: str, class_name: str, keys: tuple[Expr, ...]) -> Expr | None:
    from toolkit.expressions.language import global_id

    if not keys:
        return None
    node = global_id(source, class_name, [k.ast.copy() for k in keys])
    cols = tuple(dict.fromkeys(c for k in keys for c in k.columns))
    text = f"GLOBAL_ID('{class_name}', {', '.join(k.text for k in keys)})"
    return Expr(text, node, Type.STRING, cols)


def _check_literal_targets(expr: Expr, slot: Slot, file: str, line: int, problems: Problems) -> None:
    """String literals an enum slot can take must be permissible values (CASE outputs, constants)."""
    if not slot.enum:
        return
    outputs: list[exp.Expression] = []
    node = expr.ast
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Case):
        outputs = [b.args["true"] for b in node.args.get("ifs") or []] + ([node.args["default"]] if node.args.get("default") else [])
    elif isinstance(node, exp.If):
        outputs = [node.args["true"], node.args.get("false")]
    elif isinstance(node, (exp.Literal, exp.Cast)):
        outputs = [node]
    for out in outputs:
        if isinstance(out, exp.Cast):
            out = out.this
        if isinstance(out, exp.Literal) and out.is_string and out.this not in slot.enum.texts:
            problems.add(file, line, f"slot '{slot.name}': '{out.this}' is not a permissible value of {slot.enum.name}",
                         f"use one of: {', '.join(slot.enum.texts)}")


def _check_grouping(slots: tuple[SlotPlan, ...], group_by: tuple[Expr, ...], file: str, problems: Problems) -> None:
    grouped_sql = {g.ast.sql() for g in group_by}
    grouped_cols = {(c.alias, c.column) for g in group_by for c in g.columns}
    for sp in slots:
        if sp.expr is None or sp.kind == "identifier":
            continue
        for col in _columns_outside_aggregates(sp.expr.ast, grouped_sql):
            if (col.alias, col.column) not in grouped_cols:
                problems.add(file, sp.line, f"slot '{sp.name}' reads {col.alias}.{col.column} outside an aggregate, "
                             "but the derivation groups rows", "wrap it in MIN/MAX/COUNT/SUM or group by it")


def _columns_outside_aggregates(node: exp.Expression, grouped_sql: set[str]):
    from toolkit.expressions.functions import BY_NODE

    if node.sql() in grouped_sql:
        return
    fn = BY_NODE.get(type(node))
    if fn is not None and fn.aggregate:
        return
    if isinstance(node, exp.Column):
        yield ColumnRef(node.table, node.table, node.name)
        return
    for child in node.iter_expressions():
        yield from _columns_outside_aggregates(child, grouped_sql)


def _is_condition(expr: Expr, file: str, text: Text, problems: Problems) -> bool:
    if expr.type not in (Type.BOOLEAN, Type.NULL):
        problems.add(file, text.line, f"`{text.text}` is {expr.type.value}, but a condition (true/false) is needed")
        return False
    return True


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _slot_suggestion(name: str, slots) -> str:
    """'did you mean' for a slot name: a dictionary alias spelled the same way (FirstName for first_name) names
    its slot first, since an author mapping a legacy column reaches for the legacy name; then the nearest name."""
    def folded(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalnum())

    for slot in slots:
        if any(folded(alias) == folded(name) for alias in slot.meta.aliases):
            return f"did you mean '{slot.name}'? ('{name}' is an alias of it in the dictionary)"
    return _did_you_mean(name, [s.name for s in slots])


def _did_you_mean(name: str, names) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
