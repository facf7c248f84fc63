"""What each side's plan says is downstream of a term, slot, source or derivation."""
from __future__ import annotations

import sqlglot
from sqlglot import exp

from toolkit.plan import Plan, SlotPlan, ViewPlan


def _global_id_classes(text: str) -> set[str]:
    try:
        tree = sqlglot.parse_one(text)
    except Exception:  # the expression validated on its side; anything else is not ours to judge here
        return set()
    return {a.expressions[0].this for a in tree.find_all(exp.Anonymous)
            if a.name.upper() == "GLOBAL_ID" and a.expressions and isinstance(a.expressions[0], exp.Literal)}


def _view_names(v: ViewPlan) -> list[str]:
    return [v.staged_name] + ([v.groups_name] if v.grouped else []) + [v.view_name, v.rejects_name]


def _string_literals(node: exp.Expression) -> set[str]:
    return {lit.this for lit in node.find_all(exp.Literal) if lit.is_string}


class PlanIndex:
    """One side's plan, arranged for finding consumers."""

    def __init__(self, plan: Plan | None, side: str):
        self.plan = plan
        self.side = side   # "old" or "new"
        self.views = plan.views() if plan else ()
        self.references: dict[str, list[tuple[ViewPlan, SlotPlan]]] = {}
        for v in self.views:
            for sp in v.slots:
                targets = {sp.slot.references} if sp.slot.references else set()
                if sp.expr is not None and sp.kind in ("expr", "copy"):
                    targets |= _global_id_classes(sp.expr.text)
                for c in targets:
                    self.references.setdefault(c, []).append((v, sp))

    def of_class(self, cls: str) -> list[ViewPlan]:
        return [v for v in self.views if v.target.name == cls]


class Touch:
    """Collects what a change reaches; turned into ``Touches`` once generated files are known."""

    def __init__(self) -> None:
        self.mappings: dict[str, tuple[str, int, str]] = {}   # label -> (file, line, side); the new side wins
        self.side = "new"
        self.views: set[str] = set()
        self.lineage: set[str] = set()
        self.sources: set[str] = set()
        self.classes: set[str] = set()

    @classmethod
    def of_classes(cls, classes: set[str]) -> "Touch":
        t = cls()
        t.classes |= classes
        return t

    @classmethod
    def of_sources(cls, sources: set[str]) -> "Touch":
        t = cls()
        t.sources |= sources
        return t

    def derivation(self, v: ViewPlan, line: int | None = None, what: str = "") -> None:
        label = f"{v.source} {v.name}{what}"
        if self.side == "new" or label not in self.mappings:
            self.mappings[label] = (v.file, line or v.line, self.side)
        self.views.update(_view_names(v))
        self.views.add(v.target.table_name)
        self.sources.add(v.source)
        self.classes.add(v.target.name)

    def slot(self, v: ViewPlan, sp: SlotPlan) -> None:
        mapped = sp.kind in ("copy", "expr", "constant")
        note = "" if mapped else f" ({sp.kind})"
        self.derivation(v, sp.line if mapped else v.line, f".{sp.name}{note}")
        self.edges(v, sp)

    def edges(self, v: ViewPlan, sp: SlotPlan) -> None:
        for c in sp.expr.columns if sp.expr is not None else ():
            self.lineage.add(f"{v.source}.{c.table}.{c.column} -> {v.target.name}.{sp.name} [{v.source} {v.name}]")

    def referencing(self, index: PlanIndex, cls: str) -> None:
        for v, sp in index.references.get(cls, ()):
            self.slot(v, sp)
            self.lineage.add(f"{cls} identifier -> {v.target.name}.{sp.name} [{v.source} {v.name}, reference]")


class TouchFinder:
    """Finds consumers of a subject on both sides of the change."""

    def __init__(self, old: PlanIndex, new: PlanIndex):
        self.sides = (old, new)

    def _sides(self, t: Touch):
        """Both sides, old first, so a consumer present on both is shown at its working-tree line."""
        for index in self.sides:
            t.side = index.side
            yield index
        t.side = "new"

    def cls(self, name: str, t: Touch | None = None) -> Touch:
        t = t or Touch()
        t.classes.add(name)
        for index in self._sides(t):
            for v in index.of_class(name):
                t.derivation(v)
                for sp in v.slots:
                    t.edges(v, sp)
            t.referencing(index, name)
        return t

    def class_slot(self, cls: str, slot: str, t: Touch | None = None) -> Touch:
        t = t or Touch()
        t.classes.add(cls)
        for index in self._sides(t):
            for v in index.of_class(cls):
                for sp in v.slots:
                    if sp.name == slot:
                        t.slot(v, sp)
                        if sp.slot.identifier:
                            t.referencing(index, cls)
        return t

    def slot(self, slot: str, classes: set[str], t: Touch | None = None) -> Touch:
        t = t or Touch()
        for cls in sorted(classes):
            self.class_slot(cls, slot, t)
        return t

    def enum(self, enum: str, value: str | None = None, t: Touch | None = None) -> Touch:
        """Slots whose range is ``enum``; with ``value``, the mappings that produce that value."""
        t = t or Touch()
        for index in self._sides(t):
            for v in index.views:
                for sp in v.slots:
                    if sp.slot.enum is None or sp.slot.enum.name != enum:
                        continue
                    t.views.update(_view_names(v))
                    t.views.add(v.target.table_name)
                    t.sources.add(v.source)
                    t.classes.add(v.target.name)
                    if value is None or value in _produced_values(sp):
                        t.slot(v, sp)
        return t

    def source(self, source: str, t: Touch | None = None) -> Touch:
        t = t or Touch()
        t.sources.add(source)
        for index in self._sides(t):
            for v in index.views:
                if v.source == source:
                    t.derivation(v)
                    for sp in v.slots:
                        t.edges(v, sp)
        return t

    def derivation(self, source: str, name: str, t: Touch | None = None, key: bool = False) -> Touch:
        t = t or Touch()
        t.sources.add(source)
        for index in self._sides(t):
            for v in index.views:
                if v.source == source and v.name == name:
                    t.derivation(v)
                    for sp in v.slots:
                        t.edges(v, sp)
                    if key:   # ids other derivations of this source build with GLOBAL_ID
                        for rv, sp in index.references.get(v.target.name, ()):
                            if rv.source == source:
                                t.slot(rv, sp)
        return t

    def slot_derivation(self, source: str, name: str, slot: str, t: Touch | None = None) -> Touch:
        t = t or Touch()
        for index in self._sides(t):
            for v in index.views:
                if v.source == source and v.name == name:
                    for sp in v.slots:
                        if sp.name == slot:
                            t.slot(v, sp)
                            if sp.slot.identifier:
                                for rv, rsp in index.references.get(v.target.name, ()):
                                    if rv.source == source:
                                        t.slot(rv, rsp)
        return t

    def column(self, source: str, table: str, column: str | None, t: Touch | None = None) -> Touch:
        """Derivations reading ``table`` (and, with ``column``, the slots, rules and keys reading it)."""
        t = t or Touch()
        for index in self._sides(t):
            for v in index.views:
                if v.source != source:
                    continue
                tables = {r.alias: r.table.name for r in v.tables()}
                if table not in tables.values():
                    continue
                if column is None:
                    t.derivation(v)
                    continue

                def reads(expr) -> bool:
                    return expr is not None and any(c.table == table and c.column == column for c in expr.columns)

                for sp in v.slots:
                    if reads(sp.expr):
                        t.slot(v, sp)
                for rule in v.rules:
                    if reads(rule.condition):
                        t.derivation(v, rule.line, f" {rule.kind}")
                for j in v.joins:
                    if reads(j.on):
                        t.derivation(v, None, f" join {j.ref.alias}")
                if any(reads(k) for k in v.source_key + v.group_by):
                    t.derivation(v, None, " key")
        return t


def _produced_values(sp: SlotPlan) -> set[str]:
    """Enum values a slot derivation can produce as written (code-map targets, defaults, literals)."""
    values: set[str] = set()
    if sp.value_map is not None:
        values |= {target for _code, target in sp.value_map.pairs}
        if sp.value_map.default:
            values.add(sp.value_map.default)
    elif sp.expr is not None:
        values |= _string_literals(sp.expr.ast)
    return values
