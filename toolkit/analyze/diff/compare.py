"""Comparing two snapshots: every change to the dictionary, the mappings and the plans, breaking or compatible."""
from __future__ import annotations

from toolkit.analyze.diff.renames import (column_rename, derivation_rename, normalised, pair_renames, rename_target,
                                          renamed_class, renamed_from, slot_evidence, table_rename)
from toolkit.analyze.diff.report import BREAKING, COMPATIBLE, Change, Snapshot
from toolkit.analyze.diff.touches import PlanIndex, Touch, TouchFinder
from toolkit.core.types import assignable
from toolkit.load.dictionary import ClassDef, Dictionary, Slot
from toolkit.load.mapping import ClassDerivationSpec, MappingSpec, SlotDerivationSpec
from toolkit.load.source_schema import SourceSchema
from toolkit.plan import Plan, ViewPlan


def _desc_fields(meta_owner) -> tuple:
    m = meta_owner.meta
    return (meta_owner.description, m.title, m.labels, m.aliases, m.steward, m.pii, m.mappings)


def _meta_changes(old, new) -> list[str]:
    names = ("description", "title", "labels", "aliases", "steward", "pii class", "standard mappings")
    return [n for n, a, b in zip(names, _desc_fields(old), _desc_fields(new)) if a != b]


class Differ:
    def __init__(self, old: Snapshot, new: Snapshot):
        self.old, self.new = old, new
        self.touch = TouchFinder(PlanIndex(old.plan, "old"), PlanIndex(new.plan, "new"))
        self.changes: list[tuple[Change, Touch]] = []
        self.renamed_slots: set[str] = set()   # new names of renamed slots: mappings follow them silently

    def add(self, severity: str, kind: str, subject: str, message: str, where: tuple[str, int, str], t: Touch | None,
            evidence: tuple[tuple[str, str], ...] = ()) -> None:
        file, line, side = where
        self.changes.append((Change(severity, kind, subject, message, file, line, side, evidence=evidence), t or Touch()))

    @staticmethod
    def at_new(thing) -> tuple[str, int, str]:
        return thing.file, thing.line, "new"

    @staticmethod
    def at_old(thing) -> tuple[str, int, str]:
        return thing.file, thing.line, "old"

    # ------------------------------------------------------------------ dictionary
    def dictionary(self) -> None:
        old, new = self.old.dictionary, self.new.dictionary
        if old is None or new is None:
            return
        self._classes(old, new)
        self._slots(old, new)
        self._enums(old, new)

    def _classes(self, old: Dictionary, new: Dictionary) -> None:
        removed = [c for c in old.classes if c not in new.classes]
        added = [c for c in new.classes if c not in old.classes]
        renamed: dict[str, str] = {}
        for r in removed:
            for a in added:
                if a not in renamed.values() and renamed_class(old.classes[r], new.classes[a]):
                    renamed[r] = a
                    break
        for r in removed:
            if r in renamed:
                a = renamed[r]
                self.add(BREAKING, "renamed-class", a, f"class '{r}' was renamed to '{a}': its views, "
                         f"identifiers and every mapping of it change name", self.at_new(new.classes[a]),
                         self.touch.cls(a, self.touch.cls(r)))
            else:
                self.add(BREAKING, "removed-class", r, f"class '{r}' was removed", self.at_old(old.classes[r]),
                         self.touch.cls(r))
        for a in added:
            if a not in renamed.values():
                self.add(COMPATIBLE, "new-class", a, f"new class '{a}'", self.at_new(new.classes[a]), self.touch.cls(a))
        for name in old.classes.keys() & new.classes.keys():
            self._class(old.classes[name], new.classes[name], old, new)

    def _class(self, oc: ClassDef, nc: ClassDef, old: Dictionary, new: Dictionary) -> None:
        changed = _meta_changes(oc, nc)
        if changed:
            self.add(COMPATIBLE, "changed-description", oc.name, f"class '{oc.name}': changed {', '.join(changed)}",
                     self.at_new(nc), Touch.of_classes({nc.name}))
        old_slots = {s.name: s for s in oc.slots}
        new_slots = {s.name: s for s in nc.slots}
        for name, s in old_slots.items():
            if name in new_slots:
                self._class_slot(nc, s, new_slots[name])
            elif name in new.slots:   # a slot deleted from the dictionary is reported once, not per class
                self.add(BREAKING, "removed-slot", f"{oc.name}.{name}", f"slot '{name}' was removed from class '{oc.name}'",
                         self.at_old(oc), self.touch.class_slot(oc.name, name))
        for name, s in new_slots.items():
            if name in old_slots or (name not in old.slots and renamed_from(name, old, new)):
                continue   # compared above, or reported once as a renamed slot
            where = self.at_new(nc)
            if s.identifier:
                self.add(BREAKING, "changed-identifier", f"{nc.name}.{name}",
                         f"class '{nc.name}' has a new identifier slot '{name}'", where, self.touch.cls(nc.name))
            elif s.required:
                self.add(BREAKING, "new-required-slot", f"{nc.name}.{name}",
                         f"class '{nc.name}' has a new required slot '{name}': every mapping of it must supply or waive it",
                         where, self.touch.cls(nc.name))
            else:
                self.add(COMPATIBLE, "new-optional-slot", f"{nc.name}.{name}",
                         f"class '{nc.name}' has a new optional slot '{name}'", where, self.touch.cls(nc.name))

    def _class_slot(self, nc: ClassDef, o: Slot, n: Slot) -> None:
        subject = f"{nc.name}.{n.name}"
        where = self.at_new(nc)

        def touch() -> Touch:
            return self.touch.class_slot(nc.name, n.name)

        if o.identifier != n.identifier:
            what = "is now" if n.identifier else "is no longer"
            self.add(BREAKING, "changed-identifier", subject, f"slot '{n.name}' {what} the identifier of '{nc.name}'",
                     where, self.touch.cls(nc.name))
        if o.required != n.required:
            if n.required:
                self.add(BREAKING, "new-required-slot", subject,
                         f"slot '{n.name}' of '{nc.name}' is now required: rows without it become rejects", where, touch())
            else:
                self.add(COMPATIBLE, "now-optional", subject,
                         f"slot '{n.name}' of '{nc.name}' is no longer required (consumers may now see NULL)", where, touch())
        verdict = _range_change(o, n)
        if verdict:
            severity, kind, message = verdict
            self.add(severity, kind, subject, f"slot '{n.name}' of '{nc.name}': {message}", where, touch())
        if o.multivalued != n.multivalued:
            self.add(BREAKING, "changed-cardinality", subject,
                     f"slot '{n.name}' of '{nc.name}' is {'now' if n.multivalued else 'no longer'} multivalued", where, touch())
        if o.pattern != n.pattern:
            if n.pattern:
                self.add(BREAKING, "narrowed-range", subject, f"slot '{n.name}' of '{nc.name}': pattern "
                         f"{'added' if not o.pattern else 'changed'}: {n.pattern} (values that matched before may now be rejected)",
                         where, touch())
            else:
                self.add(COMPATIBLE, "widened-range", subject, f"slot '{n.name}' of '{nc.name}': pattern {o.pattern} removed",
                         where, touch())

    def _slots(self, old: Dictionary, new: Dictionary) -> None:
        removed = [s for s in old.slots if s not in new.slots]
        added = [s for s in new.slots if s not in old.slots]
        for r in removed:
            users = {c.name for c in old.classes.values() if c.slot(r)}
            a = rename_target(old.slots[r], [new.slots[x] for x in added])
            if a is not None:
                self.renamed_slots.add(a.name)
                classes = users | {c.name for c in new.classes.values() if c.slot(a.name)}
                t = self.touch.slot(r, classes, self.touch.slot(a.name, classes))
                self.add(BREAKING, "renamed-slot", a.name, f"slot '{r}' was renamed to '{a.name}'"
                         + (f" (used by {', '.join(sorted(users))})" if users else ""), self.at_new(a), t,
                         slot_evidence(old.slots[r], a))
            else:
                self.add(BREAKING, "removed-slot", r, f"slot '{r}' was removed from the dictionary"
                         + (f" (used by {', '.join(sorted(users))})" if users else ""), self.at_old(old.slots[r]),
                         self.touch.slot(r, users))
        renamed_to = {a.name for r in removed if (a := rename_target(old.slots[r], [new.slots[x] for x in added]))}
        for a in added:
            if a in renamed_to or any(c.slot(a) for c in new.classes.values()):
                continue   # reported per class as a new slot, or as a rename
            self.add(COMPATIBLE, "new-slot", a, f"new slot '{a}'", self.at_new(new.slots[a]), None)
        for name in old.slots.keys() & new.slots.keys():
            changed = _meta_changes(old.slots[name], new.slots[name])
            if changed:
                users = {c.name for c in new.classes.values() if c.slot(name)}
                self.add(COMPATIBLE, "changed-description", name, f"slot '{name}': changed {', '.join(changed)}",
                         self.at_new(new.slots[name]), Touch.of_classes(users))
            o, n = old.slots[name], new.slots[name]
            if not any(c.slot(name) for c in list(old.classes.values()) + list(new.classes.values())):
                verdict = _range_change(o, n)   # a slot no class uses: still a term other dictionaries may use
                if verdict:
                    self.add(verdict[0], verdict[1], name, f"slot '{name}': {verdict[2]}", self.at_new(n), None)

    def _enums(self, old: Dictionary, new: Dictionary) -> None:
        for name in old.enums.keys() - new.enums.keys():
            self.add(BREAKING, "removed-enum", f"enum {name}", f"enum '{name}' was removed", self.at_old(old.enums[name]),
                     self.touch.enum(name))
        for name in new.enums.keys() - old.enums.keys():
            self.add(COMPATIBLE, "new-enum", f"enum {name}", f"new enum '{name}'", self.at_new(new.enums[name]), None)
        for name in old.enums.keys() & new.enums.keys():
            oe, ne = old.enums[name], new.enums[name]
            old_values = {v.text: v for v in oe.values}
            new_values = {v.text: v for v in ne.values}
            for value in old_values.keys() - new_values.keys():
                self.add(BREAKING, "removed-permissible-value", f"enum {name}: {value}",
                         f"permissible value '{value}' was removed from {name}: rows with it become rejects",
                         self.at_new(ne), self.touch.enum(name, value))
            for value in new_values.keys() - old_values.keys():
                self.add(COMPATIBLE, "new-permissible-value", f"enum {name}: {value}",
                         f"new permissible value '{value}' in {name}", self.at_new(ne), self.touch.enum(name, value))
            if oe.description != ne.description or any(
                    old_values[v] != new_values[v] for v in old_values.keys() & new_values.keys()):
                self.add(COMPATIBLE, "changed-description", f"enum {name}", f"enum '{name}': changed descriptions",
                         self.at_new(ne), Touch.of_classes(self.touch.enum(name).classes))

    # ------------------------------------------------------------------ mappings and source schemas
    def mappings(self) -> None:
        old, new = self.old, self.new
        for source in sorted(old.mappings.keys() - new.mappings.keys()):
            spec = old.mappings[source]
            if spec.file in new.unreadable:
                continue   # its file does not load now: the problems say why
            self.add(BREAKING, "removed-source", source, f"source '{source}' is no longer mapped ({spec.file} removed): "
                     "its rows leave every integrated view", (spec.file, 1, "old"), self.touch.source(source))
        for source in sorted(new.mappings.keys() - old.mappings.keys()):
            spec = new.mappings[source]
            if spec.file in old.unreadable:
                continue
            self.add(COMPATIBLE, "new-source", source, f"new source '{source}'", (spec.file, 1, "new"), self.touch.source(source))
        for source in sorted(old.mappings.keys() & new.mappings.keys()):
            self._mapping(old.mappings[source], new.mappings[source])
            if source in old.schemas and source in new.schemas:
                self._source_schema(source, old.schemas[source], new.schemas[source])

    def _mapping(self, om: MappingSpec, nm: MappingSpec) -> None:
        source = nm.source
        if (om.database_schema or om.source) != (nm.database_schema or nm.source):
            self.add(COMPATIBLE, "changed-source-location", source,
                     f"source '{source}' now reads schema '{nm.database_schema or nm.source}' "
                     f"(was '{om.database_schema or om.source}'): deploy the views where that schema exists",
                     (nm.file, 1, "new"), self.touch.source(source))
        changed = [k for k in ("title", "description", "steward") if getattr(om, k) != getattr(nm, k)]
        if changed:
            self.add(COMPATIBLE, "changed-description", source, f"source '{source}': changed {', '.join(changed)}",
                     (nm.file, 1, "new"), Touch.of_sources({source}))
        old_cds = {cd.name: cd for cd in om.class_derivations}
        new_cds = {cd.name: cd for cd in nm.class_derivations}
        renamed = pair_renames({k: old_cds[k] for k in sorted(old_cds.keys() - new_cds.keys())},
                                {k: new_cds[k] for k in sorted(new_cds.keys() - old_cds.keys())}, derivation_rename)
        for r, a, why in renamed:
            t = self.touch.derivation(source, r, self.touch.derivation(source, a))
            self.add(BREAKING, "renamed-derivation", f"{source} {a}",
                     f"derivation '{r}' of {source} was renamed to '{a}': its views are renamed (its {new_cds[a].target_class} "
                     "rows stay in the integrated view)", (nm.file, new_cds[a].line, "new"), t, why)
            self._derivation(source, nm.file, old_cds[r], new_cds[a])
        gone, came = {r for r, _a, _w in renamed}, {a for _r, a, _w in renamed}
        for name in old_cds.keys() - new_cds.keys() - gone:
            cd = old_cds[name]
            self.add(BREAKING, "removed-derivation", f"{source} {name}",
                     f"derivation '{name}' of {source} was removed: its {cd.target_class} rows leave the integrated view",
                     (om.file, cd.line, "old"), self.touch.derivation(source, name))
        for name in new_cds.keys() - old_cds.keys() - came:
            cd = new_cds[name]
            self.add(COMPATIBLE, "new-derivation", f"{source} {name}", f"new derivation '{name}' of {source} "
                     f"into {cd.target_class}", (nm.file, cd.line, "new"), self.touch.derivation(source, name))
        for name in sorted(old_cds.keys() & new_cds.keys()):
            self._derivation(source, nm.file, old_cds[name], new_cds[name])

    def _derivation(self, source: str, file: str, o: ClassDerivationSpec, n: ClassDerivationSpec) -> None:
        subject = f"{source} {n.name}"
        where = (file, n.line, "new")
        if o.target_class != n.target_class:
            self.add(BREAKING, "changed-target-class", subject,
                     f"derivation '{n.name}' of {source} now populates {n.target_class} (was {o.target_class})", where,
                     self.touch.cls(n.target_class, self.touch.cls(o.target_class)))
            return
        keys = []
        if o.populated_from.text != n.populated_from.text:
            keys.append(f"driving table {n.populated_from.text} (was {o.populated_from.text})")
        if [normalised(k.text) for k in o.source_key] != [normalised(k.text) for k in n.source_key]:
            keys.append(f"source_key [{', '.join(k.text for k in n.source_key)}] (was [{', '.join(k.text for k in o.source_key)}])")
        if [normalised(k.text) for k in o.group_by] != [normalised(k.text) for k in n.group_by]:
            keys.append(f"group_by [{', '.join(k.text for k in n.group_by)}] (was [{', '.join(k.text for k in o.group_by)}])")
        if keys:
            self.add(BREAKING, "changed-key", subject, f"derivation '{n.name}' of {source} changes how rows are "
                     f"identified: {'; '.join(keys)}; canonical ids change", where,
                     self.touch.derivation(source, n.name, key=True))
        rules = []
        if normalised(o.filter.text if o.filter else None) != normalised(n.filter.text if n.filter else None):
            rules.append("filter")
        if [(normalised(r.when.text), r.reason) for r in o.reject_when] != [(normalised(r.when.text), r.reason) for r in n.reject_when]:
            rules.append("reject_when")
        if rules:
            self.add(COMPATIBLE, "changed-row-rules", subject, f"derivation '{n.name}' of {source}: changed "
                     f"{' and '.join(rules)}: which rows are accepted or rejected changes", where,
                     self.touch.derivation(source, n.name))
        if [(j.alias, j.table, normalised(j.on.text if j.on else None), j.cardinality) for j in o.joins] != \
                [(j.alias, j.table, normalised(j.on.text if j.on else None), j.cardinality) for j in n.joins]:
            self.add(COMPATIBLE, "changed-joins", subject, f"derivation '{n.name}' of {source}: changed joins", where,
                     self.touch.derivation(source, n.name))
        if o.description != n.description:
            self.add(COMPATIBLE, "changed-description", subject, f"derivation '{n.name}' of {source}: changed description",
                     where, Touch.of_sources({source}))
        if sorted((s, r) for s, r, _ in o.waived_slots) != sorted((s, r) for s, r, _ in n.waived_slots):
            self.add(COMPATIBLE, "changed-waiver", subject, f"derivation '{n.name}' of {source}: changed waived_slots",
                     where, self.touch.derivation(source, n.name))
        self._slot_derivations(source, file, o, n)

    def _slot_derivations(self, source: str, file: str, o: ClassDerivationSpec, n: ClassDerivationSpec) -> None:
        old_sds = {sd.name: sd for sd in o.slot_derivations}
        new_sds = {sd.name: sd for sd in n.slot_derivations}
        cls = self._class_def(n.target_class)
        for name in old_sds.keys() - new_sds.keys():
            if cls is not None and cls.slot(name) is None:
                continue   # the slot left the class: reported with the dictionary change
            self.add(BREAKING, "removed-slot-derivation", f"{source} {n.name}.{name}",
                     f"{source} no longer populates {n.target_class}.{name} in derivation '{n.name}'",
                     (file, old_sds[name].line, "old"), self.touch.slot_derivation(source, n.name, name))
        for name in new_sds.keys() - old_sds.keys():
            if name in self.renamed_slots:
                continue   # the mapping follows a renamed slot: reported with the rename
            self.add(COMPATIBLE, "new-slot-derivation", f"{source} {n.name}.{name}",
                     f"{source} now populates {n.target_class}.{name} in derivation '{n.name}'",
                     (file, new_sds[name].line, "new"), self.touch.slot_derivation(source, n.name, name))
        for name in sorted(old_sds.keys() & new_sds.keys()):
            self._slot_derivation(source, file, n, cls, old_sds[name], new_sds[name])

    def _slot_derivation(self, source: str, file: str, cd: ClassDerivationSpec, cls: ClassDef | None,
                         o: SlotDerivationSpec, n: SlotDerivationSpec) -> None:
        subject = f"{source} {cd.name}.{n.name}"
        where = (file, n.line, "new")
        slot = cls.slot(n.name) if cls is not None else None

        def touch() -> Touch:
            return self.touch.slot_derivation(source, cd.name, n.name)

        def value(sd: SlotDerivationSpec) -> tuple:
            return (normalised(sd.populated_from and f'"{sd.populated_from.text}"'), normalised(sd.expr.text if sd.expr else None),
                    sd.value.text if sd.value else None)

        def text(sd: SlotDerivationSpec) -> str:
            if sd.expr:
                return sd.expr.text
            if sd.populated_from:
                return sd.populated_from.text
            return repr(sd.value.text) if sd.value else "nothing"

        if value(o) != value(n):
            if slot is not None and (slot.identifier or slot.references):
                what = "identifier" if slot.identifier else f"reference to {slot.references}"
                self.add(BREAKING, "changed-identifier", subject, f"{cd.target_class}.{n.name} ({what}) in {source} "
                         f"derivation '{cd.name}' is now `{text(n)}` (was `{text(o)}`): ids no longer match", where, touch())
            else:
                self.add(COMPATIBLE, "changed-derivation", subject, f"{cd.target_class}.{n.name} in {source} derivation "
                         f"'{cd.name}' is now `{text(n)}` (was `{text(o)}`)", where, touch())
        old_map = {vm.source_value: vm for vm in o.value_mappings}
        new_map = {vm.source_value: vm for vm in n.value_mappings}
        for code in old_map.keys() & new_map.keys():
            if old_map[code].target_value != new_map[code].target_value:
                self.add(BREAKING, "changed-code-map-target", subject, f"{source} code '{code}' of {cd.target_class}."
                         f"{n.name} now maps to '{new_map[code].target_value}' (was '{old_map[code].target_value}')",
                         (file, new_map[code].line, "new"), touch())
        for code in old_map.keys() - new_map.keys():
            self.add(BREAKING, "changed-code-map-target", subject, f"{source} code '{code}' of {cd.target_class}.{n.name} "
                     f"(was '{old_map[code].target_value}') is no longer mapped; unmapped codes: {n.unmapped}",
                     where, touch())
        for code in new_map.keys() - old_map.keys():
            self.add(COMPATIBLE, "new-code-mapping", subject, f"{source} code '{code}' of {cd.target_class}.{n.name} "
                     f"now maps to '{new_map[code].target_value}'", (file, new_map[code].line, "new"), touch())
        if o.value_mappings or n.value_mappings:
            old_policy = (o.unmapped, o.default.text if o.default else None)
            new_policy = (n.unmapped, n.default.text if n.default else None)
            if old_policy != new_policy:
                severity = COMPATIBLE if o.unmapped == "reject" else BREAKING  # rejected rows now accepted is compatible
                self.add(severity, "changed-code-map-target", subject, f"unmapped {source} codes of {cd.target_class}."
                         f"{n.name}: {_policy(new_policy)} (was {_policy(old_policy)})", where, touch())
        if o.description != n.description:
            self.add(COMPATIBLE, "changed-description", subject, f"{subject}: changed description", where,
                     Touch.of_sources({source}))

    def _class_def(self, name: str) -> ClassDef | None:
        d = self.new.dictionary
        return d.classes.get(name) if d is not None else None

    def _renamed_in_schema(self, thing: str, source: str, old: str, new: str, read: bool, follows: bool,
                           where: tuple[str, int, str], t: Touch | None,
                           why: tuple[tuple[str, str], ...]) -> None:
        """A table or column of a source schema renamed: breaking while the mappings read it by its old name."""
        breaking = read and not follows
        self.add(BREAKING if breaking else COMPATIBLE, f"renamed-source-{thing}", f"{source}.{new}",
                 f"{thing} '{old}' of {source}'s source schema was renamed to '{new}'"
                 + (": the mappings follow it" if read and follows else
                    " while the mappings read the old name" if breaking else ""), where, t, why)

    def _source_schema(self, source: str, o: SourceSchema, n: SourceSchema) -> None:
        used_now = _columns_used(self.new.plan, source)
        used = _columns_used(self.old.plan, source) | used_now
        used_tables = {t for t, _c in used}
        tables_renamed = pair_renames({t: o.tables[t] for t in sorted(o.tables.keys() - n.tables.keys())},
                                       {t: n.tables[t] for t in sorted(n.tables.keys() - o.tables.keys())}, table_rename)
        for r, a, why in tables_renamed:
            self._renamed_in_schema("table", source, r, a, r in used_tables, a in {t for t, _c in used_now},
                                    (n.file, n.tables[a].line, "new"), self.touch.column(source, r, None), why)
        gone, came = {r for r, _a, _w in tables_renamed}, {a for _r, a, _w in tables_renamed}
        for table in o.tables.keys() - n.tables.keys() - gone:
            breaking = table in used_tables
            self.add(BREAKING if breaking else COMPATIBLE, "removed-source-table", f"{source}.{table}",
                     f"table '{table}' was removed from {source}'s source schema" + (" while mappings read it" if breaking else ""),
                     (o.file, o.tables[table].line, "old"), self.touch.column(source, table, None))
        for table in n.tables.keys() - o.tables.keys() - came:
            self.add(COMPATIBLE, "new-source-table", f"{source}.{table}", f"new table '{table}' in {source}'s source schema",
                     (n.file, n.tables[table].line, "new"), None)
        for table in o.tables.keys() & n.tables.keys():
            ot, nt = o.tables[table], n.tables[table]
            removed = {c: ot.columns[c] for c in ot.columns if c not in nt.columns}
            added = {c: nt.columns[c] for c in nt.columns if c not in ot.columns}
            columns_renamed = pair_renames(removed, added, column_rename(
                {c: i for i, c in enumerate(ot.columns)}, {c: i for i, c in enumerate(nt.columns)},
                len(removed) == 1 and len(added) == 1))
            for r, a, why in columns_renamed:
                self._renamed_in_schema("column", source, f"{table}.{r}", f"{table}.{a}", (table, r) in used,
                                        (table, a) in used_now, (n.file, nt.columns[a].line, "new"),
                                        self.touch.column(source, table, r), why)
            gone, came = {r for r, _a, _w in columns_renamed}, {a for _r, a, _w in columns_renamed}
            for col in ot.columns.keys() - nt.columns.keys() - gone:
                breaking = (table, col) in used
                self.add(BREAKING if breaking else COMPATIBLE, "removed-source-column", f"{source}.{table}.{col}",
                         f"column '{table}.{col}' was removed from {source}'s source schema"
                         + (" while mappings read it" if breaking else ""), (o.file, ot.columns[col].line, "old"),
                         self.touch.column(source, table, col))
            for col in nt.columns.keys() - ot.columns.keys() - came:
                self.add(COMPATIBLE, "new-source-column", f"{source}.{table}.{col}",
                         f"new column '{table}.{col}' in {source}'s source schema", (n.file, nt.columns[col].line, "new"), None)
            for col in ot.columns.keys() & nt.columns.keys():
                oc, nc = ot.columns[col], nt.columns[col]
                if oc.type != nc.type:
                    breaking = (table, col) in used
                    self.add(BREAKING if breaking else COMPATIBLE, "changed-column-type", f"{source}.{table}.{col}",
                             f"column '{table}.{col}' of {source} is now {nc.native_type} (was {oc.native_type})",
                             (n.file, nc.line, "new"), self.touch.column(source, table, col))
            if ot.primary_key != nt.primary_key:
                self.add(COMPATIBLE, "changed-primary-key", f"{source}.{table}",
                         f"primary key of '{table}' in {source} is now ({', '.join(nt.primary_key)}) "
                         f"(was ({', '.join(ot.primary_key)}))", (n.file, nt.line, "new"), self.touch.column(source, table, None))

    # ------------------------------------------------------------------ what only the plans show
    def plans(self) -> None:
        """Identifiers that change for reasons outside the mapping text (a primary key, a renamed identifier slot)."""
        if self.old.plan is None or self.new.plan is None:
            return
        derivations, classes = set(), set()
        for c, _ in self.changes:
            if c.kind in ("changed-key", "changed-target-class", "changed-identifier", "renamed-class"):
                if " " in c.subject:        # "<source> <derivation>[.<slot>]"
                    derivations.add(c.subject.split(".")[0])
                else:                       # "<Class>[.<slot>]"
                    classes.add(c.subject.split(".")[0])
        old_views = {(v.source, v.name): v for v in self.old.plan.views()}
        for v in self.new.plan.views():
            ov = old_views.get((v.source, v.name))
            if ov is None or f"{v.source} {v.name}" in derivations or v.target.name in classes:
                continue
            old_id, new_id = _identifier_sql(ov), _identifier_sql(v)
            if old_id is not None and new_id is not None and old_id != new_id:
                self.add(BREAKING, "changed-key", f"{v.source} {v.name}",
                         f"canonical ids of {v.source} derivation '{v.name}' are now built from "
                         f"{', '.join(k.text for k in (v.group_by or v.source_key))} (was "
                         f"{', '.join(k.text for k in (ov.group_by or ov.source_key))})",
                         (v.file, v.line, "new"), self.touch.derivation(v.source, v.name, key=True))


def _identifier_sql(v: ViewPlan) -> str | None:
    for sp in v.slots:
        if sp.slot.identifier:
            return sp.expr.ast.sql() if sp.expr is not None else ""
    return None


def _columns_used(plan: Plan | None, source: str) -> set[tuple[str, str]]:
    used: set[tuple[str, str]] = set()
    if plan is None:
        return used
    for v in plan.views():
        if v.source != source:
            continue
        used.add((v.base.table.name, ""))
        exprs = [sp.expr for sp in v.slots] + [r.condition for r in v.rules] + [j.on for j in v.joins] + \
            list(v.source_key) + list(v.group_by)
        for j in v.joins:
            used.add((j.ref.table.name, ""))
        for e in exprs:
            for c in e.columns if e is not None else ():
                used.add((c.table, c.column))
    return used


def _policy(policy: tuple[str, str | None]) -> str:
    return policy[0] + (f" ('{policy[1]}')" if policy[1] is not None else "")


def _range_change(o: Slot, n: Slot) -> tuple[str, str, str] | None:
    """(severity, kind, message) for a change of range, or None."""
    if o.range == n.range:
        return None
    was = f"(was {o.range})"
    if o.references or n.references:
        return BREAKING, "changed-range", f"now references {n.range} {was}"
    if o.type != n.type:
        if assignable(o.type, n.type):
            return BREAKING, "changed-type", f"range is now {n.range} {was}: every old value fits, but the views' column " \
                                             f"type changes from {o.type.value} to {n.type.value}"
        return BREAKING, "narrowed-range", f"range narrowed to {n.range} {was}: {o.type.value} values may not fit"
    if o.enum and n.enum:
        lost = [v for v in o.enum.texts if v not in n.enum.texts]
        if lost:
            return BREAKING, "narrowed-range", f"range narrowed to {n.range} {was}: loses {', '.join(lost)}"
        return COMPATIBLE, "widened-range", f"range widened to {n.range} {was}"
    if n.enum:
        return BREAKING, "narrowed-range", f"range narrowed to enum {n.range} {was}: only its permissible values are accepted"
    if o.enum:
        return COMPATIBLE, "widened-range", f"range widened to {n.range} {was}: any {n.type.value} is accepted"
    return None   # another name for the same type (e.g. int -> integer)
