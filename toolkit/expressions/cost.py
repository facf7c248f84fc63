"""How large an expression's SQL can get, estimated before any dialect renders it.

SQL has no local variables, so a dialect rewrite that needs a value twice writes it twice:
SQLite's LPAD repeats its argument 4 times, a text parsed as a TIMESTAMP 16 times (shape
checks), T-SQL turns a condition used as a value into ``CASE WHEN p THEN 1 WHEN NOT p THEN 0
END``. Nested, the copies multiply: LPAD(LPAD(...)) 20 deep is 4^20 copies, gigabytes of SQL.
``sql_size`` bounds the nodes of the rendered tree in the most repetitive dialect from the
copies each construct makes of its operands; tests/test_bounded_loading.py measures those
copies in every dialect and fails when one makes more than this table says.
"""
from __future__ import annotations

from typing import Callable

from sqlglot import exp

from toolkit.core.types import Type
from toolkit.expressions.functions import FUNCTIONS

# copies of each operand, most repetitive dialect (the functions' own argument checks and fallbacks: functions.py)
COPIES: dict[type[exp.Expression], int] = {f.node: f.copies for f in FUNCTIONS if f.copies != 1}
# text parsed as a typed value: the shape is checked before the cast (dates and timestamps field by field)
_FROM_TEXT = {Type.DATETIME: 16, Type.DATE: 10, Type.DECIMAL: 3}
# a legacy column's text converted as it is first, then trimmed (DuckDB: Quirks.untrimmed_first in
# dialects/_portable.py): the column is written this many times more (a column is one node: nothing multiplies)
UNTRIMMED_FIRST = 2
# a condition used as a value (compared, coalesced, selected): T-SQL has no boolean values
CONDITION_AS_VALUE = 2
_CONDITIONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between, exp.Like, exp.ILike,
               exp.And, exp.Or, exp.Not, exp.RegexpLike)


def cast_copies(source: Type | None, target: Type | None) -> int:
    """Copies of its operand a CAST from ``source`` to ``target`` makes (None: not known, the most)."""
    if source is None or target is None:
        return max(_FROM_TEXT.values())
    if source is Type.STRING:
        return _FROM_TEXT.get(target, 2) if target is not Type.STRING else 1
    if source is Type.DATETIME and target is Type.STRING:
        return 3
    if source is Type.BOOLEAN and target is not Type.BOOLEAN:
        return 2     # CASE WHEN b THEN 'true'/1 WHEN NOT b THEN 'false'/0 END
    if source is target and source is not Type.DECIMAL or source is Type.NULL or target is Type.STRING:
        return 1
    return 2


def copies(node: exp.Expression, type_of: Callable[[exp.Expression], Type | None],
           cast_target: Callable[[exp.DataType], Type | None]) -> int:
    """Copies ``node`` makes of each of its operands in the most repetitive dialect."""
    if isinstance(node, exp.Cast):   # CAST and TRY_CAST
        source, target = type_of(node.this), cast_target(node.to)
        k = cast_copies(source, target)
        if isinstance(node.this, exp.Column) and source is Type.STRING and target not in (Type.STRING, Type.BOOLEAN):
            k += UNTRIMMED_FIRST
        return k
    return COPIES.get(type(node), 1)


def in_condition_position(node: exp.Expression) -> bool:
    """Whether ``node`` is read as a condition (AND/OR/NOT operand, WHEN, filter), not as a value."""
    child, parent = node, node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if parent is None:
        return False         # the whole expression: a slot's value (a filter's condition costs less)
    if isinstance(parent, (exp.And, exp.Or, exp.Not)):
        return True
    return isinstance(parent, exp.If) and child.arg_key == "this"


def sql_size(tree: exp.Expression, type_of: Callable[[exp.Expression], Type | None],
             cast_target: Callable[[exp.DataType], Type | None]) -> int:
    """Nodes the rendered ``tree`` may have in the most repetitive dialect, counted without building it
    (children before parents, no recursion)."""
    sizes: dict[int, int] = {}
    for node in reversed(list(tree.dfs())):
        k = copies(node, type_of, cast_target)
        size = 1 + k * sum(sizes[id(child)] for child in node.iter_expressions())
        if isinstance(node, _CONDITIONS) and not in_condition_position(node):
            size *= CONDITION_AS_VALUE
        sizes[id(node)] = size
    return sizes[id(tree)]
