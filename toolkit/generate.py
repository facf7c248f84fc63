"""What `dict generate` writes: every registered generator's files from one plan.

A generator is one module in ``toolkit/generators/`` that registers itself with
``@generator(name, owns=...)``; ``owns`` lists the folders under generated/ it replaces.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import dialects
from .cache import cached_run
from .output import write_generated
from .plan import Plan, load_plan


@dataclass(frozen=True)
class Generator:
    name: str
    files: Callable[..., dict[str, str]]          # (plan, **options) -> {relative path: text}
    owns: Callable[..., tuple[str, ...]]           # (**options) -> folders it replaces
    order: int = 100


GENERATORS: dict[str, Generator] = {}


def generator(name: str, owns: Callable[..., tuple[str, ...]] | None = None, order: int = 100):
    def register(fn):
        GENERATORS[name] = Generator(name, fn, owns or (lambda **_: (name,)), order)
        return fn
    return register


def generator_names() -> list[str]:
    _load_all()
    return [g.name for g in sorted(GENERATORS.values(), key=lambda g: (g.order, g.name))]


def _load_all() -> None:
    from . import generators

    for info in pkgutil.iter_modules(generators.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{generators.__name__}.{info.name}")


def dialect_names(dialect: str) -> list[str]:
    return dialects.names() if dialect == "all" else [d.strip() for d in dialect.split(",") if d.strip()]


def render(plan: Plan, targets: list[str], **options) -> tuple[dict[str, str], tuple[str, ...]]:
    """Files of ``targets`` and the folders they own, without writing anything."""
    names = generator_names()
    files: dict[str, str] = {}
    owned: list[str] = []
    for t in targets:
        if t not in names:
            raise KeyError(t)
        g = GENERATORS[t]
        files.update(g.files(plan, **options))
        owned.extend(g.owns(**options))
    return files, tuple(owned)


def generate(root: Path, targets: list[str], out: Path | None = None, plan: Plan | None = None,
             _fail_after: int | None = None, **options) -> list[str]:
    """Regenerate ``targets`` into ``out`` (default <root>/generated) atomically; returns changed files."""
    if plan is None:   # from the project's files: through the regeneration cache when the command turned it on
        files, owned = cached_run(root, {"targets": list(targets), **options},
                                  lambda: render(load_plan(root), targets, **options))
    else:
        files, owned = render(plan, targets, **options)
    return write_generated(out or root / "generated", files, owned, _fail_after=_fail_after)
