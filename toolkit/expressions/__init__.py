"""The mapping expression language: a closed subset of SQL expressions."""
from toolkit.expressions.language import ColumnRef, Expr, ExpressionError, Scope, compile_expression, parse

__all__ = ["ColumnRef", "Expr", "ExpressionError", "Scope", "compile_expression", "parse"]
