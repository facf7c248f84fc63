"""Canonical types on the nodes of a generated statement, for the dialect rewrites that need them.

A dialect rewrite sees only the AST. Where the neutral meaning depends on a value's type
(``CAST`` from text or from a number, ``ROUND`` of a double, ``CAST`` of a timestamp to text)
the generator records the canonical type of the operand in the node's meta, typed with the
same checker that validated the mapping, resolving columns against the tables and subqueries
of the enclosing SELECT.
"""
from __future__ import annotations

from sqlglot import exp

from toolkit.dialects._portable import TYPE, meta_of, type_of
from toolkit.expressions.functions import FUNCTIONS
from toolkit.expressions.language import ExpressionError, Scope, _Checker
from toolkit.load.source_schema import Column, Table
from toolkit.core.types import Type

# nodes whose dialect rewrite depends on the type of their operand (``this``)
TYPED_OPERANDS = (exp.TryCast, exp.Cast, *(f.node for f in FUNCTIONS if f.typed_operand))
# nodes that compare, order or group their operands: text is compared exactly where collations would not
# (MySQL/MariaDB, SQL Server), so the rewrite needs to know which operands are text
_BINARY = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Nullif)
_FIRST = (exp.In, exp.Between, exp.Case, exp.Min, exp.Max)
_ALL = (exp.Greatest, exp.Least, exp.Group)
COMPARED = _BINARY + _FIRST + _ALL + (exp.Select,)
_EMPTY = Table("_", {})


def operands(node: exp.Expression) -> list[exp.Expression]:
    """The children of ``node`` whose canonical type a dialect rewrite reads."""
    if isinstance(node, exp.Select):   # SELECT DISTINCT: the selected values
        if not node.args.get("distinct"):
            return []
        return [p.this if isinstance(p, exp.Alias) else p for p in node.expressions]
    if isinstance(node, _BINARY):
        return [node.this, node.expression]
    if isinstance(node, _ALL):
        return [a for a in (node.this, *node.expressions) if a is not None]
    if isinstance(node, exp.Case) and node.this is None:
        return []
    return [node.this] if node.this is not None else []


def annotate(statement: exp.Expression, tables: dict[str, Table], source: str = "") -> exp.Expression:
    """Record the canonical type of the operands of every node in TYPED_OPERANDS and COMPARED
    (``tables``: alias -> source table)."""
    scopes: dict[int, Scope] = {}
    for node in list(statement.find_all(*TYPED_OPERANDS, *COMPARED)):
        todo = [o for o in operands(node) if type_of(o) is None]
        if not todo:
            continue
        select = node if isinstance(node, exp.Select) else node.find_ancestor(exp.Select)
        scope = _scope(select, tables, source, scopes) if select is not None else None
        for operand in todo if scope is not None else []:
            t = _type(operand, scope)
            if t is not None:
                meta_of(operand)[TYPE] = t
    return statement


def _type(node: exp.Expression, scope: Scope) -> Type | None:
    try:
        return _Checker(scope).type_of(node)
    except (ExpressionError, KeyError, AttributeError, TypeError):
        return None


def _scope(select: exp.Select, tables: dict[str, Table], source: str, scopes: dict[int, Scope]) -> Scope:
    key = id(select)
    if key in scopes:
        return scopes[key]
    visible: dict[str, Table] = {}
    items = []
    if select.args.get("from_") is not None:
        items.append(select.args["from_"].this)
    items += [j.this for j in select.args.get("joins") or []]
    for item in items:
        alias = item.alias_or_name
        if isinstance(item, exp.Subquery) and isinstance(item.this, exp.Select):
            inner = _scope(item.this, tables, source, scopes)
            visible[alias] = _derived(alias, item.this, inner)
        elif isinstance(item, exp.Table):
            visible[alias] = tables.get(alias, _EMPTY) if item.args.get("db") else _EMPTY
    driving = next(iter(visible), "_")
    if not visible:
        visible["_"] = _EMPTY
    scope = Scope(source, driving, visible, frozenset(), allow_aggregates=True)
    scopes[key] = scope
    return scope


def _derived(alias: str, select: exp.Select, scope: Scope) -> Table:
    """The columns a subquery exposes, typed."""
    columns = {}
    for projection in select.expressions:
        name = projection.alias_or_name
        t = _type(projection.this if isinstance(projection, exp.Alias) else projection, scope) or Type.STRING
        columns[name] = Column(name, t.value, t)
    return Table(alias, columns)
