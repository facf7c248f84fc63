"""A structural check of generated record translators: the module holds only what the generator is meant to emit.

``check_translator(text)`` parses a module written by ``dict generate python`` and fails (AssertionError,
naming every offending line) unless:

* each runtime helper it carries (``toolkit/emit/templates/python_runtime.py``) is that helper, node for node, and
  its imports are the runtime's imports: nothing of the mapping can hide there;
* every other top-level statement is one the template or the generator writes: the module docstring,
  ``SOURCE`` and the derivation tables (text keys, function or text values), module constants
  (``_K1 = _D('1.5')``, ``_RX1 = _re.compile(...)``), the generated functions and ``translate``;
* the generated functions hold only the node kinds the generator emits (no import, lambda, comprehension,
  class, global, with, while, del, assert, star-args, decorator, default, f-string, bytes), call only runtime
  helpers, other generated functions and a few builtins, read only a fixed set of attributes, and name only
  their own locals, module-level names and those builtins; no ``__dunder__`` but ``x.__class__``;
* a docstring is the first statement of the module or of a function, never an expression elsewhere.

Mapping text can then reach the module only as string constants, docstrings and comments (which the
parser drops), and as identifiers that are plain names of the kinds above.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache

from toolkit.expressions.python import RUNTIME

# builtins the generated functions and constants use (the runtime's own are checked by identity)
BUILTINS = frozenset({"str", "int", "float", "len", "abs", "frozenset", "object", "KeyError", "dict"})
CALLABLE_BUILTINS = BUILTINS - {"KeyError", "dict"}
# attributes generated code reads: dict.get, x.__class__ (the fast type test), Decimal.quantize, regex
# search/fullmatch/sub, str strip/case methods, date parts, exception fields, the decimal context's exact ops
ATTRIBUTES = frozenset({
    "get", "__class__", "quantize", "search", "fullmatch", "sub", "strip", "lstrip", "rstrip", "upper", "lower",
    "isascii", "isoformat", "year", "month", "day", "reason", "slot", "value", "rule", "add", "subtract",
    "multiply", "compile", "DOTALL", "append"})
TEMPLATE_TABLES = ("DERIVATIONS", "TARGET_CLASSES", "DRIVING_TABLES", "GROUPED", "STAGED", "SET_LEVEL")
CONSTANT = re.compile(r"_(?:K|RX|SET|VM|MISS|Q)[0-9]+")
EXCEPTIONS = frozenset({"_RecordError", "KeyError", "_Fail"})
RAISED = frozenset({"_RecordError", "NotTranslatable"})

# node kinds a generated function (or constant) may hold
EXPRESSIONS = (ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.Call, ast.Attribute, ast.Subscript,
               ast.Name, ast.Constant, ast.Dict, ast.Tuple, ast.NamedExpr, ast.Slice, ast.keyword, ast.List)
STATEMENTS = (ast.Assign, ast.If, ast.For, ast.Try, ast.ExceptHandler, ast.Return, ast.Raise, ast.Expr)
CONTEXT = (ast.Load, ast.Store)
OPERATORS = (ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.USub, ast.Not, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
             ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn)
ALLOWED = EXPRESSIONS + STATEMENTS + CONTEXT + OPERATORS + (ast.FunctionDef, ast.arguments, ast.arg)


@lru_cache(maxsize=1)
def runtime_nodes() -> tuple[dict[str, str], frozenset[str]]:
    """The runtime's top-level definitions (name -> ast dump) and its import statements (dumps)."""
    tree = ast.parse(RUNTIME.read_text(encoding="utf-8"))
    defs, imports = {}, set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.add(ast.dump(node))
        for name in _defined(node):
            defs[name] = ast.dump(node)
    return defs, frozenset(imports)


def _defined(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return []


class _Checker:
    def __init__(self, text: str):
        self.tree = ast.parse(text)
        self.problems: list[str] = []
        defs, _ = runtime_nodes()
        self.runtime = {n for node in self.tree.body for n in _defined(node) if n in defs}
        self.constants = {n for node in self.tree.body for n in _defined(node) if CONSTANT.fullmatch(n)}
        self.functions = {node.name for node in self.tree.body
                          if isinstance(node, ast.FunctionDef) and node.name not in defs}
        imported = {a.asname or a.name.split(".")[0] for node in self.tree.body
                    if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
        self.module_names = self.runtime | self.constants | self.functions | imported | {"SOURCE", *TEMPLATE_TABLES}

    def fail(self, node: ast.AST, what: str) -> None:
        self.problems.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    # ------------------------------------------------------------------ top level
    def run(self) -> list[str]:
        defs, imports = runtime_nodes()
        body = self.tree.body
        if not (body and _is_docstring(body[0])):
            self.fail(body[0] if body else self.tree, "the module does not start with its docstring")
        for node in body[1:]:
            names = _defined(node)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if ast.dump(node) not in imports:
                    self.fail(node, f"an import the runtime does not have: {ast.unparse(node)}")
            elif names and all(n in defs for n in names):
                if ast.dump(node) != defs[names[0]]:
                    self.fail(node, f"runtime definition {names[0]} differs from python_runtime.py")
            elif isinstance(node, ast.FunctionDef):
                self.function(node)
            elif isinstance(node, ast.Assign) and len(names) == 1 == len(node.targets):
                self.assignment(node, names[0])
            else:
                self.fail(node, f"a top-level {type(node).__name__} the generator does not write")
        return self.problems

    def assignment(self, node: ast.Assign, name: str) -> None:
        value = node.value
        if name == "SOURCE":
            if not _is_text(value):
                self.fail(node, "SOURCE is not a text constant")
        elif name in TEMPLATE_TABLES:
            if not isinstance(value, ast.Dict) or not all(_is_text(k) for k in value.keys):
                self.fail(node, f"{name} is not a dict with text keys")
                return
            for v in value.values:
                if name == "SET_LEVEL":
                    if not (isinstance(v, ast.Tuple) and all(_is_text(e) for e in v.elts)):
                        self.fail(v, f"SET_LEVEL holds {ast.unparse(v)}, not a tuple of slot names")
                elif not (_is_text(v) or isinstance(v, ast.Name) and v.id in self.functions):
                    self.fail(v, f"{name} holds {ast.unparse(v)}, not a generated function or a text")
        elif CONSTANT.fullmatch(name):
            self.expression(value, set())
        else:
            self.fail(node, f"an assignment to {name} the generator does not write")

    # ------------------------------------------------------------------ functions
    def function(self, node: ast.FunctionDef) -> None:
        args = node.args
        if node.decorator_list or node.returns or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs \
                or args.defaults or args.kw_defaults or any(a.annotation for a in args.args) or node.type_comment:
            self.fail(node, f"function {node.name} has decorators, defaults, annotations or star-arguments")
        if node.name.startswith("__") or node.name in BUILTINS:
            self.fail(node, f"function name {node.name}")
        if node.name == "translate":
            expected = "def translate(derivation, record):\n    return DERIVATIONS[derivation](record)"
            if ast.unparse(_without_docstring(node)) != expected:
                self.fail(node, "translate() is not the template's")
            return
        local = {a.arg for a in args.args}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                local.add(sub.id)
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                local.add(sub.name)
        statements = node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body
        for statement in statements:
            self.statement(statement, local)

    def statement(self, node: ast.AST, local: set[str]) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Expr) and not _appends(sub, local):
                self.fail(sub, f"an expression statement: {ast.unparse(sub)[:80]}")
            elif isinstance(sub, ast.List) and sub.elts:
                self.fail(sub, "a list display that is not empty")
            elif isinstance(sub, ast.Raise) and not _raises(sub):
                self.fail(sub, f"raises something else than {sorted(RAISED)}: {ast.unparse(sub)[:80]}")
            elif isinstance(sub, ast.ExceptHandler) and not (isinstance(sub.type, ast.Name) and sub.type.id in EXCEPTIONS):
                self.fail(sub, "catches something else than " + ", ".join(sorted(EXCEPTIONS)))
            elif isinstance(sub, ast.For) and (sub.orelse or not isinstance(sub.target, ast.Name)):
                self.fail(sub, "a for loop the generator does not write")
            elif isinstance(sub, ast.Assign) and not all(isinstance(t, ast.Name) for t in sub.targets):
                self.fail(sub, "an assignment to something else than a local")
            elif isinstance(sub, (ast.Try,)) and (sub.finalbody or sub.orelse):
                self.fail(sub, "try with else or finally")
        self.expression(node, local)

    def expression(self, node: ast.AST, local: set[str]) -> None:
        for sub in ast.walk(node):
            if not isinstance(sub, ALLOWED):
                self.fail(sub, f"node kind {type(sub).__name__} the generator does not emit")
            elif isinstance(sub, ast.Name):
                self.name(sub, local)
            elif isinstance(sub, ast.Attribute) and sub.attr not in ATTRIBUTES:
                self.fail(sub, f"attribute .{sub.attr}")
            elif isinstance(sub, ast.Call):
                self.call(sub)
            elif isinstance(sub, ast.Constant) and not (sub.value is None or isinstance(sub.value, (str, int, float, bool))):
                self.fail(sub, f"a constant of type {type(sub.value).__name__}")
            elif isinstance(sub, ast.keyword) and sub.arg != "context":
                self.fail(sub, f"keyword argument {sub.arg}")

    def name(self, node: ast.Name, local: set[str]) -> None:
        name = node.id
        if name.startswith("__") or not name.isascii():
            self.fail(node, f"name {name}")
        elif name not in local and name not in self.module_names and name not in BUILTINS:
            self.fail(node, f"name {name} is neither a local, a module-level name nor an allowed builtin")

    def call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in self.runtime and func.id not in self.functions and func.id not in CALLABLE_BUILTINS:
                self.fail(node, f"a call to {func.id}")
        elif not isinstance(func, ast.Attribute):
            self.fail(node, f"a call of {ast.unparse(func)[:60]}")


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and _is_text(node.value)


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _without_docstring(node: ast.FunctionDef) -> ast.FunctionDef:
    copy = ast.FunctionDef(node.name, node.args, node.body[1:] if _is_docstring(node.body[0]) else node.body, [], None,
                           None, **({"type_params": []} if hasattr(ast.FunctionDef, "type_params") else {}))
    return ast.fix_missing_locations(copy)


def _appends(node: ast.Expr, local: set[str]) -> bool:
    """``rows.append(staged)``: the grouped derivations' per-record rows (the one expression statement)."""
    call = node.value
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "append" \
        and isinstance(call.func.value, ast.Name) and call.func.value.id in local and len(call.args) == 1 \
        and isinstance(call.args[0], ast.Name) and call.args[0].id in local and not call.keywords


def _raises(node: ast.Raise) -> bool:
    exc = node.exc
    cause_ok = node.cause is None or isinstance(node.cause, ast.Constant) and node.cause.value is None
    return cause_ok and isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name) and exc.func.id in RAISED


def problems(text: str) -> list[str]:
    """Everything in a generated translator module the generator is not meant to emit (empty: none)."""
    return _Checker(text).run()


def check_translator(text: str, label: str = "translator") -> None:
    found = problems(text)
    assert not found, f"{label}: " + "; ".join(found[:20])
