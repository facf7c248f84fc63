"""SQL dialects: each one file holding a ``Dialect`` whose differences are data.

A dialect names its sqlglot dialect and lists AST rewrites applied, in order, to the
neutral tree before rendering, so that every engine computes the same canonical values
(the neutral semantics and the rewrites that give them are in ``_portable.py``).
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect

from toolkit.dialects._portable import apply_passes

_SQLGLOT_LOG = logging.getLogger("sqlglot")


Rewrite = Callable[[exp.Expression], exp.Expression]


@dataclass(frozen=True)
class Dialect:
    name: str                      # our name, used in paths and on the command line
    sqlglot: str                   # sqlglot dialect name
    rewrites: tuple[Rewrite, ...] = ()   # passes over the whole tree, each bottom-up, in this order
    create_view: str = "CREATE OR REPLACE VIEW"  # how views are (re)created (documentation)
    temporary_views: bool = False  # views must be TEMPORARY (SQLite: views over attached databases)
    temporary_schema: str = ""     # where temporary views live, to drop them without touching a table
    drop_before_create: bool = False  # no CREATE OR REPLACE: drop the view first
    executable_here: bool = False  # an engine on this machine can run it
    runtime_functions: tuple[str, ...] = ()  # functions the connection must provide (SQLite)
    # canonical tables (dict generate ddl): which constraints the engine enforces, and text types
    # where plain VARCHAR will not do (MySQL needs a length, a key cannot be VARCHAR(MAX) on SQL Server)
    constraints: frozenset[str] = frozenset({"primary_key", "not_null", "check", "pattern_check"})
    key_text: exp.DataType | None = None
    text: exp.DataType | None = None
    notes: str = ""
    # a '.' in a name reads as a path even quoted (BigQuery: `a.b` is a.b): no table, column or alias can hold one
    dots_are_paths: bool = False
    # the longest view name the engine keeps: (length, "bytes" | "characters", "truncates" | "refuses")
    name_limit: tuple[int, str, str] | None = None
    # names hold only characters of the Basic Multilingual Plane (MySQL/MariaDB keep identifiers in utf8mb3)
    names_in_bmp: bool = False
    # statements every generated file of this dialect starts with (MySQL: SET NAMES utf8mb4)
    preamble: tuple[str, ...] = ()
    # what COMMENT ON can describe here ("view", "column"): the dictionary's descriptions travel with the views
    comment_on: frozenset[str] = frozenset()
    # why the views of this dialect carry no comments, said in each generated file's header
    no_comments: str = "this dialect's views get no COMMENT ON from dict: the descriptions are in generated/docs"

    def rewrite(self, tree: exp.Expression) -> exp.Expression:
        return apply_passes(tree, self.rewrites)

    def to_sql(self, tree: exp.Expression) -> str:
        # sqlglot warns about constructs it renders correctly anyway (e.g. nested REGEXP_REPLACE)
        previous = _SQLGLOT_LOG.level
        _SQLGLOT_LOG.setLevel(logging.ERROR)
        try:
            # what tree.sql(dialect=self.sqlglot, ...) does, without making a new sqlglot Dialect each time
            return self._sqlglot_dialect.generate(tree, copy=False, pretty=True, identify=True)
        finally:
            _SQLGLOT_LOG.setLevel(previous)

    @cached_property
    def _sqlglot_dialect(self) -> SqlglotDialect:
        return SqlglotDialect.get_or_raise(self.sqlglot)

    def statements(self, tree: exp.Expression) -> list[str]:
        """The statements that run ``tree`` on this engine (a view may need a DROP first)."""
        tree = self.rewrite(tree)
        out = []
        if isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() == "VIEW":
            if self.drop_before_create:
                target = tree.this.copy()
                if self.temporary_schema:
                    target.set("db", exp.to_identifier(self.temporary_schema, quoted=True))
                out.append(self.to_sql(exp.Drop(tables=[target], kind="VIEW", exists=True)))
                tree.set("replace", False)
            if self.temporary_views:
                tree.set("properties", exp.Properties(expressions=[exp.TemporaryProperty()]))
        out.append(self.to_sql(tree))
        return out

    def render(self, tree: exp.Expression) -> str:
        return ";\n\n".join(self.statements(tree))


_REGISTRY: dict[str, Dialect] = {}
_LOADED: list[bool] = []


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
    if _LOADED:
        return
    _LOADED.append(True)
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
