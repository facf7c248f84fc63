"""`dict check`: is generated/ what `dict generate` would write from dictionary/ and mappings/ now?

Renders every registered generator in memory and compares bytes with the files on disk;
nothing is written and no database is needed, so it is fast enough for a pre-commit hook.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import dialects
from .cache import cached_run
from .generate import GENERATORS, generator_names, render
from .plan import Plan, load_plan


@dataclass(frozen=True)
class StaleFile:
    path: str   # relative to generated/
    line: int   # first line that differs


@dataclass(frozen=True)
class Drift:
    """How generated/ differs from a fresh `dict generate all`."""

    dialects: tuple[str, ...]
    generators: tuple[str, ...]
    stale: tuple[StaleFile, ...]     # present, but its content differs
    missing: tuple[str, ...]         # would be generated, absent
    extra: tuple[str, ...]           # in a folder a generator owns (and would replace), but not generated any more
    unowned: tuple[str, ...]         # produced by no generator, in no folder one owns: generate leaves them alone
    checked: int                     # files compared

    @property
    def clean(self) -> bool:
        return not (self.stale or self.missing or self.extra)

    def regenerate_command(self) -> str:
        which = "all" if len(self.generators) != 1 else self.generators[0]
        return f"dict generate {which} --dialect {','.join(self.dialects)}"


def generated_dialects(generated: Path) -> tuple[str, ...]:
    """The dialects generated/ holds SQL for (the folders under generated/sql/); duckdb if none."""
    sql = generated / "sql"
    known = set(dialects.names())
    found = sorted(p.name for p in sql.iterdir() if p.is_dir() and p.name in known) if sql.is_dir() else []
    return tuple(found) or ("duckdb",)


def _on_disk(generated: Path) -> dict[str, Path]:
    if not generated.is_dir():
        return {}
    # Python's bytecode caches appear when the generated translators are imported; they are not output
    return {p.relative_to(generated).as_posix(): p for p in sorted(generated.rglob("*"))
            if p.is_file() and "__pycache__" not in p.relative_to(generated).parts}


def _first_difference(old: bytes, new: bytes) -> int:
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    for i, (a, b) in enumerate(zip(old_lines, new_lines), 1):
        if a != b:
            return i
    return min(len(old_lines), len(new_lines)) + 1


def _inside(rel: str, folders: tuple[str, ...]) -> bool:
    return any(rel == f or rel.startswith(f.rstrip("/") + "/") for f in folders)


def check_generated(root: Path, generated: Path | None = None, plan: Plan | None = None,
                    dialect: str | None = None, targets: list[str] | None = None) -> Drift:
    """Compare ``generated`` (default <root>/generated) with what the generators (default all) render now."""
    generated = generated or root / "generated"
    chosen = tuple(d.strip() for d in dialect.split(",")) if dialect else generated_dialects(generated)
    names = targets or generator_names()
    if plan is None:   # from the project's files: through the regeneration cache when the command turned it on
        files, owned = cached_run(root, {"targets": list(names), "dialect": ",".join(chosen)},
                                  lambda: render(load_plan(root), names, dialect=",".join(chosen)))
    else:
        files, owned = render(plan, names, dialect=",".join(chosen))
    disk = _on_disk(generated)
    stale, missing = [], []
    for rel, text in sorted(files.items()):
        path = disk.get(rel)
        if path is None:
            missing.append(rel)
            continue
        data, expected = path.read_bytes(), text.encode("utf-8")
        if data != expected:
            stale.append(StaleFile(rel, _first_difference(data, expected)))
    leftovers = [rel for rel in disk if rel not in files]
    extra = tuple(rel for rel in leftovers if _inside(rel, owned))
    others = () if targets is None else tuple(f for n in generator_names() if n not in names
                                              for f in GENERATORS[n].owns(dialect=",".join(chosen)))
    unowned = tuple(rel for rel in leftovers if not _inside(rel, owned) and not _inside(rel, others))
    return Drift(chosen, tuple(names), tuple(stale), tuple(missing), extra, unowned, len(files))
