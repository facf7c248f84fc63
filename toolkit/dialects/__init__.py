"""SQL dialects: each one file holding a ``Dialect`` whose differences are data.

A dialect names its sqlglot dialect and lists AST rewrites applied to the neutral
tree before rendering, so that every engine computes the same canonical values.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

from sqlglot import exp

_SQLGLOT_LOG = logging.getLogger("sqlglot")

Rewrite = Callable[[exp.Expression], exp.Expression]


@dataclass(frozen=True)
class Dialect:
    name: str                      # our name, used in paths and on the command line
    sqlglot: str                   # sqlglot dialect name
    rewrites: tuple[Rewrite, ...] = ()
    create_view: str = "CREATE OR REPLACE VIEW"  # how views are (re)created
    executable_here: bool = False  # an engine on this machine can run it
    notes: str = ""

    def render(self, tree: exp.Expression) -> str:
        for rewrite in self.rewrites:
            tree = tree.transform(rewrite, copy=False)
        # sqlglot warns about constructs it renders correctly anyway (e.g. nested REGEXP_REPLACE)
        previous = _SQLGLOT_LOG.level
        _SQLGLOT_LOG.setLevel(logging.ERROR)
        try:
            return tree.sql(dialect=self.sqlglot, pretty=True, identify=True)
        finally:
            _SQLGLOT_LOG.setLevel(previous)


_REGISTRY: dict[str, Dialect] = {}


def register(dialect: Dialect) -> Dialect:
    _REGISTRY[dialect.name] = dialect
    return dialect


def get(name: str) -> Dialect:
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(name)
    return _REGISTRY[name]


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def _load_all() -> None:
    if _REGISTRY:
        return
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
