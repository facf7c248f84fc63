"""Match hints: which slots identify a party and how to compare them, read from plain LinkML annotations.

A slot says how it is compared (``annotations: {match: person_name}``); a class that is matched says how
candidate pairs are found (``match_blocking``), which blocks train the model (``match_training``, chosen
so that a block never holds mostly members of one household: the "household trap"), which slots put two
people in one household (``match_household``) and the probability from which two records are one party
(``match_threshold``). The values are hostile text: every name must be a slot of the class, every kind
one of ``KINDS``; nothing else is accepted, so nothing from them reaches SQL but a validated slot name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.core.errors import Problems
from toolkit.load.yamlsource import Node

# how a slot is compared (see toolkit/run/matching/model.py for the comparison each one builds)
KINDS = ("person_name", "given_name", "family_name", "organisation_name", "email", "phone", "date",
         "postcode", "address", "identifier", "text")
# kinds that tell two members of one household apart; the others (family name, address, postcode)
# are shared by a household, so blocks made only of them train a model that matches households
PERSON_KINDS = ("person_name", "given_name", "date", "identifier", "email", "phone")
CLASS_KEYS = ("match_blocking", "match_training", "match_household", "match_threshold")
_SLOT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
DEFAULT_THRESHOLD = 0.9


@dataclass(frozen=True)
class MatchHints:
    """A matched class's hints; ``slots`` maps each compared slot to its kind, in the class's order."""

    slots: tuple[tuple[str, str], ...]
    blocking: tuple[tuple[str, ...], ...]
    training: tuple[tuple[str, ...], ...]
    household: tuple[str, ...]
    threshold: float
    file: str = ""
    line: int = 0

    def kind(self, slot: str) -> str:
        return dict(self.slots).get(slot, "")


def annotation(node: Node, key: str) -> tuple[object, int] | None:
    """(value, line) of annotation ``key``, or None; LinkML allows ``key: value`` and ``key: {value: ...}``."""
    annotations = node.get("annotations")
    if not isinstance(annotations, dict) or key not in annotations:
        return None
    value = annotations[key]
    line = annotations.line_of(key) if isinstance(annotations, Node) else node.line
    if isinstance(value, dict):
        value = value.get("value")
    return value, line


def slot_kind(node: Node, name: str, display: str, problems: Problems, inherited: str = "") -> str:
    """The slot's ``match`` kind ('' when it is not compared); a bad one is a problem at its line."""
    found = annotation(node, "match")
    if found is None:
        return inherited
    value, line = found
    if not isinstance(value, str) or value not in KINDS:
        problems.add(display, line, f"slot '{name}': match hint {_shown(value)} is not a comparison dict knows",
                     f"use one of {', '.join(KINDS)}")
        return ""
    if not _SLOT_NAME.fullmatch(name):
        problems.add(display, line, f"slot '{name}': a compared slot needs a plain name (letters, digits, '_')",
                     "rename the slot or drop its match hint")
        return ""
    return value


def class_hints(node: Node, name: str, display: str, slots: tuple, problems: Problems) -> MatchHints | None:
    """The class's match hints, or None when it has no ``match_blocking`` (it is not matched)."""
    annotations = node.get("annotations")
    if isinstance(annotations, dict):
        for key in annotations:
            if str(key).startswith("match") and key not in CLASS_KEYS:
                problems.add(display, annotations.line_of(key) if isinstance(annotations, Node) else node.line,
                             f"class '{name}': unknown match hint '{key}'", f"use {', '.join(CLASS_KEYS)}")
    blocking = annotation(node, "match_blocking")
    if blocking is None:
        for key in CLASS_KEYS[1:]:
            found = annotation(node, key)
            if found is not None:
                problems.add(display, found[1], f"class '{name}': {key} needs match_blocking",
                             "say how candidate pairs are found, e.g. match_blocking: given_name+family_name, birth_date")
        return None
    compared = tuple((s.name, s.match) for s in slots if getattr(s, "match", ""))
    if not compared:
        problems.add(display, blocking[1], f"class '{name}': match_blocking is set but no slot of the class has a "
                     "match hint", "annotate the identifying slots, e.g. annotations: {match: person_name}")
        return None
    kinds = dict(compared)
    rules = _rules(blocking, "match_blocking", name, display, kinds, problems)
    training_found = annotation(node, "match_training")
    training = (_rules(training_found, "match_training", name, display, kinds, problems) if training_found
                else default_training(rules, kinds))
    household_found = annotation(node, "match_household")
    household: tuple[str, ...] = ()
    if household_found is not None:
        every = {s.name for s in slots}
        parsed = _rules(household_found, "match_household", name, display, {n: "" for n in every}, problems)
        if len(parsed) != 1:
            problems.add(display, household_found[1], f"class '{name}': match_household must be one group of slots "
                         "joined by '+'", "e.g. match_household: family_name+postcode")
        household = parsed[0] if parsed else ()
    threshold = _threshold(annotation(node, "match_threshold"), name, display, problems)
    return MatchHints(compared, rules, training, household, threshold, display, blocking[1])


def default_training(rules: tuple[tuple[str, ...], ...], kinds: dict[str, str]) -> tuple[tuple[str, ...], ...]:
    """The blocking rules that hold a slot telling household members apart (given name, birth date, ...):
    a block on address or family name alone is mostly households, and EM would learn "same household"."""
    return tuple(r for r in rules if any(kinds.get(s) in PERSON_KINDS for s in r)) or rules


def _rules(found: tuple[object, int], key: str, cls: str, display: str, allowed: dict[str, str],
           problems: Problems) -> tuple[tuple[str, ...], ...]:
    """'a+b, c' -> (('a', 'b'), ('c',)); every name a slot ``allowed`` names, or a problem at the line."""
    value, line = found
    if not isinstance(value, str) or not value.strip():
        problems.add(display, line, f"class '{cls}': {key} must be text such as 'given_name+family_name, birth_date'",
                     f"not {_shown(value)}")
        return ()
    rules = []
    for rule in value.split(","):
        names = tuple(n.strip() for n in rule.split("+"))
        bad = [n for n in names if n not in allowed]
        if bad:
            hinted = ", ".join(sorted(allowed)) or "none"
            problems.add(display, line, f"class '{cls}': {key} names {_shown(bad[0])}, which is not a "
                         f"{'slot' if key == 'match_household' else 'compared slot'} of the class",
                         f"choose from: {hinted}")
            continue
        rules.append(names)
    return tuple(rules)


def _threshold(found: tuple[object, int] | None, cls: str, display: str, problems: Problems) -> float:
    if found is None:
        return DEFAULT_THRESHOLD
    value, line = found
    try:
        number = float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or not 0 < number < 1:
        problems.add(display, line, f"class '{cls}': match_threshold {_shown(value)} must be a probability "
                     "between 0 and 1", "e.g. match_threshold: 0.9")
        return DEFAULT_THRESHOLD
    return number


def _shown(value: object) -> str:
    """A hostile value quoted and cut short for a one-line message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
