"""`dict check`: is generated/ what `dict generate` would write from dictionary/ and mappings/ now?

Renders every registered generator in memory and compares bytes with the files on disk;
nothing is written and no database is needed, so it is fast enough for a pre-commit hook.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from toolkit.emit.cache import cached_run, same_content
from toolkit.core.paths import dialect_files

if TYPE_CHECKING:   # the generators, the plan and sqlglot load only when something is rendered (not on a warm run)
    from toolkit.plan import Plan


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
    known = set(dialect_files())
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
    chosen = tuple(dialect_files() if dialect == "all" else (d.strip() for d in dialect.split(",") if d.strip())) \
        if dialect else generated_dialects(generated)

    def fresh(plan: Plan) -> tuple[dict[str, str], tuple[str, ...], list[str]]:
        from toolkit.emit.generate import committed_generators, render

        names = targets or committed_generators()
        return (*render(plan, names, dialect=",".join(chosen)), names)

    if plan is None:   # from the project's files: through the regeneration cache when the command turned it on
        files, owned, names = cached_run(root, {"targets": targets or "committed", "dialect": ",".join(chosen)},
                                         lambda: fresh(_load_plan(root)))
    else:
        files, owned, names = fresh(plan)
    names = names or targets or _committed_generators()   # a run stored by `dict generate` names what it rendered, too
    disk = _on_disk(generated)
    stale, missing = [], []
    for rel in sorted(files):
        path = disk.get(rel)
        if path is None:
            missing.append(rel)
            continue
        data = path.read_bytes()
        if not same_content(files, rel, data):
            stale.append(StaleFile(rel, _first_difference(data, files[rel].encode("utf-8"))))
    leftovers = [rel for rel in disk if rel not in files]
    extra = tuple(rel for rel in leftovers if _inside(rel, owned))
    # output of generators not compared (by choice, or not committed: the docs site) is neither extra nor unknown
    others = tuple(f for n in _all_generators() if n not in names for f in _owns(n, ",".join(chosen)))
    unowned = tuple(rel for rel in leftovers if not _inside(rel, owned) and not _inside(rel, others))
    return Drift(chosen, tuple(names), tuple(stale), tuple(missing), extra, unowned, len(files))


def _load_plan(root: Path) -> Plan:
    from toolkit.plan import load_plan

    return load_plan(root)


def _committed_generators() -> list[str]:
    from toolkit.emit.generate import committed_generators

    return committed_generators()


def _all_generators() -> list[str]:
    from toolkit.emit.generate import generator_names

    return generator_names()


def _owns(name: str, dialect: str) -> tuple[str, ...]:
    from toolkit.emit.generate import owned_folders

    return owned_folders(name, dialect=dialect)
