"""Survivorship rules: which source record's value a golden record keeps, read from plain LinkML annotations.

A slot says how its golden value is chosen among the records of one entity (``annotations: {survive: ...}``
on the slot, or in the class's ``slot_usage``):

- ``source_priority`` (or ``source_priority(crm, billing)``): the record of the first source in the order;
- ``most_recent(<date or timestamp slot>)``: the record with the latest value of that slot;
- ``most_complete``: the record whose value is longest (a group: the one with most of its slots filled);
- ``most_frequent``: the value most records of the entity hold.

A matched class ranks its sources (``survive_sources: crm, billing, ...``), may give the rule of slots that
have none (``survive_default``, else ``most_complete``) and names slots that must come from one source
record (``survive_together: address_line_1+address_line_2+postcode, ...``). A null never wins over a value;
every tie is broken by the source ranking, then the source table and the record's key, so every engine
picks the same record. The values are hostile text: every name must be a slot of the class or a ranked
source, every rule one of ``RULES``; nothing else is accepted, so nothing from them reaches SQL but a
validated name or an escaped literal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.core.errors import Problems
from toolkit.load.yamlsource import Node
from toolkit.load.match_hints import _shown, annotation

RULES = ("source_priority", "most_recent", "most_complete", "most_frequent")
CLASS_KEYS = ("survive_sources", "survive_default", "survive_together")
DEFAULT_RULE = "most_complete"
_RULE = re.compile(r"\s*([a-z_]+)\s*(?:\(([^()]*)\))?\s*")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")


@dataclass(frozen=True)
class Rule:
    kind: str
    timestamp: str = ""                 # most_recent: the date or timestamp slot read
    sources: tuple[str, ...] = ()       # source_priority(...): its own order (else the class's ranking)
    file: str = ""
    line: int = 0

    @property
    def text(self) -> str:
        if self.kind == "most_recent":
            return f"most_recent({self.timestamp})"
        if self.kind == "source_priority" and self.sources:
            return f"source_priority({', '.join(self.sources)})"
        return self.kind

    def same(self, other: "Rule") -> bool:
        return (self.kind, self.timestamp, self.sources) == (other.kind, other.timestamp, other.sources)


@dataclass(frozen=True)
class Unit:
    """Slots whose golden values come from one source record, and the rule that picks it."""

    slots: tuple[str, ...]
    rule: Rule
    together: bool = False   # named by survive_together
    line: int = 0


@dataclass(frozen=True)
class Survivorship:
    sources: tuple[str, ...]   # the class's source ranking, first wins
    units: tuple[Unit, ...]    # every single-valued slot of the class, each in exactly one unit
    file: str = ""
    line: int = 0

    def unit_of(self, slot: str) -> Unit | None:
        return next((u for u in self.units if slot in u.slots), None)

    def ranking(self, mapped: list[str] | tuple[str, ...], rule: Rule | None = None) -> tuple[str, ...]:
        """The order of ``mapped`` sources for ``rule`` (its own order, then the class's, then by name)."""
        order = [*(rule.sources if rule else ()), *self.sources]
        ranked = [s for s in dict.fromkeys(order) if s in mapped]
        return tuple(ranked + sorted(s for s in mapped if s not in ranked))


def parse_rule(value: object, where: str, display: str, line: int, problems: Problems) -> Rule | None:
    """``value`` as a Rule, or None with a problem at ``line`` (``where`` names the slot or class)."""
    match = _RULE.fullmatch(value) if isinstance(value, str) else None
    kind = match.group(1) if match else ""
    if kind not in RULES:
        problems.add(display, line, f"{where}: survivorship rule {_shown(value)} is not one dict knows",
                     "use source_priority, source_priority(crm, billing), most_recent(<date slot>), most_complete "
                     "or most_frequent")
        return None
    args = [a.strip() for a in match.group(2).split(",")] if match.group(2) is not None else []
    bad = next((a for a in args if not _NAME.fullmatch(a)), None)
    if bad is not None:
        problems.add(display, line, f"{where}: {kind} names {_shown(bad)}, which is not a plain name",
                     "names are letters, digits and '_', separated by commas")
        return None
    if kind == "most_recent" and len(args) != 1:
        problems.add(display, line, f"{where}: most_recent needs the date or timestamp slot it reads",
                     "e.g. most_recent(updated_at)")
        return None
    if kind in ("most_complete", "most_frequent") and match.group(2) is not None:
        problems.add(display, line, f"{where}: {kind} takes no arguments", f"write {kind}")
        return None
    if kind == "source_priority" and match.group(2) is not None and not any(args):
        problems.add(display, line, f"{where}: source_priority() names no source", "e.g. source_priority(crm, billing)")
        return None
    if kind == "source_priority" and len(set(args)) != len(args):
        problems.add(display, line, f"{where}: source_priority names a source twice", "list each source once")
        return None
    return Rule(kind, args[0] if kind == "most_recent" else "", tuple(args) if kind == "source_priority" else (),
                display, line)


def slot_rule(node: Node, name: str, display: str, problems: Problems, inherited: Rule | None = None) -> Rule | None:
    """The slot's ``survive`` rule (None when it has none); a bad one is a problem at its line."""
    found = annotation(node, "survive")
    if found is None:
        return inherited
    value, line = found
    return parse_rule(value, f"slot '{name}'", display, line, problems)


def class_survivorship(node: Node, name: str, display: str, slots: tuple, matched: bool,
                       problems: Problems) -> Survivorship | None:
    """The matched class's survivorship (every single-valued slot in one unit), or None when it is not matched."""
    annotations = node.get("annotations")
    keys = [k for k in annotations if str(k).startswith("survive")] if isinstance(annotations, dict) else []
    for key in keys:
        if key not in CLASS_KEYS:
            problems.add(display, annotations.line_of(key) if isinstance(annotations, Node) else node.line,
                         f"class '{name}': unknown survivorship annotation '{key}'", f"use {', '.join(CLASS_KEYS)}")
    if not matched:
        for key in keys:
            if key in CLASS_KEYS:
                problems.add(display, annotation(node, key)[1], f"class '{name}': {key} needs match_blocking",
                             "golden records are built over the entities `dict match` finds: give the class match hints")
        return None
    where = f"class '{name}'"
    slot_names = [s.name for s in slots if not s.multivalued]
    by_name = {s.name: s for s in slots}
    sources: tuple[str, ...] = ()
    found = annotation(node, "survive_sources")
    sources_line = found[1] if found is not None else node.line
    if found is not None:
        names = [n.strip() for n in found[0].split(",")] if isinstance(found[0], str) else [None]
        bad = next((n for n in names if not isinstance(n, str) or not _NAME.fullmatch(n)), "")
        if bad != "" or not names:
            problems.add(display, found[1], f"{where}: survive_sources must list source names such as 'crm, billing'",
                         f"not {_shown(found[0])}")
        elif len(set(names)) != len(names):
            problems.add(display, found[1], f"{where}: survive_sources names a source twice", "rank each source once")
        else:
            sources = tuple(names)
    default = Rule(DEFAULT_RULE, file=display, line=node.line)
    found = annotation(node, "survive_default")
    if found is not None:
        default = parse_rule(found[0], f"{where} survive_default", display, found[1], problems) or default
    rules = {}
    for slot in slots:
        rule = getattr(slot, "survive", None)
        if rule is not None and not slot.multivalued:
            rules[slot.name] = rule
    units: list[Unit] = []
    grouped: dict[str, int] = {}
    found = annotation(node, "survive_together")
    if found is not None:
        value, line = found
        groups = [[n.strip() for n in g.split("+")] for g in value.split(",")] if isinstance(value, str) and value.strip() else None
        if groups is None:
            problems.add(display, line, f"{where}: survive_together must be groups of slots such as "
                         "'address_line_1+address_line_2+postcode'", f"not {_shown(value)}")
            groups = []
        for group in groups:
            bad = next((n for n in group if n not in slot_names), None)
            if bad is not None:
                problems.add(display, line, f"{where}: survive_together names {_shown(bad)}, which is not a "
                             "single-valued slot of the class", "choose from: " + ", ".join(slot_names))
                continue
            twice = next((n for n in group if n in grouped or group.count(n) > 1), None)
            if twice is not None:
                problems.add(display, line, f"{where}: survive_together names slot '{twice}' twice",
                             "a slot belongs to one group")
                continue
            given = [rules[n] for n in group if n in rules]
            if any(not r.same(given[0]) for r in given[1:]):
                problems.add(display, line, f"{where}: the slots of group {'+'.join(group)} have different survivorship "
                             f"rules ({', '.join(sorted({r.text for r in given}))})",
                             "slots from one source record are chosen by one rule: give them the same one")
                continue
            for n in group:
                grouped[n] = len(units)
            units.append(Unit(tuple(group), given[0] if given else default, True, line))
    for slot in slot_names:
        if slot not in grouped:
            units.append(Unit((slot,), rules.get(slot, default), False, rules[slot].line if slot in rules else 0))
    for unit in units:
        rule = unit.rule
        if rule.kind == "most_recent":
            stamp = by_name.get(rule.timestamp)
            if stamp is None or stamp.multivalued:
                problems.add(rule.file or display, rule.line, f"{where}: most_recent reads '{rule.timestamp}', which is "
                             "not a slot of the class", "choose a date or timestamp slot of the class: "
                             + (", ".join(s.name for s in slots if s.type.temporal) or "none"))
            elif not stamp.type.temporal:
                problems.add(rule.file or display, rule.line, f"{where}: most_recent reads '{rule.timestamp}', which is "
                             f"{stamp.type.value}, not a date or timestamp", "choose a date or timestamp slot")
        unknown = next((s for s in rule.sources if s not in sources), None)
        if unknown is not None:
            problems.add(rule.file or display, rule.line, f"{where}: source_priority names source '{unknown}', which "
                         "survive_sources does not rank", "rank it in the class's survive_sources: "
                         + (", ".join(sources) or "(none given)"))
    return Survivorship(sources, tuple(units), display, sources_line)


def check_sources(survivorship: Survivorship, cls: str, mapped: list[str], problems: Problems) -> None:
    """A ranked name no mapping defines, close to a mapped source the ranking misses, is a misspelling (the
    real source would silently rank last). Other unmapped names are another estate's sources; other
    unranked sources rank after the ranked ones, by name."""
    import difflib

    unranked = [s for s in mapped if s not in survivorship.sources]
    for name in survivorship.sources:
        if name in mapped:
            continue
        close = difflib.get_close_matches(name, unranked, n=1, cutoff=0.6)
        if close:
            problems.add(survivorship.file, survivorship.line,
                         f"class '{cls}': survive_sources ranks '{name}', which no mapping defines, and not "
                         f"'{close[0]}', which maps the class", f"did you mean '{close[0]}'?")
