"""The enterprise dictionary, read once from its LinkML YAML into a typed model.

Nothing downstream sees LinkML or SchemaView: the plan and generators read these
dataclasses. Inheritance is not used by the dictionary, so a class's slots are its
``slots`` list refined by ``slot_usage``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.core.errors import DictError, Problem, Problems
from toolkit.core.regex_safety import UnsafePattern, check_pattern
from toolkit.core.paths import display_path
from toolkit.core.types import LINKML_RANGES, Type
from toolkit.load.yamlsource import Node, Seq, folder_files, load_yaml
from toolkit.core.names import fold_case
from toolkit.load.match_hints import MatchHints, class_hints, slot_kind
from toolkit.load.survivorship import Rule, Survivorship, class_survivorship, slot_rule
from toolkit.load.standards import check_curies, declared_prefixes, term_mappings

_SLOT_KEYS = {"description", "range", "required", "identifier", "pattern", "multivalued", "title", "aliases",
              "structured_aliases", "annotations", "examples", "comments", "see_also", "in_subset", "exact_mappings",
              "close_mappings", "related_mappings", "broad_mappings", "narrow_mappings", "slot_uri", "recommended",
              "minimum_value", "maximum_value", "domain", "ifabsent", "inlined", "unit", "deprecated", "keywords",
              "notes", "todos", "status", "rank", "key", "equals_string", "designates_type", "mappings"}
_CLASS_KEYS = {"description", "slots", "slot_usage", "title", "aliases", "structured_aliases", "annotations",
               "class_uri", "tree_root", "examples", "comments", "see_also", "in_subset", "exact_mappings",
               "close_mappings", "related_mappings", "broad_mappings", "narrow_mappings", "abstract",
               "deprecated", "keywords", "notes", "todos", "status", "rank", "mappings"}
_UNSUPPORTED_CLASS_KEYS = {"is_a", "mixins", "attributes"}
_ENUM_KEYS = {"description", "permissible_values", "title", "aliases", "structured_aliases", "annotations",
              "enum_uri", "examples", "comments", "see_also", "in_subset", "exact_mappings", "close_mappings",
              "related_mappings", "broad_mappings", "narrow_mappings", "deprecated", "keywords", "notes", "todos",
              "status", "rank", "mappings"}
_PV_KEYS = {"description", "meaning", "title", "aliases", "structured_aliases", "annotations", "examples", "comments",
            "see_also", "in_subset", "exact_mappings", "close_mappings", "related_mappings", "broad_mappings",
            "narrow_mappings", "deprecated", "keywords", "notes", "todos", "status", "rank", "mappings"}


@dataclass(frozen=True)
class Meta:
    """Business metadata every term carries."""

    title: str = ""
    labels: tuple[tuple[str, str], ...] = ()  # (language, label), e.g. ("zh", "客户")
    aliases: tuple[str, ...] = ()
    steward: str = ""
    pii: str = ""
    mappings: tuple[tuple[str, str], ...] = ()  # (LinkML mapping key, CURIE), e.g. ("exact_mappings", "schema:name")

    def label(self, language: str) -> str:
        return dict(self.labels).get(language, "")


@dataclass(frozen=True)
class PermissibleValue:
    text: str
    description: str = ""
    meaning: str = ""


@dataclass(frozen=True)
class EnumDef:
    name: str
    description: str
    values: tuple[PermissibleValue, ...]
    file: str = ""
    line: int = 0
    mappings: tuple[tuple[str, str], ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(v.text for v in self.values)


@dataclass(frozen=True)
class Slot:
    name: str
    description: str
    range: str
    type: Type
    required: bool = False
    identifier: bool = False
    pattern: str = ""
    multivalued: bool = False
    enum: EnumDef | None = None
    references: str = ""  # class name when the range is a class (a reference by identifier)
    minimum_value: int | float | None = None
    maximum_value: int | float | None = None
    meta: Meta = field(default_factory=Meta)
    file: str = ""
    line: int = 0
    match: str = ""   # how identity resolution compares it (toolkit/load/match_hints.py KINDS), '' if not
    survive: Rule | None = None   # how a golden record picks its value (toolkit/load/survivorship.py)


@dataclass(frozen=True)
class Freshness:
    """A class annotation ``max_age`` (with ``freshness_slot`` naming the date or timestamp it reads):
    a row whose slot is older than ``days`` is stale (``dict test`` counts and lists them)."""

    slot: str
    days: int


@dataclass(frozen=True)
class ClassDef:
    name: str
    description: str
    slots: tuple[Slot, ...]
    meta: Meta = field(default_factory=Meta)
    file: str = ""
    line: int = 0
    match: MatchHints | None = None   # identity resolution hints (toolkit/load/match_hints.py), None if not matched
    freshness: Freshness | None = None
    survive: Survivorship | None = None   # golden record rules of a matched class (matching/survivorship.py)
    partition_by: tuple[str, ...] = ()   # slots its Parquet canonical table is partitioned by (annotation partition_by)

    @property
    def identifier(self) -> Slot | None:
        return next((s for s in self.slots if s.identifier), None)

    def slot(self, name: str) -> Slot | None:
        return next((s for s in self.slots if s.name == name), None)

    @property
    def table_name(self) -> str:
        """snake_case name of the class's views and tables."""
        return snake_case(self.name)


@dataclass(frozen=True)
class Dictionary:
    name: str
    description: str
    version: str
    classes: dict[str, ClassDef]
    slots: dict[str, Slot]
    enums: dict[str, EnumDef]
    files: tuple[str, ...] = ()
    prefixes: dict[str, str] = field(default_factory=dict)  # every file's, for the CURIEs of the mappings


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _meta(node: Node) -> Meta:
    labels = []
    for alias in node.get("structured_aliases") or ():
        if isinstance(alias, dict) and alias.get("in_language"):
            labels.append((str(alias["in_language"]), str(alias.get("literal_form", ""))))
    annotations = node.get("annotations") or {}

    def annotation(key: str) -> str:
        value = annotations.get(key) if isinstance(annotations, dict) else None
        if isinstance(value, dict):
            value = value.get("value")
        return "" if value is None else str(value)

    return Meta(str(node.get("title") or ""), tuple(sorted(labels)), tuple(str(a) for a in node.get("aliases") or ()),
                annotation("steward"), annotation("pii"), term_mappings(node))


def _name_refusal(kind: str, key: str) -> tuple[str, str] | None:
    """(message, hint) when ``key`` cannot name a term of ``kind``: the views, their columns and the
    generated code are named after classes and slots."""
    if not key.strip():
        return f"{kind} name {key!r} is blank", "every term needs a name"
    if kind in ("slot", "class") and "." in key:
        # some engines (BigQuery) read a dot even in a quoted name as a path, dataset.table or table.column
        return f"{kind} name '{key}' contains '.', which reads as a path in SQL", "use another character, e.g. '_'"
    if kind == "class" and key.startswith("#"):
        # the class's integrated view is named after it; SQL Server reads #name as a temporary table
        return f"class name '{key}' starts with '#', which SQL Server reads as a temporary table", "rename the class"
    if kind == "slot" and key.lower() in ("true", "false"):
        # SQLite ignores a subquery column alias TRUE or FALSE: the views could not select the slot
        return (f"slot name '{key}' is SQL's boolean literal, which SQLite cannot use as a column name in a view",
                "rename the slot")
    if kind == "slot" and key.startswith("_"):
        # views carry _source_system, _source_key, _reject_reason, _raw__<slot>, ... beside the slots
        return f"slot name '{key}' starts with '_', which is reserved for provenance and check columns", "rename the slot"
    return None


def load_dictionary(directory: Path, root: Path | None = None) -> Dictionary:
    """Read every LinkML schema file in ``directory`` (local imports are followed by being in the folder)."""
    root = root or directory.parent
    files = folder_files(directory, "*.yaml", str(directory)) + folder_files(directory, "*.yml", str(directory))
    if not files:
        raise DictError(Problem(str(directory), 1, "no dictionary schema (*.yaml) found"))
    problems = Problems()
    raw_slots: dict[str, tuple[Node, str]] = {}
    raw_classes: dict[str, tuple[Node, str]] = {}
    raw_enums: dict[str, tuple[Node, str]] = {}
    refused_slots: set[str] = set()   # refused for their name: a class listing one is not told to define it
    name = description = version = ""
    prefixes: dict[str, str] = {}
    docs: list[tuple[Node, str]] = []
    for path in files:
        display = display_path(path, root)
        doc = load_yaml(path, display, root)
        if not isinstance(doc, Node):
            problems.add(display, 1, "a LinkML schema must be a mapping")
            continue
        prefixes.update(declared_prefixes(doc, display, problems))
        docs.append((doc, display))
        if not name:
            name, description, version = str(doc.get("name", "")), str(doc.get("description", "")), str(doc.get("version", ""))
        for section, store in (("slots", raw_slots), ("classes", raw_classes), ("enums", raw_enums)):
            node = doc.get(section)
            if node is None:
                continue
            if not isinstance(node, Node):
                problems.add(display, doc.line_of(section), f"'{section}' must be a mapping of names to definitions")
                continue
            kind = {"slots": "slot", "classes": "class", "enums": "enum"}[section]
            for key, value in node.items():
                line = node.line_of(key)
                if value is None:
                    value = Node(display, line)
                if not isinstance(value, Node):
                    problems.add(display, line, f"{kind} '{key}' must be a mapping")
                    continue
                if key in store:
                    problems.add(display, line, f"{kind} '{key}' is defined twice")
                    continue
                refusal = _name_refusal(kind, key)
                if refusal:
                    problems.add(display, line, *refusal)
                    if kind == "slot":
                        refused_slots.add(key)
                    continue
                store[key] = (value, display)
    for doc, display in docs:
        check_curies(doc, display, prefixes, problems)
    _check_case_collisions(problems, raw_slots, "slot")
    _check_case_collisions(problems, raw_classes, "class")
    _check_case_collisions(problems, raw_enums, "enum")

    enums = {n: _enum(n, node, f, problems) for n, (node, f) in raw_enums.items()}
    slots = {n: _slot(n, node, f, enums, raw_classes, problems) for n, (node, f) in raw_slots.items()}
    classes = {}
    for cname, (node, display) in raw_classes.items():
        classes[cname] = _class(cname, node, display, slots, enums, raw_classes, problems, refused_slots)
    problems.raise_if_any()
    return Dictionary(name, description, version, classes, slots, enums, tuple(display_path(p, root) for p in files),
                      prefixes)


def _check_case_collisions(problems: Problems, store: dict, kind: str) -> None:
    seen: dict[str, str] = {}
    for name, (node, display) in store.items():
        if fold_case(name) in seen:
            problems.add(display, node.line, f"{kind} '{name}' differs only in case from '{seen[fold_case(name)]}'",
                         "SQL folds identifiers' case: rename one")
        seen.setdefault(fold_case(name), name)


def _enum(name: str, node: Node, display: str, problems: Problems) -> EnumDef:
    values = []
    pvs = node.get("permissible_values") or {}
    if not isinstance(pvs, dict) or not pvs:
        problems.add(display, node.line, f"enum '{name}' needs permissible_values")
        pvs = {}
    for key in node:
        if key not in _ENUM_KEYS:
            problems.add(display, node.line_of(key), f"unknown key '{key}' in enum '{name}'")
    for text, pv in pvs.items():
        pv = pv or {}
        if not isinstance(pv, dict):
            problems.add(display, pvs.line_of(text), f"permissible value '{text}' of enum '{name}' must be a mapping "
                         f"(e.g. {text}: {{description: ...}}), not {type(pv).__name__}")
            pv = {}
        for key in pv:
            if key not in _PV_KEYS:
                problems.add(display, pv.line_of(key), f"unknown key '{key}' in permissible value '{text}' of enum '{name}'")
        values.append(PermissibleValue(str(text), str(pv.get("description", "") or ""), str(pv.get("meaning", "") or "")))
    return EnumDef(name, str(node.get("description", "") or ""), tuple(values), display, node.line, term_mappings(node))


def _slot(name: str, node: Node, display: str, enums: dict, classes: dict, problems: Problems,
          base: Slot | None = None) -> Slot:
    for key in node:
        if key not in _SLOT_KEYS:
            problems.add(display, node.line_of(key), f"unknown key '{key}' in slot '{name}'")
    rng = str(node.get("range", base.range if base else "string") or "string")
    enum = enums.get(rng)
    references = rng if rng in classes else ""
    if rng in LINKML_RANGES:
        typ = LINKML_RANGES[rng]
    elif enum or references:
        typ = Type.STRING
    else:
        problems.add(display, node.line_of("range"), f"slot '{name}' has unknown range '{rng}'",
                     "use a LinkML type (string, integer, decimal, date, ...), an enum or a class")
        typ = Type.STRING
    pattern = str(node.get("pattern", base.pattern if base else "") or "")
    if pattern:
        try:
            check_pattern(pattern)
        except UnsafePattern as exc:
            problems.add(display, node.line_of("pattern"), f"slot '{name}': {exc.message}", exc.hint)
    meta = _meta(node) if base is None else base.meta
    bounds = {}
    for key in ("minimum_value", "maximum_value"):
        value = node.get(key, getattr(base, key) if base else None)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problems.add(display, node.line_of(key), f"slot '{name}': {key} must be a number")
            value = None
        if value is not None and not typ.numeric:
            problems.add(display, node.line_of(key), f"slot '{name}': {key} needs a numeric range, not {rng}")
            value = None
        bounds[key] = value
    return Slot(
        name=name,
        description=str(node.get("description", base.description if base else "") or ""),
        range=rng, type=typ,
        required=_flag(node, "required", base.required if base else False, name, display, problems),
        identifier=_flag(node, "identifier", base.identifier if base else False, name, display, problems),
        pattern=pattern,
        multivalued=_flag(node, "multivalued", base.multivalued if base else False, name, display, problems),
        enum=enum, references=references, meta=meta, **bounds,
        file=base.file if base else display, line=base.line if base else node.line,
        match=slot_kind(node, name, display, problems, base.match if base else ""),
        survive=slot_rule(node, name, display, problems, base.survive if base else None),
    )


def _flag(node: Node, key: str, default: bool, slot: str, display: str, problems: Problems) -> bool:
    """A true/false setting; "no" in quotes is text, and text would read as true."""
    value = node.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        problems.add(display, node.line_of(key), f"slot '{slot}': {key} must be true or false, not {value!r}")
        return default
    return value


def _class(name: str, node: Node, display: str, slots: dict[str, Slot], enums: dict, classes: dict,
           problems: Problems, refused_slots: set[str] = frozenset()) -> ClassDef:
    for key in node:
        if key in _UNSUPPORTED_CLASS_KEYS:
            problems.add(display, node.line_of(key), f"class '{name}' uses '{key}'",
                         "the dictionary is flat: list shared slots under 'slots' instead")
        elif key not in _CLASS_KEYS:
            problems.add(display, node.line_of(key), f"unknown key '{key}' in class '{name}'")
    slot_names = node.get("slots") or []
    if not isinstance(slot_names, list):
        problems.add(display, node.line_of("slots"), f"'slots' of class '{name}' must be a list of slot names")
        slot_names = []
    usage = node.get("slot_usage") or {}
    induced = []
    for i, slot_name in enumerate(slot_names):
        line = slot_names.item_lines[i] if isinstance(slot_names, Seq) else node.line
        slot = slots.get(slot_name)
        if slot is None:
            if slot_name not in refused_slots:   # else its definition's line already says why
                problems.add(display, line, f"class '{name}' lists unknown slot '{slot_name}'",
                             "define it under the top-level 'slots'")
            continue
        if slot_name in usage and isinstance(usage[slot_name], Node):
            slot = _slot(slot_name, usage[slot_name], display, enums, classes, problems, base=slot)
        induced.append(slot)
    for slot_name in usage:
        if slot_name not in slot_names:
            problems.add(display, usage.line_of(slot_name), f"slot_usage of class '{name}' names '{slot_name}', which the class does not list")
    if sum(1 for s in induced if s.identifier) > 1:
        problems.add(display, node.line, f"class '{name}' has more than one identifier slot")
    freshness = _freshness(name, node, display, induced, problems)
    match = class_hints(node, name, display, tuple(induced), problems)
    return ClassDef(name, str(node.get("description", "") or ""), tuple(induced), _meta(node), display, node.line,
                    match=match, freshness=freshness,
                    survive=class_survivorship(node, name, display, tuple(induced), match is not None, problems),
                    partition_by=_partition_by(name, node, display, induced, problems))


PARTITION_TYPES = (Type.STRING, Type.INTEGER, Type.DATE, Type.BOOLEAN)   # few distinct values make a folder each
MAX_PARTITION_SLOTS = 3


def _partition_by(name: str, node: Node, display: str, slots: list[Slot], problems: Problems) -> tuple[str, ...]:
    """The class's ``partition_by`` annotation: slots of the class, comma-separated, whose values name the folders
    its Parquet canonical table is split into (Spark targets). Not the identifier (a folder per row)."""
    annotations = node.get("annotations")
    if not isinstance(annotations, Node) or "partition_by" not in annotations:
        return ()
    line = annotations.line_of("partition_by")
    raw = annotations.get("partition_by")
    text = str((raw.get("value") if isinstance(raw, Node) else raw) or "")
    names = [n.strip() for n in text.split(",")]
    fit = [s.name for s in slots if s.type in PARTITION_TYPES and not s.identifier and not s.multivalued]
    hint = f"name up to {MAX_PARTITION_SLOTS} of: {', '.join(fit) or '(none)'}"
    if not text.strip() or len(names) > MAX_PARTITION_SLOTS or len(set(names)) != len(names):
        problems.add(display, line, f"class '{name}': partition_by '{text}' is not a list of distinct slots", hint)
        return ()
    for slot_name in names:
        slot = next((s for s in slots if s.name == slot_name), None)
        if slot is None:
            problems.add(display, line, f"class '{name}': partition_by names '{slot_name}', which the class does not list", hint)
        elif slot_name not in fit:
            why = "the identifier (a folder per row)" if slot.identifier else f"a {slot.type.value} slot"
            problems.add(display, line, f"class '{name}': partition_by slot '{slot_name}' is {why}", hint)
        else:
            continue
        return ()
    return tuple(names)


_AGE = re.compile(r"\s*(?:P(\d{1,5})D|(\d{1,5})\s*(days?|d|weeks?|w|months?|years?|y))\s*", re.IGNORECASE)
_DAYS_PER = {"d": 1, "w": 7, "m": 30, "y": 365}


def _freshness(name: str, node: Node, display: str, slots: list[Slot], problems: Problems) -> Freshness | None:
    """The class's ``max_age`` annotation over its ``freshness_slot`` (or its only date/timestamp slot)."""
    annotations = node.get("annotations")
    if not isinstance(annotations, Node) or "max_age" not in annotations:
        return None
    line = annotations.line_of("max_age")

    def value(key: str) -> str:
        raw = annotations.get(key)
        return str((raw.get("value") if isinstance(raw, Node) else raw) or "").strip()

    age = _AGE.fullmatch(value("max_age"))
    if age is None:
        problems.add(display, line, f"class '{name}': max_age '{value('max_age')}' is not an age",
                     "write e.g. '30 days', '6 months', '2 years' or 'P30D'")
        return None
    days = int(age.group(1)) if age.group(1) else int(age.group(2)) * _DAYS_PER[age.group(3)[0].lower()]
    temporal = [s.name for s in slots if s.type in (Type.DATE, Type.DATETIME)]
    slot = value("freshness_slot") or (temporal[0] if len(temporal) == 1 else "")
    if slot not in temporal:
        problems.add(display, line, f"class '{name}': max_age needs a date or timestamp slot of the class to read, "
                     f"but freshness_slot is '{slot}'", f"add annotation freshness_slot: one of {', '.join(temporal) or '(none)'}")
        return None
    return Freshness(slot, days)
