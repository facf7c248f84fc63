"""Bound expression ASTs compiled to Python source with exactly the SQL views' semantics.

The SQL generator renders the neutral sqlglot AST for DuckDB; this module renders the same
AST as a Python expression over local variables, so a record translator computes what the
view computes: three-valued logic (NULL is ``None``), NULL-propagating ``||``, CONCAT with
NULL as '', casts that give NULL (TRY_CAST) or fail (CAST), double division, remainders with
the dividend's sign, decimals as ``decimal.Decimal`` rounded half away from zero, DuckDB's
case mapping, trimming, SUBSTRING, LIKE and RE2 regular expressions.

Every value carries its *physical* type: the type DuckDB computes it in (an integer times a
double is a double; FLOOR of an integer is a double), which can differ from the logical type
the checker infers. Helpers come from ``toolkit/emit/templates/python_runtime.py``; the generator
copies the ones a module uses into it, so generated modules need only the standard library.
"""
from __future__ import annotations

import contextlib
import datetime
import decimal
import fnmatch
import importlib.util
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from sqlglot import exp

from toolkit.core.types import Type
from toolkit.expressions.functions import BY_NODE

RUNTIME = Path(__file__).resolve().parents[1] / "emit" / "templates" / "python_runtime.py"


class NotCompilable(Exception):
    """An expression a one-record translator cannot compute (an aggregate), or a construct Python cannot mirror."""


@lru_cache(maxsize=1)
def runtime():
    """The runtime helpers as an imported module (used to fold constants at generation time)."""
    spec = importlib.util.spec_from_file_location("toolkit_python_runtime", RUNTIME)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- physical types

@dataclass(frozen=True)
class PType:
    type: Type
    scale: int | None = None     # decimals: digits after the point, as DuckDB types the value
    precision: int | None = None
    float32: bool = False        # DuckDB REAL (CAST ... AS FLOAT)

    def __str__(self) -> str:
        if self.type is Type.DECIMAL:
            return f"decimal({self.precision or 18},{self.scale if self.scale is not None else 3})"
        return self.type.value


NULL = PType(Type.NULL)
TEXT = PType(Type.STRING)
INT = PType(Type.INTEGER)
FLOAT = PType(Type.FLOAT)
BOOL = PType(Type.BOOLEAN)
DATE = PType(Type.DATE)
TIMESTAMP = PType(Type.DATETIME)

_D = exp.DataType.Type
_TEXT_TYPES = {_D.VARCHAR, _D.TEXT, _D.CHAR, _D.NVARCHAR, _D.NCHAR}
_INT_BITS = {_D.TINYINT: 8, _D.SMALLINT: 16, _D.INT: 32, _D.BIGINT: 64}


def cast_target(to: exp.DataType) -> PType:
    """The physical type CAST(... AS ``to``) gives in DuckDB."""
    t = to.this
    if t in _TEXT_TYPES:
        return TEXT
    if t in _INT_BITS:
        return PType(Type.INTEGER, precision=_INT_BITS[t])
    if t == _D.DECIMAL:
        params = [int(p.this.this) for p in to.expressions] if to.expressions else []
        precision = params[0] if params else 18
        scale = params[1] if len(params) > 1 else (0 if params else 3)
        return PType(Type.DECIMAL, scale, precision)
    if t == _D.DOUBLE:
        return FLOAT
    if t == _D.FLOAT:
        return PType(Type.FLOAT, float32=True)
    if t == _D.BOOLEAN:
        return BOOL
    if t == _D.DATE:
        return DATE
    if t in (_D.TIMESTAMP, _D.DATETIME):
        return TIMESTAMP
    raise NotCompilable(f"CAST to {to.sql()} has no Python translation")


def common(types: list[PType]) -> PType:
    """The type DuckDB unifies values of ``types`` to (CASE branches, COALESCE, comparisons)."""
    known = [t for t in types if t.type is not Type.NULL]
    if not known:
        return NULL
    kinds = {t.type for t in known}
    if kinds <= {Type.INTEGER, Type.DECIMAL, Type.FLOAT}:
        if Type.FLOAT in kinds:
            return FLOAT
        if Type.DECIMAL in kinds:
            scale = max(t.scale or 0 for t in known if t.type is Type.DECIMAL)
            return PType(Type.DECIMAL, scale, 38)
        return INT
    if kinds <= {Type.DATE, Type.DATETIME}:
        return TIMESTAMP if Type.DATETIME in kinds else DATE
    return known[0]


# ----------------------------------------------------------------------------- compiled code

@dataclass
class PyExpr:
    code: str
    ptype: PType
    nonnull: bool = False   # never None
    simple: bool = False    # a name or literal: may be repeated without a temporary
    values: frozenset | None = None   # every value it can take (text constants), when known; None may be one


def _lit(value) -> str:
    """A Python literal of a constant (text, number, bool, None); a float that is not finite is ``float('inf')``,
    as ``repr`` would write a bare name (``inf``, ``nan``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({repr(value)!r})"
    return repr(value)


@dataclass
class Module:
    """Module-level constants (regexes, decimals, sets, maps) one generated module defines."""

    constants: dict[str, str] = field(default_factory=dict)    # name -> code
    _by_code: dict[str, str] = field(default_factory=dict)
    _namespace: dict | None = None                              # the constants' values, for folding

    def evaluate(self, code: str):
        """The value of ``code`` if it uses only constants (literals, runtime and module constants), else None."""
        import ast

        try:
            tree = ast.parse(code, mode="eval")
        except SyntaxError:
            return None
        rt = vars(runtime())
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if any(n not in self.constants and not (n in rt and not callable(rt[n]) or n in _PURE) for n in names) \
                or any(isinstance(n, ast.NamedExpr) for n in ast.walk(tree)):
            return None
        namespace = self._namespace
        try:
            if namespace is None:
                namespace = self._namespace = dict(rt)
            for name, value in self.constants.items():
                if name not in namespace:
                    namespace[name] = eval(value, namespace)
            return eval(compile(tree, "<constant>", "eval"), namespace)
        except Exception:
            return None

    def const(self, code: str, prefix: str = "_K") -> str:
        if code in self._by_code:
            return self._by_code[code]
        name = f"{prefix}{len(self.constants) + 1}"
        self.constants[name] = code
        self._by_code[code] = name
        return name


class Keys:
    """Structural keys of AST nodes: equal subtrees get the same small int (computed once per node)."""

    def __init__(self):
        self._by_id: dict[int, tuple[exp.Expression, int]] = {}   # the node is kept so its id is not reused
        self._interned: dict[tuple, int] = {}

    def __call__(self, node: exp.Expression) -> int:
        known = self._by_id.get(id(node))
        if known is not None:
            return known[1]
        parts: list = [type(node).__name__]
        for name, value in node.args.items():
            if isinstance(value, exp.Expression):
                parts.append((name, self(value)))
            elif isinstance(value, list):
                parts.append((name, tuple(self(v) if isinstance(v, exp.Expression) else repr(v) for v in value)))
            elif value is not None:
                parts.append((name, repr(value)))
        key = self._interned.setdefault(tuple(parts), len(self._interned))
        self._by_id[id(node)] = (node, key)
        return key


@dataclass
class Body:
    """Statements of one generated function: temporaries and hoisted common subexpressions."""

    prelude: list[str] = field(default_factory=list)
    temps: int = 0
    hoist: set[int] = field(default_factory=set)         # keys of subexpressions computed once
    hoisted: dict[int, PyExpr] = field(default_factory=dict)
    keys: Keys = field(default_factory=Keys)

    def temp(self) -> str:
        self.temps += 1
        return f"_t{self.temps}"

    def take_prelude(self) -> list[str]:
        out, self.prelude = self.prelude, []
        return out


Resolver = Callable[[str, str], PyExpr]   # (table alias, column) -> the local holding it


def value_repr(value) -> str:
    """Python source for a constant value of any SQL type."""
    if value is None or isinstance(value, (bool, int, str, float)):
        return _lit(value)
    if isinstance(value, decimal.Decimal):
        return f"_D({str(value)!r})"
    if isinstance(value, datetime.datetime):
        return f"_datetime({value.year}, {value.month}, {value.day}, {value.hour}, {value.minute}, {value.second}, {value.microsecond})"
    if isinstance(value, datetime.date):
        return f"_date({value.year}, {value.month}, {value.day})"
    raise TypeError(value)


class ThreeValuedLogic:
    """SQL's three-valued conditions as Python truth tests: ``truth(c)`` is code for "c IS TRUE", ``falsity(c)``
    for "c IS FALSE"; NULL is neither. The connectives (AND, OR, NOT, parentheses, TRUE/FALSE/NULL, IS's negation,
    COALESCE(c, TRUE/FALSE)) are decided here once, for the translators, the policies and the LinkML-Map export;
    a subclass writes the test of one comparison, IS, IN, LIKE or value and may simplify what the connectives join."""

    def truth(self, node: exp.Expression) -> str:
        return self._settle(self._truth(node))

    def falsity(self, node: exp.Expression) -> str:
        return self._settle(self._falsity(node))

    def _settle(self, code: str) -> str:
        """A finished test, simplified (a constant condition decided)."""
        return code

    def _conj(self, a: str, b: str) -> str:
        return f"({a} and {b})"

    def _disj(self, a: str, b: str) -> str:
        return f"({a} or {b})"

    def _negate(self, a: str) -> str:
        return f"(not {a})"

    def _given(self, node: exp.Expression, true: bool):
        """Context in which the right operand of AND (``true``) or OR is written: ``node`` is known true / not true."""
        return contextlib.nullcontext()

    def _leaf_truth(self, node: exp.Expression) -> str:
        raise NotImplementedError

    def _leaf_falsity(self, node: exp.Expression) -> str:
        raise NotImplementedError

    def _truth(self, node: exp.Expression) -> str:
        if isinstance(node, exp.Paren):
            return self.truth(node.this)
        if isinstance(node, exp.Boolean):
            return "True" if node.this else "False"
        if isinstance(node, exp.Null):
            return "False"
        if isinstance(node, exp.And):
            left = self.truth(node.this)
            with self._given(node.this, True):
                return self._conj(left, self.truth(node.expression))
        if isinstance(node, exp.Or):
            left = self.truth(node.this)
            with self._given(node.this, False):
                return self._disj(left, self.truth(node.expression))
        if isinstance(node, exp.Not):
            return self.falsity(node.this)
        default = _boolean_default(node)
        if default is not None:   # COALESCE(c, FALSE) is true when c is; COALESCE(c, TRUE) unless c is false
            return self._negate(self.falsity(node.this)) if default else self.truth(node.this)
        return self._leaf_truth(node)

    def _falsity(self, node: exp.Expression) -> str:
        if isinstance(node, exp.Paren):
            return self.falsity(node.this)
        if isinstance(node, exp.Boolean):
            return "False" if node.this else "True"
        if isinstance(node, exp.Null):
            return "False"
        if isinstance(node, exp.And):
            return self._disj(self.falsity(node.this), self.falsity(node.expression))
        if isinstance(node, exp.Or):
            return self._conj(self.falsity(node.this), self.falsity(node.expression))
        if isinstance(node, exp.Not):
            return self.truth(node.this)
        if isinstance(node, exp.Is):
            return self._negate(self.truth(node))
        default = _boolean_default(node)
        if default is not None:
            return self.falsity(node.this) if default else self._negate(self.truth(node.this))
        return self._leaf_falsity(node)


def _boolean_default(node: exp.Expression) -> bool | None:
    """TRUE or FALSE for COALESCE(c, TRUE) or COALESCE(c, FALSE); None for anything else."""
    if isinstance(node, exp.Coalesce) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Boolean):
        return bool(node.expressions[0].this)
    return None


class Compiler(ThreeValuedLogic):
    def __init__(self, module: Module, body: Body, resolve: Resolver):
        self.module = module
        self.body = body
        self.resolve = resolve
        self.assumptions = 0

    # ------------------------------------------------------------------ helpers
    def _bind(self, e: PyExpr) -> tuple[str, str]:
        """(first use, later uses) of a value: a walrus temporary unless the code is simple."""
        if e.simple:
            return e.code, e.code
        t = self.body.temp()
        return f"({t} := {e.code})", t

    def _strict(self, args: list[PyExpr], build: Callable[[list[str]], str], ptype: PType, nonnull=False) -> PyExpr:
        """NULL in any argument gives NULL; otherwise ``build`` over the arguments (each used once)."""
        null_checks, names = [], []
        for a in args:
            if a.nonnull:
                names.append(a.code if a.simple else f"({a.code})")
                continue
            first, later = self._bind(a)
            null_checks.append(f"{first} is None")
            names.append(later)
        result = build(names)
        if not null_checks:
            return PyExpr(result, ptype, nonnull)
        return PyExpr(f"(None if {' or '.join(null_checks)} else {result})", ptype)

    def convert(self, e: PyExpr, to: PType) -> PyExpr:
        """Implicit conversion DuckDB applies when unifying types."""
        src = e.ptype
        if src.type is Type.NULL or to.type is Type.NULL or src == to:
            return PyExpr(e.code, to if src.type is not Type.NULL else src, e.nonnull, e.simple, e.values)
        if to.type is Type.FLOAT and src.type is Type.INTEGER:
            return self._strict([e], lambda a: f"float({a[0]})", FLOAT, e.nonnull)
        if to.type is Type.FLOAT and src.type is Type.DECIMAL:
            return self._strict([e], lambda a: f"_float({a[0]})", FLOAT, e.nonnull)
        if to.type is Type.DECIMAL and src.type is Type.INTEGER:
            q = f"_QUANTUM[{to.scale or 0}]"
            return self._strict([e], lambda a: f"_D({a[0]}).quantize({q}, context=_EXACT)", to, e.nonnull)
        if to.type is Type.DECIMAL and src.type is Type.DECIMAL:
            if (src.scale or 0) == (to.scale or 0):
                return PyExpr(e.code, to, e.nonnull, e.simple)
            q = f"_QUANTUM[{to.scale or 0}]"
            return self._strict([e], lambda a: f"{a[0]}.quantize({q}, context=_EXACT)", to, e.nonnull)
        if to.type is Type.DATETIME and src.type is Type.DATE:
            return self._strict([e], lambda a: f"_as_timestamp({a[0]})", TIMESTAMP, e.nonnull)
        if to.type is src.type:
            return PyExpr(e.code, to, e.nonnull, e.simple)
        raise NotCompilable(f"no implicit conversion from {src} to {to}")

    @contextlib.contextmanager
    def _known_not_null(self, column: exp.Column | None):
        """While compiling the right side of `x IS NULL OR ...`, x is known not to be NULL."""
        if column is None:
            yield
            return
        previous = self.resolve
        target = (column.table, column.name)

        def resolve(table: str, name: str) -> PyExpr:
            e = previous(table, name)
            return PyExpr(e.code, e.ptype, True, e.simple, e.values) if (table, name) == target else e

        self.resolve = resolve
        self.assumptions += 1
        try:
            yield
        finally:
            self.resolve = previous
            self.assumptions -= 1

    # ------------------------------------------------------------------ values
    def value(self, node: exp.Expression) -> PyExpr:
        key = self.body.keys(node) if self.body.hoist else None
        if key is not None and key in self.body.hoisted:
            return self.body.hoisted[key]
        result = self._value(node)
        # a value compiled under an assumption (x is not NULL here) must not be computed ahead of the test
        if key is not None and key in self.body.hoist and not result.simple and not self.assumptions:
            name = f"_h{len(self.body.hoisted) + 1}"
            self.body.prelude.append(f"{name} = {result.code}")
            result = PyExpr(name, result.ptype, result.nonnull, True)
            self.body.hoisted[key] = result
        return result

    def _value(self, node: exp.Expression) -> PyExpr:
        if isinstance(node, exp.Paren):
            return self.value(node.this)
        if isinstance(node, exp.Column):
            return self.resolve(node.table, node.name)
        if isinstance(node, exp.Literal):
            return self._literal(node)
        if isinstance(node, exp.Boolean):
            return PyExpr(repr(bool(node.this)), BOOL, True, True)
        if isinstance(node, exp.Null):
            return PyExpr("None", NULL, False, True)
        if isinstance(node, exp.Neg):
            inner = self.value(node.this)
            if isinstance(node.this, exp.Literal) and inner.simple:
                if inner.ptype.type is Type.DECIMAL:
                    return PyExpr(self.module.const(f"_D({('-' + node.this.this)!r})"), inner.ptype, True, True)
                return PyExpr(f"(-{inner.code})", inner.ptype, True, True)
            return self._strict([inner], lambda a: f"(-{a[0]})", inner.ptype, inner.nonnull)
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            return self._arithmetic(node)
        if isinstance(node, exp.Div):
            a, b = self.value(node.this), self.value(node.expression)
            return self._strict([a, b], lambda x: f"_div({x[0]}, {x[1]})", FLOAT)
        if isinstance(node, exp.Mod):
            a, b = self.value(node.this), self.value(node.expression)
            t = common([a.ptype, b.ptype])
            out = self._strict([a, b], lambda x: f"_mod({x[0]}, {x[1]})", t)
            out.nonnull = False
            return out
        if isinstance(node, exp.DPipe):
            a, b = self.value(node.this), self.value(node.expression)
            for side in (a, b):
                if side.ptype.type not in (Type.STRING, Type.NULL):
                    raise NotCompilable(f"'||' on {side.ptype}")
            return self._strict([a, b], lambda x: f"({x[0]} + {x[1]})", TEXT, a.nonnull and b.nonnull)
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between,
                             exp.Like, exp.ILike, exp.And, exp.Or, exp.Not, exp.RegexpLike, exp.Glob)):
            return self._boolean_value(node)
        if isinstance(node, exp.Case):
            return self._case(node)
        if isinstance(node, exp.If):
            return self._case(exp.Case(ifs=[exp.If(this=node.this, true=node.args["true"])], default=node.args.get("false")))
        if isinstance(node, (exp.Cast, exp.TryCast)):
            return self._cast(node)
        if isinstance(node, exp.Coalesce):
            return self._coalesce([node.this] + list(node.expressions))
        if isinstance(node, exp.Nullif):
            return self._nullif(node.this, node.expression)
        if isinstance(node, (exp.Greatest, exp.Least)):
            args = [self.value(a) for a in [node.this] + list(node.expressions)]
            t = common([a.ptype for a in args])
            args = [self.convert(a, t) for a in args]
            fn = "_greatest" if isinstance(node, exp.Greatest) else "_least"
            return PyExpr(f"{fn}({', '.join(a.code for a in args)})", t)
        if isinstance(node, exp.Concat):
            return self._concat(list(node.expressions))
        if isinstance(node, exp.Trim):
            return self._trim(node)
        if isinstance(node, exp.RegexpReplace):
            return self._regexp_replace(node)
        if isinstance(node, exp.Func) and type(node) in BY_NODE:
            return self._function(node)
        raise NotCompilable(f"`{node.sql()}` ({node.key}) has no Python translation")

    def _literal(self, node: exp.Literal) -> PyExpr:
        if node.is_string:
            return PyExpr(_lit(node.this), TEXT, True, True, frozenset((node.this,)))
        text = node.this
        if re.fullmatch(r"[0-9]+", text):
            value = int(text)
            return PyExpr(str(value), PType(Type.INTEGER, precision=10 if value < 2 ** 31 else 19), True, True)
        if re.fullmatch(r"[0-9]*\.[0-9]*", text):
            scale = len(text.split(".")[1])
            digits = len(text.replace(".", "").lstrip("0")) or 1
            return PyExpr(self.module.const(f"_D({text!r})"), PType(Type.DECIMAL, scale, max(digits, scale)), True, True)
        value = float(text)
        return PyExpr(_lit(value) if math.isfinite(value) else self.module.const(_lit(value)), FLOAT, True, True)

    def _arithmetic(self, node: exp.Expression) -> PyExpr:
        a, b = self.value(node.this), self.value(node.expression)
        kinds = {a.ptype.type, b.ptype.type} - {Type.NULL}
        op = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*"}[type(node)]
        if Type.FLOAT in kinds:
            a, b = self.convert(a, FLOAT), self.convert(b, FLOAT)
            return self._strict([a, b], lambda x: f"({x[0]} {op} {x[1]})", FLOAT, a.nonnull and b.nonnull)
        if Type.DECIMAL in kinds:
            return self._decimal_arithmetic(a, b, op)
        if not kinds <= {Type.INTEGER}:
            raise NotCompilable(f"arithmetic on {a.ptype} and {b.ptype}")
        # BIGINT arithmetic: DuckDB fails the view on an overflow
        return self._strict([a, b], lambda x: f"_int64({x[0]} {op} {x[1]})", INT, a.nonnull and b.nonnull)

    def _decimal_arithmetic(self, a: PyExpr, b: PyExpr, op: str) -> PyExpr:
        """DuckDB's decimal arithmetic: exact, typed DECIMAL(width, scale) by its binding rules.

        Two operands of width <= 18 keep a width of at most 18 (an int64), and the view fails when the
        result needs more digits; wider operands compute in up to 38 digits.
        """
        (pa, sa), (pb, sb) = _decimal_shape(a), _decimal_shape(b)
        if op == "*":
            scale, width = sa + sb, pa + pb
        else:
            scale = max(sa, sb)
            width = max(pa - sa, pb - sb) + scale + 1
        capped = pa <= 18 and pb <= 18 and width > 18
        width = 18 if capped else min(width, 38)
        t = PType(Type.DECIMAL, scale, width)
        method = {"+": "add", "-": "subtract", "*": "multiply"}[op]
        if capped:
            return self._strict([a, b], lambda x: f"_dec18(_EXACT.{method}({x[0]}, {x[1]}))", t, a.nonnull and b.nonnull)
        if width > 28:   # beyond the default decimal context's precision
            return self._strict([a, b], lambda x: f"_EXACT.{method}({x[0]}, {x[1]})", t, a.nonnull and b.nonnull)
        return self._strict([a, b], lambda x: f"({x[0]} {op} {x[1]})", t, a.nonnull and b.nonnull)

    def _coalesce(self, nodes: list[exp.Expression]) -> PyExpr:
        args = [self.value(n) for n in nodes]
        t = common([a.ptype for a in args])
        args = [self.convert(a, t) for a in args]
        out = args[-1]
        for a in reversed(args[:-1]):
            if a.nonnull:
                out = a
                continue
            first, later = self._bind(a)
            out = PyExpr(f"({later} if {first} is not None else {out.code})", t, out.nonnull)
        return out

    def _nullif(self, left: exp.Expression, right: exp.Expression) -> PyExpr:
        a, b = self.value(left), self.value(right)
        t = common([a.ptype, b.ptype])
        a, b = self.convert(a, t), self.convert(b, t)
        if b.ptype.type is Type.NULL:
            return PyExpr(a.code, t, a.nonnull, a.simple)
        fa, la = self._bind(a)
        fb, lb = self._bind(b)
        conditions = [] if a.nonnull else [f"{fa} is not None"]   # never `'x' is not None` (a SyntaxWarning)
        if b.nonnull:
            conditions.append(f"{la} == {fb}")
        else:
            conditions += [f"{fb} is not None", f"{la} == {lb}"]
        return PyExpr(f"(None if {' and '.join(conditions)} else {la})", t)

    def _concat(self, nodes: list[exp.Expression]) -> PyExpr:
        parts = []
        for n in nodes:
            e = self.value(n)
            if e.ptype.type is Type.NULL:
                continue
            if e.ptype.type is Type.STRING:
                parts.append(e.code if e.nonnull else f"({e.code} or '')")
            else:
                parts.append(f"_concat_text({e.code})")
        return PyExpr("(" + " + ".join(parts) + ")" if parts else "''", TEXT, True)

    def _trim(self, node: exp.Trim) -> PyExpr:
        s = self.value(node.this)
        chars = node.args.get("expression")
        position = (node.args.get("position") or "BOTH").upper()
        method = {"LEADING": "lstrip", "TRAILING": "rstrip"}.get(position, "strip")
        if chars is None:
            return self._strict([s], lambda a: f"{a[0]}.{method}(_ZS)", TEXT, s.nonnull)
        c = self.value(chars)
        return self._strict([s, c], lambda a: f"{a[0]}.{method}({a[1]})", TEXT, s.nonnull and c.nonnull)

    def _regexp_replace(self, node: exp.RegexpReplace) -> PyExpr:
        s = self.value(node.this)
        pattern, replacement = node.expression, node.args.get("replacement")
        if node.args.get("modifiers") is not None or node.args.get("position") is not None or node.args.get("occurrence") is not None:
            raise NotCompilable("REGEXP_REPLACE with options has no Python translation")
        if isinstance(pattern, exp.Literal) and pattern.is_string and isinstance(replacement, exp.Literal) and replacement.is_string:
            rx = self.regex(pattern.this)
            repl = runtime()._re2_replacement(replacement.this)
            if _min_width(pattern.this) > 0:
                # no empty matches: Python's sub is exactly RE2's global replace
                return self._strict([s], lambda a: f"{rx}.sub({repl!r}, {a[0]})", TEXT, s.nonnull)
            return self._strict([s], lambda a: f"_re2_sub({rx}, {repl!r}, {a[0]})", TEXT, s.nonnull)
        p, r = self.value(pattern), self.value(replacement)
        return self._strict([s, p, r], lambda a: f"_regexp_replace_dynamic({a[0]}, {a[1]}, {a[2]})", TEXT)

    def regex(self, pattern: str) -> str:
        try:
            translated = runtime()._re2_pattern(pattern)
            re.compile(translated)
        except (ValueError, re.error) as err:
            raise NotCompilable(f"regular expression {pattern!r}: {err}") from None
        return self.module.const(f"_re.compile({translated!r})", "_RX")

    def _function(self, node: exp.Func) -> PyExpr:
        fn = BY_NODE[type(node)]
        if fn.aggregate:
            raise NotCompilable(f"{fn.name} aggregates many records: a one-record translator cannot compute it")
        from toolkit.expressions.language import _positional

        args = [self.value(a) for a in _positional(node)]
        if not fn.python:
            raise NotCompilable(f"{fn.name} has no Python implementation (functions.py: python=...)")
        special = fn.python_special(self, args) if fn.python_special is not None else None
        if special is not None:
            return special
        logical = fn.returns([a.ptype.type for a in args])
        ptype = fn.python_type(args) if fn.python_type is not None else PType(logical) if logical is not None else NULL

        def build(names: list[str]) -> str:
            return fn.python.format(*names, args=", ".join(names))

        return self._strict(args, build, ptype, all(a.nonnull for a in args) and not fn.may_be_null)

    def _cast(self, node: exp.Cast | exp.TryCast) -> PyExpr:
        target = cast_target(node.to)
        inner = self.value(node.this)
        strict = type(node) is exp.Cast
        if isinstance(node.this, (exp.Literal, exp.Null, exp.Boolean, exp.Neg)) and inner.simple:
            folded = self._fold(node, inner, target)
            if folded is not None:
                return folded
        src = inner.ptype
        if src.type is Type.NULL:
            return PyExpr("None", target, False, True)
        t = target.type
        if t is Type.STRING:
            if src.type is Type.STRING:
                return inner
            if src.type is Type.INTEGER:
                return self._strict([inner], lambda a: f"str({a[0]})", TEXT, inner.nonnull)
            if src.type is Type.DATE:
                return self._strict([inner], lambda a: f"{a[0]}.isoformat()", TEXT, inner.nonnull)
            fn = "_text32" if src.float32 else "_text"
            return self._strict([inner], lambda a: f"{fn}({a[0]})", TEXT, inner.nonnull)
        if t is Type.INTEGER:
            bits = target.precision or 64
            if src.type is Type.INTEGER and bits == 64:
                return PyExpr(inner.code, target, inner.nonnull, inner.simple)
            call = lambda a: f"_int({a[0]}, {bits})"
        elif t is Type.DECIMAL:
            if src.type is Type.DECIMAL and src.scale is not None and src.precision is not None \
                    and src.scale <= target.scale and src.precision - src.scale <= target.precision - target.scale:
                # widening: every value fits and keeps its digits, only the scale grows
                if src.scale == target.scale:
                    return PyExpr(inner.code, target, inner.nonnull, inner.simple)
                q = self.module.const(f"_QUANTUM[{target.scale}]", "_Q")
                return self._strict([inner], lambda a: f"{a[0]}.quantize({q}, context=_EXACT)", target, inner.nonnull)
            call = lambda a: f"_dec({a[0]}, {target.precision}, {target.scale})"
        elif t is Type.FLOAT:
            if src.type is Type.FLOAT and src.float32 == target.float32:
                return inner
            if target.float32:
                call = lambda a: f"_float32(_to_float({a[0]}))"
            elif src.type is Type.INTEGER:
                return self._strict([inner], lambda a: f"float({a[0]})", FLOAT, inner.nonnull)
            else:
                call = lambda a: f"_to_float({a[0]})"
        elif t is Type.BOOLEAN:
            if src.type is Type.BOOLEAN:
                return inner
            call = lambda a: f"_to_bool({a[0]})"
        elif t is Type.DATE:
            if src.type is Type.DATE:
                return inner
            call = lambda a: f"_to_date({a[0]})"
        elif t is Type.DATETIME:
            if src.type is Type.DATETIME:
                return inner
            call = lambda a: f"_to_timestamp({a[0]})"
        else:
            raise NotCompilable(f"CAST to {target}")
        if strict:
            fail = f"_cast_fail({{}}, {str(target)!r})"
            r = self.body.temp()
            if inner.nonnull:
                first, later = self._bind(inner)
                return PyExpr(f"({r} if ({r} := {call([first])}) is not None else {fail.format(later)})", target, True)
            first, later = self._bind(inner)
            return PyExpr(f"(None if {first} is None else ({r} if ({r} := {call([later])}) is not None else {fail.format(later)}))", target)
        return self._strict([inner], call, target)

    def _fold(self, node, inner: PyExpr, target: PType) -> PyExpr | None:
        """CAST of a constant: computed once, at generation time."""
        rt = runtime()
        source = node.this
        if isinstance(source, exp.Null):
            return PyExpr("None", target, False, True)
        if isinstance(source, exp.Literal) and source.is_string:
            value = source.this
        elif isinstance(source, exp.Boolean):
            value = bool(source.this)
        elif isinstance(source, (exp.Literal, exp.Neg)) and re.fullmatch(r"-?[0-9]+(\.[0-9]*)?", source.sql()):
            text = source.sql()
            value = int(text) if re.fullmatch(r"-?[0-9]+", text) else decimal.Decimal(text)
        else:
            return None
        t = target.type
        result = {
            Type.STRING: lambda v: rt._text(v),
            Type.INTEGER: lambda v: rt._int(v, target.precision or 64),
            Type.DECIMAL: lambda v: rt._dec(v, target.precision, target.scale),
            Type.FLOAT: lambda v: rt._to_float(v) if not target.float32 else None,
            Type.BOOLEAN: lambda v: rt._to_bool(v),
            Type.DATE: lambda v: rt._to_date(v),
            Type.DATETIME: lambda v: rt._to_timestamp(v),
        }[t](value)
        if result is None:
            if type(node) is exp.Cast:
                return None   # leave the failure to run time, where it is reported
            return PyExpr("None", target, False, True)
        code = value_repr(result)
        if not isinstance(result, (bool, int, str)):
            code = self.module.const(code)
        return PyExpr(code, target, True, True)

    def _case(self, node: exp.Case) -> PyExpr:
        subject = node.this
        ifs = list(node.args.get("ifs") or [])
        default = node.args.get("default")
        mapped = self._value_map(node)
        if mapped is not None:
            return mapped
        subj = None
        if subject is not None:
            subj = self.value(subject)
        results = [self.value(b.args["true"]) for b in ifs]
        other = self.value(default) if default is not None else PyExpr("None", NULL, False, True)
        t = common([r.ptype for r in results] + [other.ptype])
        results = [self.convert(r, t) for r in results]
        other = self.convert(other, t)
        conditions = []
        if subj is not None:
            first, later = self._bind(subj)
            for i, b in enumerate(ifs):
                when = self.value(b.this)
                conditions.append(self._compare_truth("==", PyExpr(first if i == 0 else later, subj.ptype, subj.nonnull, i > 0 or subj.simple), when))
        else:
            conditions = [self.truth(b.this) for b in ifs]
        code = other.code
        for cond, res in reversed(list(zip(conditions, results))):
            code = f"({res.code} if {cond} else {code})"
        return PyExpr(code, t, all(r.nonnull for r in results) and other.nonnull, values=_union([*results, other]))

    def _value_map(self, node: exp.Case) -> PyExpr | None:
        """CASE WHEN x = 'a' THEN 'A' WHEN x = 'b' THEN 'B' ... END as one dict lookup."""
        ifs = list(node.args.get("ifs") or [])
        if len(ifs) < 2:
            return None
        subject, codes, targets = node.this, [], []
        for b in ifs:
            cond, then = b.this, b.args["true"]
            if node.this is None:
                if not isinstance(cond, exp.EQ):
                    return None
                if subject is None:
                    subject = cond.this
                elif cond.this.sql() != subject.sql():
                    return None
                cond = cond.expression
            if not isinstance(cond, (exp.Literal, exp.Boolean)) or not isinstance(then, (exp.Literal, exp.Boolean, exp.Null)):
                return None
            codes.append(cond)
            targets.append(then)
        x = self.value(subject)
        keys = [self.value(c) for c in codes]
        if x.ptype.type is Type.FLOAT or any(k.ptype.type is Type.FLOAT for k in keys):
            return None
        if any(common([x.ptype, k.ptype]).type is not x.ptype.type for k in keys if x.ptype.type is not Type.NULL):
            return None
        values = [self.value(t) for t in targets]
        default = node.args.get("default")
        other = self.value(default) if default is not None else PyExpr("None", NULL, False, True)
        t = common([v.ptype for v in values] + [other.ptype])
        values = [self.convert(v, t) for v in values]
        entries, seen = [], set()
        for k, v in zip(keys, values):
            if k.code not in seen:       # the first WHEN that matches wins
                seen.add(k.code)
                entries.append(f"{k.code}: {v.code}")
        table = self.module.const("{" + ", ".join(entries) + "}", "_VM")
        keep = default is not None and default.sql() == subject.sql()
        other = self.convert(other, t) if not keep else other
        known = _union([*values, other]) if not keep else None
        if other.code == "None":
            return PyExpr(f"{table}.get({x.code})", t, values=known)
        if keep:
            first, later = self._bind(x)
            return PyExpr(f"{table}.get({first}, {later})", t)
        if other.simple:
            return PyExpr(f"{table}.get({x.code}, {other.code})", t, other.nonnull and all(v.nonnull for v in values), values=known)
        miss = self.module.const("object()", "_MISS")
        r = self.body.temp()
        return PyExpr(f"({r} if ({r} := {table}.get({x.code}, {miss})) is not {miss} else {other.code})", t)

    # ------------------------------------------------------------------ conditions
    def _boolean_value(self, node: exp.Expression) -> PyExpr:
        """A condition's value in three-valued logic: True, False or None."""
        if isinstance(node, exp.Paren):
            return self._boolean_value(node.this)
        if isinstance(node, exp.Not):
            inner = self.value(node.this)
            return self._strict([inner], lambda a: f"(not {a[0]})", BOOL, inner.nonnull)
        if isinstance(node, (exp.And, exp.Or)):
            a, b = self.value(node.this), self.value(node.expression)
            fa, la = self._bind(a)
            fb, lb = self._bind(b)
            if isinstance(node, exp.And):
                code = f"(False if {fa} is False or {fb} is False else (None if {la} is None or {lb} is None else True))"
            else:
                code = f"(True if {fa} is True or {fb} is True else (None if {la} is None or {lb} is None else False))"
            return PyExpr(code, BOOL, a.nonnull and b.nonnull)
        if isinstance(node, exp.Is):
            return PyExpr(f"({self.truth(node)})", BOOL, True)
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            a, b = self._comparable(node.this, node.expression)
            op = _COMPARISONS[type(node)]
            return self._strict([a, b], lambda x: f"({x[0]} {op} {x[1]})", BOOL, a.nonnull and b.nonnull)
        if isinstance(node, exp.Between):
            return self.value(exp.and_(exp.GTE(this=node.this.copy(), expression=node.args["low"].copy()),
                                       exp.LTE(this=node.this.copy(), expression=node.args["high"].copy())))
        if isinstance(node, exp.In):
            x = self.value(node.this)
            members, has_null = self._in_set(node, x)
            miss = "None" if has_null else "False"
            return self._strict([x], lambda a: f"(True if {a[0]} in {members} else {miss})", BOOL, x.nonnull and not has_null)
        if isinstance(node, (exp.Like, exp.ILike)):
            return self._strict(*self._like(node), BOOL)
        if isinstance(node, exp.Glob) and isinstance(node.expression, exp.Literal) and node.expression.is_string:
            # not in the mapping language: a dialect's rewrite (DuckDB's first look at a plain date) spells it,
            # and the semantic tests compile the rewritten tree to check that it means what the neutral one does
            s = self.value(node.this)
            rx = self.module.const(f"_re.compile({fnmatch.translate(node.expression.this)!r})", "_RX")
            return self._strict([s], lambda a: f"({rx}.fullmatch({a[0]}) is not None)", BOOL, s.nonnull)
        if isinstance(node, exp.RegexpLike):
            s = self.value(node.this)
            pattern = node.expression
            if isinstance(pattern, exp.Literal) and pattern.is_string:
                rx = self.regex(pattern.this)
                return self._strict([s], lambda a: f"({rx}.search({a[0]}) is not None)", BOOL, s.nonnull)
            p = self.value(pattern)
            return self._strict([s, p], lambda a: f"_regexp_matches_dynamic({a[0]}, {a[1]})", BOOL)
        raise NotCompilable(f"`{node.sql()}` is not a condition")

    def _like(self, node):
        s = self.value(node.this)
        pattern = node.expression
        insensitive = isinstance(node, exp.ILike)
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            rx_code = runtime()._like_pattern(pattern.this, insensitive).pattern
            rx = self.module.const(f"_re.compile({rx_code!r}, _re.DOTALL)", "_RX")
            subject = (lambda a: f"_lower({a[0]})") if insensitive else (lambda a: a[0])
            return [s], (lambda a: f"({rx}.fullmatch({subject(a)}) is not None)")
        p = self.value(pattern)
        fn = "_ilike" if insensitive else "_like"
        return [s, p], (lambda a: f"{fn}({a[0]}, {a[1]})")

    def _in_set(self, node: exp.In, x: PyExpr) -> tuple[str, bool]:
        items, has_null = [], False
        for item in node.expressions:
            if isinstance(item, exp.Null):
                has_null = True
                continue
            v = self.value(item)
            t = common([x.ptype, v.ptype])
            if t.type is Type.FLOAT and x.ptype.type is not Type.FLOAT:
                raise NotCompilable("IN comparing decimals with doubles")
            items.append(self.convert(v, t if x.ptype.type is not Type.FLOAT else FLOAT).code)
        members = self.module.const("frozenset((" + ", ".join(items) + ("," if len(items) == 1 else "") + "))", "_SET")
        return members, has_null

    def _comparable(self, left: exp.Expression, right: exp.Expression) -> tuple[PyExpr, PyExpr]:
        a, b = self.value(left), self.value(right)
        t = common([a.ptype, b.ptype])
        if t.type is Type.FLOAT or t.type is Type.DATETIME:
            a, b = self.convert(a, t), self.convert(b, t)
        return a, b

    def _compare_truth(self, op: str, a: PyExpr, right: exp.Expression) -> str:
        b = self.value(right)
        if op in ("==", "!=") and a.values is not None and b.values is not None and len(b.values) == 1 and b.nonnull:
            # a value that can only be one of a few constants, compared with a constant: decided now
            if not (a.values - {None}) & b.values:
                return "False" if op == "==" else ("True" if a.nonnull else f"({a.code} is not None)" if a.simple else self._compare_truth_plain(op, a, b))
            if op == "==" and a.nonnull and a.values == b.values:
                return "True"
        return self._compare_truth_plain(op, a, b)

    def _compare_truth_plain(self, op: str, a: PyExpr, b: PyExpr) -> str:
        t = common([a.ptype, b.ptype])
        if t.type is Type.FLOAT or t.type is Type.DATETIME:
            a, b = self.convert(a, t), self.convert(b, t)
        if a.ptype.type is Type.NULL or b.ptype.type is Type.NULL:
            return "False"
        known = self.module.evaluate(f"{a.code} {op} {b.code}") if a.simple and b.simple else None
        if known is not None:
            return "True" if known else "False"   # two constants: decided now
        parts = []
        fa, la = (a.code, a.code) if a.simple else self._bind(a)
        fb, lb = (b.code, b.code) if b.simple else self._bind(b)
        if not a.nonnull:
            parts.append(f"{fa} is not None")
            fa = la
        if not b.nonnull:
            parts.append(f"{fb} is not None")
            fb = lb
        parts.append(f"{fa} {op} {fb}")
        return "(" + " and ".join(parts) + ")"

    # ------------------------------------------------------------------ three-valued logic (ThreeValuedLogic)
    def _settle(self, code: str) -> str:
        if code in ("True", "False"):
            return code
        value = self.module.evaluate(code)
        return code if value is None else ("True" if value else "False")

    def _conj(self, a: str, b: str) -> str:
        return _and(a, b)

    def _disj(self, a: str, b: str) -> str:
        return _or(a, b)

    def _negate(self, a: str) -> str:
        return _not(a)

    def _given(self, node: exp.Expression, true: bool):
        return self._known_not_null(_null_tested(node, negated=true))

    def _leaf_truth(self, node: exp.Expression) -> str:
        if isinstance(node, exp.Is):
            x = self.value(node.this)
            target = node.expression
            if isinstance(target, exp.Null):
                if x.code == "None":
                    return "True"
                return "False" if x.nonnull else f"({x.code} is None)"
            if isinstance(target, exp.Boolean):
                return f"({x.code} is {bool(target.this)})"
            raise NotCompilable(f"IS {target.sql()}")
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            a = self.value(node.this)
            return self._compare_truth(_COMPARISONS[type(node)], a, node.expression)
        if isinstance(node, exp.Between):
            return self.truth(exp.and_(exp.GTE(this=node.this.copy(), expression=node.args["low"].copy()),
                                       exp.LTE(this=node.this.copy(), expression=node.args["high"].copy())))
        if isinstance(node, exp.In):
            x = self.value(node.this)
            members, _ = self._in_set(node, x)
            return f"({x.code} in {members})"
        v = self.value(node)
        return f"({v.code} is True)"

    def _leaf_falsity(self, node: exp.Expression) -> str:
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            a = self.value(node.this)
            return self._compare_truth(_NEGATED[type(node)], a, node.expression)
        if isinstance(node, exp.In) and not any(isinstance(i, exp.Null) for i in node.expressions):
            x = self.value(node.this)
            members, _ = self._in_set(node, x)
            literals = {i.this for i in node.expressions if isinstance(i, exp.Literal) and i.is_string}
            if x.values is not None and (x.values - {None}) <= literals:
                return "False"   # every value it can take is in the list
            if x.nonnull:
                return f"({x.code} not in {members})"
            first, later = self._bind(x)
            return f"({first} is not None and {later} not in {members})"
        v = self.value(node)
        return f"({v.code} is False)"


def _null_tested(node: exp.Expression, negated: bool) -> exp.Column | None:
    """The column `node` tests IS NULL (or, ``negated``, IS NOT NULL), if it is such a test."""
    while isinstance(node, exp.Paren):
        node = node.this
    if negated:
        if not isinstance(node, exp.Not):
            return None
        node = node.this
        while isinstance(node, exp.Paren):
            node = node.this
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) and isinstance(node.this, exp.Column):
        return node.this
    return None


def _union(exprs: list[PyExpr]) -> frozenset | None:
    out = set()
    for e in exprs:
        if e.code == "None":
            out.add(None)
        elif e.values is None:
            return None
        else:
            out |= e.values
            if not e.nonnull:
                out.add(None)
    return frozenset(out)


def _and(a: str, b: str) -> str:
    if a == "False" or b == "False":
        return "False"
    if a == "True":
        return b
    if b == "True":
        return a
    return f"({a} and {b})"


def _or(a: str, b: str) -> str:
    if a == "True" or b == "True":
        return "True"
    if a == "False":
        return b
    if b == "False":
        return a
    m = re.fullmatch(r"\(([A-Za-z_][A-Za-z0-9_]*) is None\)", a)
    if m and b.startswith(f"({m.group(1)} is not None and ") and _balanced(b[len(m.group(1)) + 18:-1]):
        b = "(" + b[len(m.group(1)) + 18:]   # (x is None) or (x is not None and y) is (x is None) or (y)
    return f"({a} or {b})"


def _not(a: str) -> str:
    if a in ("True", "False"):
        return "False" if a == "True" else "True"
    if a.startswith("(not ") and a.endswith(")") and _balanced(a[5:-1]):
        return a[5:-1]
    if re.fullmatch(r"\([A-Za-z_][A-Za-z0-9_]* is (not )?None\)", a):
        return a.replace(" is not None)", " is None)") if " is not None)" in a else a.replace(" is None)", " is not None)")
    return f"(not {a})"


def _balanced(code: str) -> bool:
    depth = 0
    for ch in code:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


# runtime functions without side effects that constant folding may call
_PURE = {"_upper", "_lower", "_initcap", "_substring", "_right", "_replace", "_text", "str", "len", "abs"}

_COMPARISONS = {exp.EQ: "==", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
_NEGATED = {exp.EQ: "!=", exp.NEQ: "==", exp.GT: "<=", exp.GTE: "<", exp.LT: ">=", exp.LTE: ">"}


def _decimal_shape(e: PyExpr) -> tuple[int, int]:
    """(width, scale) DuckDB gives an operand of decimal arithmetic."""
    if e.ptype.type is Type.DECIMAL:
        return e.ptype.precision or 18, e.ptype.scale or 0
    if e.ptype.type is Type.INTEGER:
        return (e.ptype.precision or 19), 0
    return 18, 0


def _min_width(pattern: str) -> int:
    """Smallest match length of a regular expression (0 when it can match the empty string)."""
    try:
        import re._parser as sre_parse   # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore
    try:
        return sre_parse.parse(runtime()._re2_pattern(pattern)).getwidth()[0]
    except Exception:
        return 0
