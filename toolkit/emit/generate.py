"""What `dict generate` writes: every registered generator's files from one plan.

A generator is one module in ``toolkit/emit/`` that registers itself with ``@generator(name)``, and one
entry of ``KNOWN`` (its module, order, whether its output is committed, and the folders under generated/ it
replaces), so that listing or checking the generators imports none of them.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from typing import TYPE_CHECKING

from toolkit.emit.cache import cached_run, same_content
from toolkit.core.output import write_generated

if TYPE_CHECKING:   # the plan (and sqlglot under it) loads only when something is rendered: a warm run needs neither
    from toolkit.plan import Plan


@dataclass(frozen=True)
class Generator:
    name: str
    files: Callable[..., dict[str, str]]          # (plan, **options) -> {relative path: text}
    owns: Callable[..., tuple[str, ...]]           # (**options) -> folders it replaces
    order: int = 100
    committed: bool = True                         # its output is committed: `dict check` compares it by default


GENERATORS: dict[str, Generator] = {}


@dataclass(frozen=True)
class Known:
    """A generator of toolkit/emit as listing and checking need it, without importing its module."""
    module: str                                    # the module of toolkit/emit that registers it
    order: int
    committed: bool
    owns: Callable[..., tuple[str, ...]]           # (**options) -> folders it replaces


def _per_dialect(folder: str) -> Callable[..., tuple[str, ...]]:
    return lambda dialect="duckdb", **_: tuple(f"{folder}/{d}" for d in dialect_names(dialect))


# A command imports only the modules of the generators it runs (`dict generate sql` imports neither networkx
# nor Jinja), and a warm `dict check` none (it needs only their names and folders).
KNOWN: dict[str, Known] = {
    "sql": Known("sql", 0, True, _per_dialect("sql")),
    "ddl": Known("ddl", 5, True, _per_dialect("ddl")),
    "python": Known("python", 10, True, lambda **_: ("python",)),
    "policies": Known("policies", 20, True,
                      lambda dialect="duckdb", **_: ("policies/python",) + _per_dialect("policies/sql")(dialect)),
    "linkml-map": Known("linkml_map", 40, True, lambda **_: ("linkml-map",)),
    "lineage": Known("lineage", 50, False, lambda **_: ("lineage",)),   # built where it is read (CI publishes it)
    "docs": Known("docs", 60, False, lambda **_: ("docs",)),
}


def generator(name: str, owns: Callable[..., tuple[str, ...]] | None = None, order: int = 100, committed: bool = True):
    """Register a generator. ``committed=False``: its output is built where it is read (the docs site and the
    lineage exports are built in CI and published), not committed, so `dict check` leaves it out by default.
    A generator of toolkit/emit takes its folders, order and ``committed`` from ``KNOWN``."""
    if name in KNOWN:
        known = KNOWN[name]
        owns, order, committed = known.owns, known.order, known.committed

    def register(fn):
        GENERATORS[name] = Generator(name, fn, owns or (lambda **_: (name,)), order, committed)
        return fn
    return register


def owned_folders(name: str, **options) -> tuple[str, ...]:
    """The folders under generated/ generator ``name`` replaces, without importing it."""
    return (GENERATORS[name] if name in GENERATORS else KNOWN[name]).owns(**options)


def generator_of(name: str) -> Generator:
    """The registered generator ``name``, its module imported on first use; KeyError for an unknown name."""
    if name not in GENERATORS and name in KNOWN:
        importlib.import_module(f"{__package__}.{KNOWN[name].module}")
    return GENERATORS[name]


def generator_names() -> list[str]:
    """Every generator's name, in the order they run (without importing them)."""
    order = {name: (known.order, name) for name, known in KNOWN.items()}
    order.update({g.name: (g.order, g.name) for g in GENERATORS.values()})
    return sorted(order, key=order.__getitem__)


def committed_generators() -> list[str]:
    """The generators whose output is committed under generated/ (what `dict check` compares by default)."""
    return [n for n in generator_names() if (GENERATORS[n] if n in GENERATORS else KNOWN[n]).committed]


def dialect_names(dialect: str) -> list[str]:
    """The dialects ``dialect`` names ('all', or comma-separated), without importing them (nor sqlglot)."""
    from toolkit.core.paths import dialect_files

    return dialect_files() if dialect == "all" else [d.strip() for d in dialect.split(",") if d.strip()]


def render(plan: Plan, targets: list[str], **options) -> tuple[dict[str, str], tuple[str, ...]]:
    """Files of ``targets`` and the folders they own, without writing anything."""
    names = generator_names()
    files: dict[str, str] = {}
    owned: list[str] = []
    for t in targets:
        if t not in names:
            raise KeyError(t)
        g = generator_of(t)
        files.update(g.files(plan, **options))
        owned.extend(g.owns(**options))
    return files, tuple(owned)


def generate(root: Path, targets: list[str], out: Path | None = None, plan: Plan | None = None,
             _fail_after: int | None = None, **options) -> list[str]:
    """Regenerate ``targets`` into ``out`` (default <root>/generated) atomically; returns changed files."""
    from toolkit.plan import load_plan

    if plan is None:   # from the project's files: through the regeneration cache when the command turned it on
        files, owned, _ = cached_run(root, {"targets": list(targets), **options},
                                     lambda: (*render(load_plan(root), targets, **options), list(targets)))
    else:
        files, owned = render(plan, targets, **options)
    target = out or root / "generated"
    if _fail_after is None and up_to_date(target, files, owned):
        return []   # nothing to replace: copying generated/ to swap it in would be most of a warm run
    return write_generated(out or root / "generated", files, owned, _fail_after=_fail_after)


def up_to_date(target: Path, files: Mapping[str, str], owned: tuple[str, ...]) -> bool:
    """Whether ``target`` holds exactly ``files`` already, and nothing else (no file, no folder) in the
    folders they replace: what `write_generated` would leave there."""
    if not target.is_dir():
        return False
    for rel in files:
        path = target / rel
        if not path.is_file() or not same_content(files, rel, path.read_bytes()):
            return False
    needed = {parent.as_posix() for rel in files for parent in Path(rel).parents}
    for folder in owned:
        base = target / folder
        if base.is_file() and folder not in files:
            return False
        if base.is_dir():
            for path in base.rglob("*"):
                rel = path.relative_to(target).as_posix()
                if rel not in files and rel not in needed:
                    return False
    return True
