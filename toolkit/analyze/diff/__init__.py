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

import tempfile
from pathlib import Path

from toolkit.analyze.diff.compare import Differ
from toolkit.analyze.diff.generated import generated_touches, render_both
from toolkit.analyze.diff.report import (BREAKING, COMPATIBLE, SEVERITIES, TRANSLATOR_GENERATORS, Change, DiffReport,
                                         MappingRef, Snapshot, Touches, format_text)
from toolkit.analyze.diff.snapshot import default_base, export_revision, load_snapshot

__all__ = ["BREAKING", "COMPATIBLE", "SEVERITIES", "TRANSLATOR_GENERATORS", "Change", "DiffReport", "MappingRef", "Snapshot",
           "Touches", "default_base", "diff_revision", "diff_snapshots", "export_revision", "format_text", "load_snapshot"]
# The modules, in the order a diff runs: snapshot (read both sides), compare (classify each change; renames pairs
# removed with added things), touches (what each side's plan says is downstream), generated (the files it
# touches), report (the result and its text).


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


def diff_snapshots(old: Snapshot, new: Snapshot, base: str, commit: str, dialect: str = "duckdb",
                   targets: list[str] | None = None) -> DiffReport:
    differ = Differ(old, new)
    differ.dictionary()
    differ.mappings()
    differ.plans()
    old_files, new_files = render_both(old, dialect, targets), render_both(new, dialect, targets)
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
        generated, translators = generated_touches(t, owner, changed, all_sources, all_classes)
        mappings = tuple(sorted((MappingRef(f, line, what, side) for what, (f, line, side) in t.mappings.items()),
                                key=lambda m: (m.file, m.line, m.what)))
        lineage = tuple(sorted(t.lineage))   # edges only: the lineage files that change are under generated
        changes.append(Change(change.severity, change.kind, change.subject, change.message, change.file, change.line,
                              change.side, Touches(mappings, tuple(sorted(t.views)), translators, lineage, generated),
                              change.evidence))
    changes.sort(key=lambda c: (SEVERITIES.index(c.severity), c.file, c.line, c.kind, c.subject))
    return DiffReport(base, commit, tuple(changes), tuple(f"generated/{r}" for r in sorted(changed)),
                      old.problems, new.problems)
