"""`dict diff`: what a change to the dictionary and mappings breaks, and what it touches.

Reads dictionary/ and mappings/ at a git revision into a temporary folder, loads both
sides into the typed model (and the plan, where a side validates), and classifies every
change as breaking or compatible:

- breaking: removed or renamed term or slot, narrowed range or changed column type, new
  required slot, removed permissible value, changed identifier or key, changed code-map
  target, removed source, derivation or slot derivation;
- compatible: new term, new optional slot, new permissible value, widened range, changed
  description, new derivation or code mapping, changed row rules, joins or expressions.

Each change lists the mappings (file:line), generated views, translators, lineage edges
and generated files it touches, taken from the plans on both sides.
"""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Callable, TypeVar
from pathlib import Path

import sqlglot
from sqlglot import exp

from toolkit.load.dictionary import ClassDef, Dictionary, Slot, load_dictionary, snake_case
from toolkit.core.errors import DictError, Problem
from toolkit.load.mapping import ClassDerivationSpec, MappingSpec, SlotDerivationSpec, load_mapping
from toolkit.plan import Plan, Project, SlotPlan, ViewPlan, build_plan
from toolkit.load.source_schema import SourceSchema, load_source_schema
from toolkit.core.types import assignable

BREAKING, COMPATIBLE = "breaking", "compatible"
SEVERITIES = (BREAKING, COMPATIBLE)
TRANSLATOR_GENERATORS = ("python",)   # generators whose files are record translators


# ============================================================================ results

@dataclass(frozen=True)
class MappingRef:
    """A place in a mapping file a change reaches: ``mappings/crm.yaml:57: crm Customer.birth_date``."""

    file: str
    line: int
    what: str          # "<source> <derivation>[.<slot>]"
    side: str = "new"  # "old": the place only exists at the base revision

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}" + (" (at base)" if self.side == "old" else "")


@dataclass(frozen=True)
class Touches:
    """What one change reaches downstream, on either side of the change."""

    mappings: tuple[MappingRef, ...] = ()
    views: tuple[str, ...] = ()         # generated view names
    translators: tuple[str, ...] = ()   # generated translator files
    lineage: tuple[str, ...] = ()       # "crm.customers.dob -> Customer.birth_date [crm Customer]"
    generated: tuple[str, ...] = ()     # generated files whose content changes

    def as_dict(self) -> dict:
        return {"mappings": [vars(m) for m in self.mappings], "views": list(self.views), "translators": list(self.translators),
                "lineage": list(self.lineage), "generated": list(self.generated)}


@dataclass(frozen=True)
class Change:
    severity: str      # breaking | compatible
    kind: str          # e.g. removed-slot, narrowed-range, new-permissible-value
    subject: str       # e.g. Customer.birth_date, enum CustomerTier, chinook Customer
    message: str
    file: str
    line: int
    side: str          # where file:line points: "new" (working tree) or "old" (the revision)
    touches: Touches = Touches()
    # a rename: why the old and the new thing are taken for one (("name similarity", "0.86"), ("same type", "INTEGER"))
    evidence: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        out = {"severity": self.severity, "kind": self.kind, "subject": self.subject, "message": self.message,
               "file": self.file, "line": self.line, "side": self.side, "touches": self.touches.as_dict()}
        if self.evidence:
            out["evidence"] = dict(self.evidence)
        return out


@dataclass(frozen=True)
class Snapshot:
    """The dictionary and mappings of one side, as far as they load."""

    label: str
    root: Path
    dictionary: Dictionary | None
    mappings: dict[str, MappingSpec]
    schemas: dict[str, SourceSchema]
    plan: Plan | None
    problems: tuple[Problem, ...]
    unreadable: frozenset[str] = frozenset()   # mapping files that did not load


@dataclass(frozen=True)
class DiffReport:
    base: str            # the revision as asked for (or how it was chosen)
    base_commit: str
    changes: tuple[Change, ...]
    generated_changes: tuple[str, ...]   # generated files whose content differs between the sides
    old_problems: tuple[Problem, ...]
    new_problems: tuple[Problem, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.severity == BREAKING)

    @property
    def compatible(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.severity == COMPATIBLE)

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        if fail_on == BREAKING:
            return bool(self.breaking) or bool(self.new_problems)
        return bool(self.changes) or bool(self.new_problems)

    def as_dict(self) -> dict:
        return {
            "base": self.base, "base_commit": self.base_commit,
            "summary": {"breaking": len(self.breaking), "compatible": len(self.compatible)},
            "changes": [c.as_dict() for c in self.changes],
            "generated_changes": list(self.generated_changes),
            "problems": {"base": [str(p) for p in self.old_problems], "working_tree": [str(p) for p in self.new_problems]},
        }


# ============================================================================ reading both sides

def _git(root: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, check=True)
    except FileNotFoundError:
        raise DictError(Problem(str(root), 1, "git is not installed", "dict diff reads the revision with git")) from None
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DictError(Problem(f"git {args[0]}", 1, detail[-1] if detail else f"git {' '.join(args)} failed")) from None
    return result.stdout


def default_base(root: Path) -> str:
    """The merge base of HEAD with main (or origin/main, master, origin/master)."""
    for branch in ("main", "origin/main", "master", "origin/master"):
        try:
            _git(root, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
        except DictError:
            continue
        return _git(root, "merge-base", "HEAD", branch).decode().strip()
    raise DictError(Problem(str(root), 1, "no branch main (or master) to compare with",
                            "name a revision: dict diff REV (e.g. origin/main or HEAD~1)"))


def export_revision(root: Path, rev: str, into: Path) -> str:
    """Write dictionary/ and mappings/ of ``root`` at ``rev`` into ``into``; return the commit id."""
    root = root.resolve()
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", f"{prefix}dictionary", f"{prefix}mappings")
    for entry in filter(None, listing.split(b"\0")):
        meta, path = entry.split(b"\t", 1)
        mode, kind, _blob = meta.split()
        if kind != b"blob" or mode == b"120000":   # no submodules or symlinks
            continue
        full = path.decode("utf-8")
        target = into / full[len(prefix):]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_git(root, "cat-file", "blob", f"{commit}:{full}"))
    return commit


def load_snapshot(root: Path, label: str) -> Snapshot:
    """Everything of ``root`` that loads; what does not is kept as problems."""
    project = Project(root)
    problems: list[Problem] = []
    dictionary = None
    if project.dictionary_dir.is_dir():
        try:
            dictionary = load_dictionary(project.dictionary_dir, root)
        except DictError as err:
            problems.extend(err.problems)
    else:
        problems.append(Problem("dictionary", 1, f"no dictionary/ folder in {label}"))
    mappings: dict[str, MappingSpec] = {}
    schemas: dict[str, SourceSchema] = {}
    unreadable = set()
    pairs = []
    for path in project.mapping_files() if project.mappings_dir.is_dir() else []:
        display = project.display(path)
        try:
            spec = load_mapping(path, display, root)
            schema_path = spec.source_schema_path(root)
            schema = load_source_schema(schema_path, project.display(schema_path), root) if schema_path.exists() else None
        except DictError as err:
            problems.extend(err.problems)
            unreadable.add(display)
            continue
        mappings.setdefault(spec.source, spec)
        if schema is not None:
            schemas[spec.source] = schema
            pairs.append((spec, schema))
        else:
            problems.append(Problem(display, 1, f"source schema of '{spec.source}' not found"))
    plan = None
    if dictionary is not None and not problems:
        try:
            plan = build_plan(dictionary, pairs)
        except DictError as err:
            problems.extend(err.problems)
    return Snapshot(label, root, dictionary, mappings, schemas, plan, tuple(problems), frozenset(unreadable))


def diff_revision(root: Path, rev: str | None = None, dialect: str | None = None,
                  targets: list[str] | None = None) -> DiffReport:
    """Compare dictionary/ and mappings/ at ``rev`` (default the merge base with main) with the working tree."""
    root = root.resolve()
    base = rev or default_base(root)
    with tempfile.TemporaryDirectory(prefix="dict-diff-") as tmp:
        commit = export_revision(root, base, Path(tmp))
        old = load_snapshot(Path(tmp), base)
        new = load_snapshot(root, "working tree")
        from toolkit.analyze.drift import generated_dialects

        chosen = dialect or ",".join(generated_dialects(root / "generated"))
        return diff_snapshots(old, new, rev or "merge base with main", commit, chosen, targets)


# ============================================================================ what each side's plan says is downstream

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


class _Index:
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


class _Touch:
    """Collects what a change reaches; turned into ``Touches`` once generated files are known."""

    def __init__(self) -> None:
        self.mappings: dict[str, tuple[str, int, str]] = {}   # label -> (file, line, side); the new side wins
        self.side = "new"
        self.views: set[str] = set()
        self.lineage: set[str] = set()
        self.sources: set[str] = set()
        self.classes: set[str] = set()

    @classmethod
    def of_classes(cls, classes: set[str]) -> "_Touch":
        t = cls()
        t.classes |= classes
        return t

    @classmethod
    def of_sources(cls, sources: set[str]) -> "_Touch":
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

    def referencing(self, index: _Index, cls: str) -> None:
        for v, sp in index.references.get(cls, ()):
            self.slot(v, sp)
            self.lineage.add(f"{cls} identifier -> {v.target.name}.{sp.name} [{v.source} {v.name}, reference]")


class _Touches:
    """Finds consumers of a subject on both sides of the change."""

    def __init__(self, old: _Index, new: _Index):
        self.sides = (old, new)

    def _sides(self, t: _Touch):
        """Both sides, old first, so a consumer present on both is shown at its working-tree line."""
        for index in self.sides:
            t.side = index.side
            yield index
        t.side = "new"

    def cls(self, name: str, t: _Touch | None = None) -> _Touch:
        t = t or _Touch()
        t.classes.add(name)
        for index in self._sides(t):
            for v in index.of_class(name):
                t.derivation(v)
                for sp in v.slots:
                    t.edges(v, sp)
            t.referencing(index, name)
        return t

    def class_slot(self, cls: str, slot: str, t: _Touch | None = None) -> _Touch:
        t = t or _Touch()
        t.classes.add(cls)
        for index in self._sides(t):
            for v in index.of_class(cls):
                for sp in v.slots:
                    if sp.name == slot:
                        t.slot(v, sp)
                        if sp.slot.identifier:
                            t.referencing(index, cls)
        return t

    def slot(self, slot: str, classes: set[str], t: _Touch | None = None) -> _Touch:
        t = t or _Touch()
        for cls in sorted(classes):
            self.class_slot(cls, slot, t)
        return t

    def enum(self, enum: str, value: str | None = None, t: _Touch | None = None) -> _Touch:
        """Slots whose range is ``enum``; with ``value``, the mappings that produce that value."""
        t = t or _Touch()
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

    def source(self, source: str, t: _Touch | None = None) -> _Touch:
        t = t or _Touch()
        t.sources.add(source)
        for index in self._sides(t):
            for v in index.views:
                if v.source == source:
                    t.derivation(v)
                    for sp in v.slots:
                        t.edges(v, sp)
        return t

    def derivation(self, source: str, name: str, t: _Touch | None = None, key: bool = False) -> _Touch:
        t = t or _Touch()
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

    def slot_derivation(self, source: str, name: str, slot: str, t: _Touch | None = None) -> _Touch:
        t = t or _Touch()
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

    def column(self, source: str, table: str, column: str | None, t: _Touch | None = None) -> _Touch:
        """Derivations reading ``table`` (and, with ``column``, the slots, rules and keys reading it)."""
        t = t or _Touch()
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


# ============================================================================ comparing

_TYPE_WORDS = {"string": "text"}


def _norm(text: str | None) -> str:
    """An expression in a canonical spelling, so re-wrapping or re-spacing is not a change."""
    if text is None:
        return ""
    try:
        return sqlglot.parse_one(text).sql()
    except Exception:  # keep the author's text when it is not an expression we can parse
        return " ".join(text.split())


def _desc_fields(meta_owner) -> tuple:
    m = meta_owner.meta
    return (meta_owner.description, m.title, m.labels, m.aliases, m.steward, m.pii, m.mappings)


def _meta_changes(old, new) -> list[str]:
    names = ("description", "title", "labels", "aliases", "steward", "pii class", "standard mappings")
    return [n for n, a, b in zip(names, _desc_fields(old), _desc_fields(new)) if a != b]


class _Differ:
    def __init__(self, old: Snapshot, new: Snapshot):
        self.old, self.new = old, new
        self.touch = _Touches(_Index(old.plan, "old"), _Index(new.plan, "new"))
        self.changes: list[tuple[Change, _Touch]] = []
        self.renamed_slots: set[str] = set()   # new names of renamed slots: mappings follow them silently

    def add(self, severity: str, kind: str, subject: str, message: str, where: tuple[str, int, str], t: _Touch | None,
            evidence: tuple[tuple[str, str], ...] = ()) -> None:
        file, line, side = where
        self.changes.append((Change(severity, kind, subject, message, file, line, side, evidence=evidence), t or _Touch()))

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
                if a not in renamed.values() and _renamed_class(old.classes[r], new.classes[a]):
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
                     self.at_new(nc), _Touch.of_classes({nc.name}))
        old_slots = {s.name: s for s in oc.slots}
        new_slots = {s.name: s for s in nc.slots}
        for name, s in old_slots.items():
            if name in new_slots:
                self._class_slot(nc, s, new_slots[name])
            elif name in new.slots:   # a slot deleted from the dictionary is reported once, not per class
                self.add(BREAKING, "removed-slot", f"{oc.name}.{name}", f"slot '{name}' was removed from class '{oc.name}'",
                         self.at_old(oc), self.touch.class_slot(oc.name, name))
        for name, s in new_slots.items():
            if name in old_slots or (name not in old.slots and _renamed_from(name, old, new)):
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

        def touch() -> _Touch:
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
            a = _rename_target(old.slots[r], [new.slots[x] for x in added])
            if a is not None:
                self.renamed_slots.add(a.name)
                classes = users | {c.name for c in new.classes.values() if c.slot(a.name)}
                t = self.touch.slot(r, classes, self.touch.slot(a.name, classes))
                self.add(BREAKING, "renamed-slot", a.name, f"slot '{r}' was renamed to '{a.name}'"
                         + (f" (used by {', '.join(sorted(users))})" if users else ""), self.at_new(a), t,
                         _slot_evidence(old.slots[r], a))
            else:
                self.add(BREAKING, "removed-slot", r, f"slot '{r}' was removed from the dictionary"
                         + (f" (used by {', '.join(sorted(users))})" if users else ""), self.at_old(old.slots[r]),
                         self.touch.slot(r, users))
        renamed_to = {a.name for r in removed if (a := _rename_target(old.slots[r], [new.slots[x] for x in added]))}
        for a in added:
            if a in renamed_to or any(c.slot(a) for c in new.classes.values()):
                continue   # reported per class as a new slot, or as a rename
            self.add(COMPATIBLE, "new-slot", a, f"new slot '{a}'", self.at_new(new.slots[a]), None)
        for name in old.slots.keys() & new.slots.keys():
            changed = _meta_changes(old.slots[name], new.slots[name])
            if changed:
                users = {c.name for c in new.classes.values() if c.slot(name)}
                self.add(COMPATIBLE, "changed-description", name, f"slot '{name}': changed {', '.join(changed)}",
                         self.at_new(new.slots[name]), _Touch.of_classes(users))
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
                         self.at_new(ne), _Touch.of_classes(self.touch.enum(name).classes))

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
                     (nm.file, 1, "new"), _Touch.of_sources({source}))
        old_cds = {cd.name: cd for cd in om.class_derivations}
        new_cds = {cd.name: cd for cd in nm.class_derivations}
        renamed = _pair_renames({k: old_cds[k] for k in sorted(old_cds.keys() - new_cds.keys())},
                                {k: new_cds[k] for k in sorted(new_cds.keys() - old_cds.keys())}, _derivation_rename)
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
        if [_norm(k.text) for k in o.source_key] != [_norm(k.text) for k in n.source_key]:
            keys.append(f"source_key [{', '.join(k.text for k in n.source_key)}] (was [{', '.join(k.text for k in o.source_key)}])")
        if [_norm(k.text) for k in o.group_by] != [_norm(k.text) for k in n.group_by]:
            keys.append(f"group_by [{', '.join(k.text for k in n.group_by)}] (was [{', '.join(k.text for k in o.group_by)}])")
        if keys:
            self.add(BREAKING, "changed-key", subject, f"derivation '{n.name}' of {source} changes how rows are "
                     f"identified: {'; '.join(keys)}; canonical ids change", where,
                     self.touch.derivation(source, n.name, key=True))
        rules = []
        if _norm(o.filter.text if o.filter else None) != _norm(n.filter.text if n.filter else None):
            rules.append("filter")
        if [(_norm(r.when.text), r.reason) for r in o.reject_when] != [(_norm(r.when.text), r.reason) for r in n.reject_when]:
            rules.append("reject_when")
        if rules:
            self.add(COMPATIBLE, "changed-row-rules", subject, f"derivation '{n.name}' of {source}: changed "
                     f"{' and '.join(rules)}: which rows are accepted or rejected changes", where,
                     self.touch.derivation(source, n.name))
        if [(j.alias, j.table, _norm(j.on.text if j.on else None), j.cardinality) for j in o.joins] != \
                [(j.alias, j.table, _norm(j.on.text if j.on else None), j.cardinality) for j in n.joins]:
            self.add(COMPATIBLE, "changed-joins", subject, f"derivation '{n.name}' of {source}: changed joins", where,
                     self.touch.derivation(source, n.name))
        if o.description != n.description:
            self.add(COMPATIBLE, "changed-description", subject, f"derivation '{n.name}' of {source}: changed description",
                     where, _Touch.of_sources({source}))
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

        def touch() -> _Touch:
            return self.touch.slot_derivation(source, cd.name, n.name)

        def value(sd: SlotDerivationSpec) -> tuple:
            return (_norm(sd.populated_from and f'"{sd.populated_from.text}"'), _norm(sd.expr.text if sd.expr else None),
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
                     _Touch.of_sources({source}))

    def _class_def(self, name: str) -> ClassDef | None:
        d = self.new.dictionary
        return d.classes.get(name) if d is not None else None

    def _source_schema(self, source: str, o: SourceSchema, n: SourceSchema) -> None:
        used_now = _columns_used(self.new.plan, source)
        used = _columns_used(self.old.plan, source) | used_now
        used_tables = {t for t, _c in used}
        tables_renamed = _pair_renames({t: o.tables[t] for t in sorted(o.tables.keys() - n.tables.keys())},
                                       {t: n.tables[t] for t in sorted(n.tables.keys() - o.tables.keys())}, _table_rename)
        for r, a, why in tables_renamed:
            read, follows = r in used_tables, a in {t for t, _c in used_now}
            breaking = read and not follows
            self.add(BREAKING if breaking else COMPATIBLE, "renamed-source-table", f"{source}.{a}",
                     f"table '{r}' of {source}'s source schema was renamed to '{a}'"
                     + (": the mappings follow it" if read and follows else
                        " while the mappings read the old name" if breaking else ""),
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
            columns_renamed = _pair_renames(removed, added, _column_rename(
                {c: i for i, c in enumerate(ot.columns)}, {c: i for i, c in enumerate(nt.columns)},
                len(removed) == 1 and len(added) == 1))
            for r, a, why in columns_renamed:
                read, follows = (table, r) in used, (table, a) in used_now
                breaking = read and not follows
                self.add(BREAKING if breaking else COMPATIBLE, "renamed-source-column", f"{source}.{table}.{a}",
                         f"column '{table}.{r}' of {source}'s source schema was renamed to '{table}.{a}'"
                         + (": the mappings follow it" if read and follows else
                            " while the mappings read the old name" if breaking else ""),
                         (n.file, nt.columns[a].line, "new"), self.touch.column(source, table, r), why)
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


def _renamed_class(o: ClassDef, n: ClassDef) -> bool:
    if o.name in n.meta.aliases:
        return True
    return bool(o.description) and o.description == n.description and [s.name for s in o.slots] == [s.name for s in n.slots]


def _rename_target(o: Slot, candidates: list[Slot]) -> Slot | None:
    for n in candidates:
        if o.name in n.meta.aliases or (o.description and o.description == n.description and o.range == n.range):
            return n
    similar = [(_similarity(o.name, n.name), n) for n in candidates if _slot_features(o) == _slot_features(n)]
    similar = [(score, n) for score, n in similar if score >= RENAME_SIMILARITY]
    return max(similar, key=lambda sn: sn[0])[1] if similar else None


def _slot_features(s: Slot) -> tuple:
    return s.range, s.required, s.identifier, s.multivalued, s.pattern


def _slot_evidence(o: Slot, n: Slot) -> tuple[tuple[str, str], ...]:
    evidence = [("name similarity", f"{_similarity(o.name, n.name):.2f}")]
    if o.name in n.meta.aliases:
        evidence.append(("old name kept as an alias", ""))
    if o.description and _norm(o.description) == _norm(n.description):
        evidence.append(("same description", ""))
    evidence.append(("same range", n.range))
    return tuple(evidence)


# ------------------------------------------------------------------ renames: one removed and one added thing taken for one

RENAME_SIMILARITY = 0.7   # name similarity (difflib ratio, case-folded) that alone, with the same shape, makes a rename
T = TypeVar("T")


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a.casefold(), b.casefold()).ratio()


def _pair_renames(removed: dict[str, T], added: dict[str, T],
                  evidence: Callable[[T, T], tuple[float, tuple[tuple[str, str], ...]] | None]
                  ) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """(old name, new name, evidence) for each removed thing taken to be renamed to an added one: every pair
    ``evidence`` scores (None: not a rename), matched best score first, each thing at most once."""
    scored = []
    for r, old in removed.items():
        for a, new in added.items():
            found = evidence(old, new)
            if found is not None:
                scored.append((-found[0], r, a, found[1]))
    pairs, used_old, used_new = [], set(), set()
    for _score, r, a, why in sorted(scored):
        if r not in used_old and a not in used_new:
            used_old.add(r)
            used_new.add(a)
            pairs.append((r, a, why))
    return pairs


def _column_rename(position: dict[str, int], new_position: dict[str, int], only_pair: bool):
    """A removed source column is renamed to an added one of the same type when the names are alike, or when they
    sit at the same position and are the table's only removed and added column."""
    def evidence(o, n) -> tuple[float, tuple[tuple[str, str], ...]] | None:
        if o.native_type.casefold() != n.native_type.casefold():
            return None
        score = _similarity(o.name, n.name)
        same_place = position[o.name] == new_position[n.name]
        if score < RENAME_SIMILARITY and not (same_place and only_pair):
            return None
        why = [("name similarity", f"{score:.2f}"), ("same type", n.native_type)]
        if same_place:
            why.append(("same position", str(new_position[n.name] + 1)))
        if o.nullable == n.nullable:
            why.append(("same nullability", "NULL" if n.nullable else "NOT NULL"))
        if o.description and o.description == n.description:
            why.append(("same description", ""))
        return score + (0.5 if same_place else 0), tuple(why)
    return evidence


def _table_rename(o, n) -> tuple[float, tuple[tuple[str, str], ...]] | None:
    """A removed source table is renamed to an added one that holds the same columns (by name and type)."""
    old_cols = {(c.casefold(), col.native_type.casefold()) for c, col in o.columns.items()}
    new_cols = {(c.casefold(), col.native_type.casefold()) for c, col in n.columns.items()}
    shared = len(old_cols & new_cols) / max(1, len(old_cols | new_cols))
    if shared < 0.8:
        return None
    return shared, (("name similarity", f"{_similarity(o.name, n.name):.2f}"),
                    ("shared columns", f"{len(old_cols & new_cols)} of {len(old_cols | new_cols)}"))


def _derivation_rename(o: ClassDerivationSpec, n: ClassDerivationSpec) -> tuple[float, tuple[tuple[str, str], ...]] | None:
    """A removed derivation is renamed to an added one into the same class from the same table that populates
    mostly the same slots."""
    if o.target_class != n.target_class or str(o.populated_from) != str(n.populated_from):
        return None
    old_slots, new_slots = {sd.name for sd in o.slot_derivations}, {sd.name for sd in n.slot_derivations}
    shared = len(old_slots & new_slots) / max(1, len(old_slots | new_slots))
    if shared < 0.6:
        return None
    return shared + _similarity(o.name, n.name) / 10, (
        ("name similarity", f"{_similarity(o.name, n.name):.2f}"), ("same target class", n.target_class),
        ("same driving table", str(n.populated_from)),
        ("shared slot derivations", f"{len(old_slots & new_slots)} of {len(old_slots | new_slots)}"))


def _renamed_from(name: str, old: Dictionary, new: Dictionary) -> bool:
    removed = [old.slots[s] for s in old.slots if s not in new.slots]
    return any(_rename_target(r, [new.slots[name]]) is not None for r in removed)


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


# ============================================================================ generated files

def _render(snapshot: Snapshot, dialect: str, targets: list[str] | None) -> dict[str, dict[str, str]]:
    """Generator name -> {relative path: text} for a side whose plan validated."""
    if snapshot.plan is None:
        return {}
    from toolkit.emit.generate import GENERATORS, generator_names

    out = {}
    for name in targets or generator_names():
        try:
            out[name] = GENERATORS[name].files(snapshot.plan, dialect=dialect)
        except DictError:
            out[name] = {}
    return out


def _mentions(path: str, names: set[str]) -> bool:
    parts = path.split("/")
    stems = [p.split(".")[0] for p in parts]
    for n in names:
        if n in parts or n in stems or any(s.startswith(n + "_") or s.startswith(n + "__") for s in stems):
            return True
    return False


def _generated_touches(t: _Touch, owner: dict[str, str], changed: set[str], all_sources: set[str],
                       all_classes: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(generated files, translator files) belonging to the sources and classes a change touches."""
    names = t.sources | t.classes | {snake_case(c) for c in t.classes}
    known = all_sources | all_classes | {snake_case(c) for c in all_classes}
    touched, translators = [], []
    for rel in sorted(changed):
        specific = _mentions(rel, known)
        if (specific and _mentions(rel, names)) or (not specific and (t.classes or t.sources)):
            touched.append(f"generated/{rel}")
            if owner.get(rel) in TRANSLATOR_GENERATORS:
                translators.append(f"generated/{rel}")
    return tuple(touched), tuple(translators)


def diff_snapshots(old: Snapshot, new: Snapshot, base: str, commit: str, dialect: str = "duckdb",
                   targets: list[str] | None = None) -> DiffReport:
    differ = _Differ(old, new)
    differ.dictionary()
    differ.mappings()
    differ.plans()
    old_files, new_files = _render(old, dialect, targets), _render(new, dialect, targets)
    owner: dict[str, str] = {}
    old_flat: dict[str, str] = {}
    new_flat: dict[str, str] = {}
    for files, flat in ((old_files, old_flat), (new_files, new_flat)):
        for gen, fs in files.items():
            for rel, text in fs.items():
                owner.setdefault(rel, gen)
                flat[rel] = text
    if old_files and new_files:
        changed = {rel for rel in old_flat.keys() | new_flat.keys() if old_flat.get(rel) != new_flat.get(rel)}
    else:
        changed = set(old_flat) | set(new_flat)   # one side does not validate: anything may change
    all_sources = set(old.mappings) | set(new.mappings)
    all_classes = set()
    for d in (old.dictionary, new.dictionary):
        if d is not None:
            all_classes |= set(d.classes)
    changes = []
    seen = set()
    for change, t in differ.changes:
        key = (change.severity, change.kind, change.subject, change.message)
        if key in seen:
            continue
        seen.add(key)
        generated, translators = _generated_touches(t, owner, changed, all_sources, all_classes)
        mappings = tuple(sorted((MappingRef(f, line, what, side) for what, (f, line, side) in t.mappings.items()),
                                key=lambda m: (m.file, m.line, m.what)))
        lineage = tuple(sorted(t.lineage))   # edges only: the lineage files that change are under generated
        changes.append(Change(change.severity, change.kind, change.subject, change.message, change.file, change.line,
                              change.side, Touches(mappings, tuple(sorted(t.views)), translators, lineage, generated),
                              change.evidence))
    changes.sort(key=lambda c: (SEVERITIES.index(c.severity), c.file, c.line, c.kind, c.subject))
    return DiffReport(base, commit, tuple(changes), tuple(f"generated/{r}" for r in sorted(changed)),
                      old.problems, new.problems)


# ============================================================================ text for people

def format_text(report: DiffReport, limit: int = 12) -> str:
    lines = [f"dict diff: {report.base} ({report.base_commit[:12]}) -> working tree",
             f"{len(report.breaking)} breaking, {len(report.compatible)} compatible change(s)"]
    if report.new_problems:
        lines.append(f"the working tree does not validate ({len(report.new_problems)} problem(s)); changes are from what loads:")
        lines += [f"  {p}" for p in report.new_problems[:limit]]
    if report.old_problems:
        lines.append(f"{report.base} does not validate ({len(report.old_problems)} problem(s)); changes are from what loads")
    for c in report.changes:
        at = "" if c.side == "new" else " (at base)"
        lines += ["", f"{c.severity.upper():<10} {c.kind}  {c.subject}", f"  {c.file}:{c.line}{at}: {c.message}"]
        if c.evidence:
            lines.append(f"  {'evidence:':<13}" + "; ".join(f"{k} {v}" if v else k for k, v in c.evidence))
        for label, items in (("mappings", c.touches.mappings), ("views", c.touches.views),
                             ("translators", c.touches.translators), ("lineage", c.touches.lineage),
                             ("generated", c.touches.generated)):
            if not items:
                continue
            shown = [str(item) for item in items[:limit]]
            more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
            if label == "views":
                lines.append(f"  {label + ':':<13}{', '.join(shown)}{more}")
            else:
                lines.append(f"  {label + ':':<13}{shown[0]}")
                lines += [f"  {'':<13}{item}" for item in shown[1:]]
                if more:
                    lines.append(f"  {'':<13}{more.strip()}")
    if not report.changes:
        lines.append("no changes to the dictionary or mappings")
    return "\n".join(lines)
