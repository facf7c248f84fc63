"""Generated Python laid out for review: a statement longer than the width is re-printed across lines at its
brackets (a dict one entry a line, a call one argument a line, a conditional one branch a line).

Only whole one-line statements without a comment are re-printed, from their own AST with ``ast.unparse``
for each piece that fits: the module's AST is the same before and after (``tests/test_translators_layout.py``
checks it), so the layout never changes what a translator computes.
"""
from __future__ import annotations

import ast
import functools
import io
import textwrap
import tokenize

WIDTH = 100
_STEP = "    "


def format_module(text: str, width: int = WIDTH) -> str:
    """``text`` with each over-long, comment-free, one-line statement re-printed within ``width`` columns."""
    out = []
    for line in text.split("\n"):
        out.append(_reflowed(line, width) if len(line) > width else line)
    return "\n".join(out)


@functools.lru_cache(maxsize=4096)   # a third of the long lines of a project's translators recur (checks, reasons)
def _reflowed(line: str, width: int) -> str:
    body = line.lstrip(" ")
    indent = line[:len(line) - len(body)]
    if _has_comment(body):
        return line
    header = body.endswith(":") and body.split(" ", 1)[0] in ("if", "elif", "while")
    try:
        tree = ast.parse(body[2:] + "\n    pass" if body.startswith("elif ") else body + "\n    pass" if header else body)
    except SyntaxError:   # part of a multi-line construct (a docstring, a bracket opened above)
        return line
    if header:
        keyword = body.split(" ", 1)[0]
        test = tree.body[0].test
        new = f"{indent}{keyword} " + _expr(test, indent, width, len(keyword) + 2) + ":"
        if "\n" not in new and len(new) > width:
            return line
        try:
            wrapped = "if" + new.strip()[len(keyword):] if keyword == "elif" else new.strip()
            same = ast.dump(ast.parse(textwrap.dedent(wrapped) + "\n    pass").body[0].test) == ast.dump(test)
        except SyntaxError:
            same = False
        return new if same else line
    if len(tree.body) != 1:
        return line
    new = _statement(tree.body[0], indent, width)
    if new is None or ("\n" not in new and len(new) > width):   # nothing to break at (a long string)
        return line
    try:   # the same AST or the line as it was: the layout never changes what the code does
        same = ast.dump(ast.parse(textwrap.dedent(new))) == ast.dump(tree)
    except SyntaxError:
        same = False
    return new if same else line


def _has_comment(body: str) -> bool:
    try:
        return any(t.type == tokenize.COMMENT for t in tokenize.generate_tokens(io.StringIO(body).readline))
    except (tokenize.TokenError, SyntaxError):
        return True


def _statement(node: ast.stmt, indent: str, width: int) -> str | None:
    """The statement across lines, or None for a kind left as it is."""
    if isinstance(node, ast.Return) and node.value is not None:
        return indent + "return " + _expr(node.value, indent, width, len("return "))
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        head = ast.unparse(node.targets[0]) + " = "
        return indent + head + _expr(node.value, indent, width, len(head))
    if isinstance(node, ast.Raise) and node.exc is not None and node.cause is None:
        return indent + "raise " + _expr(node.exc, indent, width, len("raise "))
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):   # a docstring stays as written
        return indent + _expr(node.value, indent, width, 0)
    return None


def _expr(node: ast.expr, indent: str, width: int, used: int) -> str:
    """``node`` starting at column len(indent) + used; broken at its brackets when it does not fit."""
    flat = ast.unparse(node)
    if len(indent) + used + len(flat) <= width:
        return flat
    inner = indent + _STEP
    if isinstance(node, ast.Dict) and None not in node.keys:
        items = [f"{ast.unparse(k)}: " for k in node.keys]
        parts = [head + _sub(v, inner, width, len(head)) for head, v in zip(items, node.values)]
        return _bracketed("{", parts, "}", indent, inner)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts:
        opening, closing = {"List": ("[", "]"), "Tuple": ("(", ")"), "Set": ("{", "}")}[type(node).__name__]
        parts = [_sub(e, inner, width, 0) for e in node.elts]
        if isinstance(node, ast.Tuple) and len(parts) == 1:
            parts[0] += ","
        return _bracketed(opening, parts, closing, indent, inner)
    if isinstance(node, ast.Call) and not (node.args or node.keywords) and isinstance(node.func, ast.Attribute):
        return _expr(node.func, indent, width, used) + "()"
    if isinstance(node, ast.Attribute) and not isinstance(node.value, (ast.Name, ast.Constant)):
        value = _expr(node.value, indent, width, used + len(node.attr) + 5)   # room for ").attr()"
        if value == ast.unparse(node.value) and not isinstance(node.value, ast.NamedExpr) or not value.startswith("("):
            value = f"({value})"
        return value + "." + node.attr
    if isinstance(node, ast.Call) and (node.args or node.keywords):
        head = ast.unparse(node.func)
        parts = [_sub(a, inner, width, 0) for a in node.args]
        parts += [(f"{k.arg}=" if k.arg else "**") + _sub(k.value, inner, width, len(k.arg or "") + 2)
                  for k in node.keywords]
        return _bracketed(head + "(", parts, ")", indent, inner)
    if isinstance(node, ast.IfExp):   # a CASE chain reads as one: a if c1 else b if c2 else d, one level
        lines = []
        while isinstance(node, ast.IfExp):
            lines += [("else " if lines else "") + _sub(node.body, inner, width, 5), "if " + _sub(node.test, inner, width, 3)]
            node = node.orelse
        lines.append("else " + _sub(node, inner, width, 5))
        return "(\n" + "".join(f"{inner}{part}\n" for part in lines) + indent + ")"
    if isinstance(node, ast.NamedExpr):
        head = f"{node.target.id} := "
        return "(" + head + _sub(node.value, indent, width, used + 1 + len(head)) + ")"
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and len(flat) > _SHORT:
        op = _COMPARE[type(node.ops[0])]
        parts = [_sub(node.left, inner, width, 0), f"{op} " + _sub(node.comparators[0], inner, width, len(op) + 1)]
        return "(\n" + "".join(f"{inner}{part}\n" for part in parts) + indent + ")"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        terms = _terms(node)
        parts = [_sub(terms[0], inner, width, 0)] + ["+ " + _sub(t, inner, width, 2) for t in terms[1:]]
        return "(\n" + "".join(f"{inner}{part}\n" for part in parts) + indent + ")"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return "not " + _sub(node.operand, indent, width, used + 4)
    if isinstance(node, ast.BoolOp) and len(node.values) > 1:
        word = " and " if isinstance(node.op, ast.And) else " or "
        parts = [_sub(v, inner, width, 4) for v in node.values]
        return "(\n" + inner + f"\n{inner}{word.strip()} ".join(parts) + "\n" + indent + ")"
    return flat


_SHORT = 50   # a comparison this long stays on one line however deep it sits
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Is: "is",
            ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


def _terms(node: ast.expr) -> list[ast.expr]:
    """a + b + c as [a, b, c] (left-associative: only the left side nests)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _terms(node.left) + [node.right]
    return [node]


def _sub(node: ast.expr, indent: str, width: int, used: int) -> str:
    """A part of a larger expression: parenthesised when, printed on its own, it would bind differently
    there (a conditional, walrus, lambda or and/or printed flat)."""
    text = _expr(node, indent, width, used + 2)
    if isinstance(node, (ast.IfExp, ast.NamedExpr, ast.Lambda, ast.BoolOp, ast.Compare, ast.BinOp, ast.UnaryOp)) \
            and text == ast.unparse(node) and not (isinstance(node, ast.NamedExpr) and text.startswith("(")):
        return f"({text})"
    return text


def _bracketed(opening: str, parts: list[str], closing: str, indent: str, inner: str) -> str:
    return opening + "\n" + "".join(f"{inner}{part},\n" for part in parts) + indent + closing
