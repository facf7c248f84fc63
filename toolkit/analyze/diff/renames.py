"""Renames: one removed and one added thing taken for one, with the evidence that made it so."""
from __future__ import annotations

from difflib import SequenceMatcher
from typing import Callable, TypeVar

import sqlglot

from toolkit.load.dictionary import ClassDef, Dictionary, Slot
from toolkit.load.mapping import ClassDerivationSpec


def normalised(text: str | None) -> str:
    """An expression in a canonical spelling, so re-wrapping or re-spacing is not a change."""
    if text is None:
        return ""
    try:
        return sqlglot.parse_one(text).sql()
    except Exception:  # keep the author's text when it is not an expression we can parse
        return " ".join(text.split())


def renamed_class(o: ClassDef, n: ClassDef) -> bool:
    if o.name in n.meta.aliases:
        return True
    return bool(o.description) and o.description == n.description and [s.name for s in o.slots] == [s.name for s in n.slots]


def rename_target(o: Slot, candidates: list[Slot]) -> Slot | None:
    for n in candidates:
        if o.name in n.meta.aliases or (o.description and o.description == n.description and o.range == n.range):
            return n
    similar = [(_similarity(o.name, n.name), n) for n in candidates if _slot_features(o) == _slot_features(n)]
    similar = [(score, n) for score, n in similar if score >= RENAME_SIMILARITY]
    return max(similar, key=lambda sn: sn[0])[1] if similar else None


def _slot_features(s: Slot) -> tuple:
    return s.range, s.required, s.identifier, s.multivalued, s.pattern


def slot_evidence(o: Slot, n: Slot) -> tuple[tuple[str, str], ...]:
    evidence = [("name similarity", f"{_similarity(o.name, n.name):.2f}")]
    if o.name in n.meta.aliases:
        evidence.append(("old name kept as an alias", ""))
    if o.description and normalised(o.description) == normalised(n.description):
        evidence.append(("same description", ""))
    evidence.append(("same range", n.range))
    return tuple(evidence)


RENAME_SIMILARITY = 0.7   # name similarity (difflib ratio, case-folded) that alone, with the same shape, makes a rename


T = TypeVar("T")


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a.casefold(), b.casefold()).ratio()


def pair_renames(removed: dict[str, T], added: dict[str, T],
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


def column_rename(position: dict[str, int], new_position: dict[str, int], only_pair: bool):
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


def table_rename(o, n) -> tuple[float, tuple[tuple[str, str], ...]] | None:
    """A removed source table is renamed to an added one that holds the same columns (by name and type)."""
    old_cols = {(c.casefold(), col.native_type.casefold()) for c, col in o.columns.items()}
    new_cols = {(c.casefold(), col.native_type.casefold()) for c, col in n.columns.items()}
    shared = len(old_cols & new_cols) / max(1, len(old_cols | new_cols))
    if shared < 0.8:
        return None
    return shared, (("name similarity", f"{_similarity(o.name, n.name):.2f}"),
                    ("shared columns", f"{len(old_cols & new_cols)} of {len(old_cols | new_cols)}"))


def derivation_rename(o: ClassDerivationSpec, n: ClassDerivationSpec) -> tuple[float, tuple[tuple[str, str], ...]] | None:
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


def renamed_from(name: str, old: Dictionary, new: Dictionary) -> bool:
    removed = [old.slots[s] for s in old.slots if s not in new.slots]
    return any(rename_target(r, [new.slots[name]]) is not None for r in removed)
