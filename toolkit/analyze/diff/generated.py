"""The generated files and translators a change touches, from rendering both sides."""
from __future__ import annotations

from toolkit.analyze.diff.report import Snapshot, TRANSLATOR_GENERATORS
from toolkit.analyze.diff.touches import Touch
from toolkit.core.errors import DictError
from toolkit.load.dictionary import snake_case


def render_both(snapshot: Snapshot, dialect: str, targets: list[str] | None) -> dict[str, dict[str, str]]:
    """Generator name -> {relative path: text} for a side whose plan validated."""
    if snapshot.plan is None:
        return {}
    from toolkit.emit.generate import generator_names, generator_of

    out = {}
    for name in targets or generator_names():
        try:
            out[name] = generator_of(name).files(snapshot.plan, dialect=dialect)
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


def generated_touches(t: Touch, owner: dict[str, str], changed: set[str], all_sources: set[str],
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
