"""The neutral semantics of mapping expressions, as AST rewrites a dialect picks from.

Every dialect file lists the rewrites it needs (``passes(...)``) so that all engines
compute the same canonical values. What the neutral language means (the spec the
cross-engine tests check):

- ``||`` propagates NULL; ``CONCAT`` treats NULL as empty text.
- ``/`` is true division in DOUBLE; ``x / 0`` and ``x % 0`` are NULL (never an error, never inf).
- ``ROUND`` rounds half away from zero; a DOUBLE is first taken to 10 decimal places (so 599.925,
  stored in binary as 599.92499999999995, rounds to 599.93 everywhere), and so is a DOUBLE cast to
  DECIMAL; ``FLOOR``/``CEIL`` give integers; ``UPPER('ß')`` is ``'ẞ'``;
  ``AVG`` is a DOUBLE mean.
- ``GREATEST``/``LEAST`` ignore NULL arguments (NULL only when all are NULL).
- ``CAST``/``TRY_CAST`` never fail a view. Text converts only when it has one canonical shape,
  after trimming spaces: integers ``[+-]digits`` (at most 18 digits); decimals ``[+-]d.d`` with
  at most p-s integer digits (rounded half away from zero to s places); doubles may add an
  exponent of at most two digits; booleans ``true/t/yes/y/1`` and ``false/f/no/n/0`` in any case;
  dates ``YYYY-MM-DD`` and timestamps ``YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]`` that exist on the
  calendar. Anything else is NULL. Numbers to integers round half away from zero; numbers to
  booleans are ``x <> 0``; booleans to numbers are 1/0 and to text ``'true'``/``'false'``.
- ``STR_TO_DATE(text, fmt)`` reads zero-padded fields (``%Y`` four digits; ``%m %d %H %M %S``
  two) at fixed places, spaces trimmed; a text of another shape or a non-existent date is NULL.
- ``INITCAP`` upper-cases the first character of every word and lower-cases the rest; words are
  separated by ASCII white space and ASCII punctuation (the same set on every engine).
- Text compares by its characters' code points, case-, accent- and trailing-space-sensitive, whatever
  the collation of the columns: ``=``, ``<``, ``IN``, ``CASE x WHEN``, ``NULLIF``, ``MIN``/``MAX``,
  ``GREATEST``/``LEAST``, ``GROUP BY``, ``DISTINCT`` and join conditions ('a' <> 'A', 'a' <> 'a ',
  'e' <> 'é'); ``LIKE``, ``REGEXP`` and the position of a text in another match case-sensitively.
  ``LIKE`` has no escape character (a backslash and ``[`` stand for themselves). Engines whose collations
  may say otherwise (MySQL/MariaDB, SQL Server) declare an ``ExactText`` (see ``_ExactText``).
"""
from __future__ import annotations

import itertools
import re
import string
from dataclasses import dataclass, field
from typing import Callable

import sqlglot
from sqlglot import exp

from toolkit.core.types import CANONICAL_DECIMAL, FALSE_TEXTS, SQL_TYPES, TRUE_TEXTS, Type, from_native
from toolkit.expressions.functions import FUNCTIONS, template  # noqa: F401 (template: for the dialect files)

Rewrite = Callable[[exp.Expression], exp.Expression]

TYPE = "dict_type"   # meta key: the canonical Type of a node, set by the generator before rendering
ORIGIN = "dict_origin"  # meta key: (file, line) of the mapping expression a node comes from

INITCAP_DELIMITERS = " \t\n\r\f\v" + string.punctuation


def type_of(node: exp.Expression) -> Type | None:
    meta = node._meta
    return meta.get(TYPE) if meta else None


def typed(node: exp.Expression, t: Type | None) -> exp.Expression:
    if t is not None:
        meta_of(node)[TYPE] = t
    return node


class _Meta(dict):
    """A node's meta whose values are never changed in place (canonical types, walk marks, sqlglot's source
    positions), so a tree copy copies the dict alone: sqlglot deep-copies a plain dict value by value, which
    was most of what copying a tree for each dialect cost."""

    __slots__ = ()

    def __deepcopy__(self, memo) -> "_Meta":
        return _Meta(self)


def meta_of(node: exp.Expression) -> dict:
    """``node.meta``, as a ``_Meta`` (cheap to copy with the tree)."""
    meta = node._meta
    if type(meta) is not _Meta:
        meta = node._meta = _Meta(meta or ())
    return meta


def handles(*types: type[exp.Expression]):
    """Declare the node classes a rewrite looks at (others pass through untouched: saves the call)."""
    def mark(fn):
        fn.types = types
        return fn
    return mark


_DONE = "dict_done"
_WALKS = itertools.count(1)


def _end_of_phase(node: exp.Expression) -> exp.Expression:
    """Marks where the semantic passes end and the engine-spelling passes begin."""
    return node


def apply_passes(tree: exp.Expression, passes: tuple[Rewrite, ...]) -> exp.Expression:
    """What applying each pass bottom-up over the whole tree in turn gives, in one walk per phase.

    Within a phase a node is offered to the passes in order once its children are done; when
    pass i replaces it, the new subtree gets passes i+1.. Parts of it already done (also as
    copies: the mark travels in the node's meta) are not offered again. The semantic passes
    run before the spelling passes, so they always see the canonical types the generator
    recorded.
    """
    phases = _cached(_PHASES, passes)
    if phases is None:
        phases, current = [], []
        for p in passes:
            if p is _end_of_phase:
                phases.append(tuple(current))
                current = []
            else:
                current.append(p)
        phases.append(tuple(current))
        phases = _store(_PHASES, passes, tuple(phase for phase in phases if phase))
    for phase in phases:
        tree = _walk_phase(tree, phase)
    return tree


# what depends only on the passes, worked out once per tuple of passes (a dialect's rewrites, a phase):
# the phases; per phase the classes each pass handles, their union, and (class, first pass) -> the passes
_PHASES: dict[tuple[Rewrite, ...], tuple[tuple[Rewrite, ...], ...]] = {}
_PLANS: dict[tuple[Rewrite, ...], tuple[list, frozenset | None, dict[tuple[type, int], tuple[int, ...]]]] = {}


def _phase_plan(passes: tuple[Rewrite, ...]) -> tuple[list, frozenset | None, dict[tuple[type, int], tuple[int, ...]]]:
    plan = _cached(_PLANS, passes)
    if plan is None:
        kinds = [getattr(p, "types", None) for p in passes]
        # the node classes some pass looks at (None: a pass looks at every node)
        relevant = None if any(k is None for k in kinds) else frozenset(t for k in kinds for t in k)
        plan = _store(_PLANS, passes, (kinds, relevant, {}))
    return plan


def _cached(cache: dict, passes: tuple[Rewrite, ...]):
    try:
        return cache.get(passes)
    except TypeError:   # a pass that cannot be hashed (equality without a hash): worked out each time
        return None


def _store(cache: dict, passes: tuple[Rewrite, ...], value):
    try:
        cache[passes] = value
    except TypeError:
        pass
    return value


def with_subclasses(*classes: type[exp.Expression]) -> tuple[type[exp.Expression], ...]:
    """``classes`` and every subclass sqlglot defines: for a rewrite that tests with isinstance."""
    out, todo = [], list(classes)
    while todo:
        cls = todo.pop()
        if cls not in out:
            out.append(cls)
            todo.extend(cls.__subclasses__())
    return tuple(out)


def _walk_phase(tree: exp.Expression, passes: tuple[Rewrite, ...]) -> exp.Expression:
    token = next(_WALKS)
    kinds, relevant, offered = _phase_plan(passes)

    def passes_for(cls: type, first: int) -> tuple[int, ...]:
        key = (cls, first)
        if key not in offered:
            offered[key] = tuple(i for i in range(first, len(passes)) if kinds[i] is None or cls in kinds[i])
        return offered[key]

    def done(node: exp.Expression) -> bool:
        meta = node._meta
        return bool(meta) and meta.get(_DONE) == token

    def candidates(root: exp.Expression, first: int) -> list[exp.Expression]:
        # sqlglot's own (compiled) walk lists the nodes in pre-order, filtered by exact class (a set lookup:
        # find_all's isinstance against every handled class costs more than the walk itself)
        nodes = root.dfs(prune=done) if first else root.dfs()
        return list(nodes) if relevant is None else [n for n in nodes if type(n) in relevant]

    def run(root: exp.Expression, first: int) -> exp.Expression:
        # reversed pre-order puts every node after its descendants: each is offered once its parts are done
        for node in reversed(candidates(root, first)):
            indices = passes_for(type(node), first)
            if not indices or done(node):
                continue
            # where the node sits, taken now: a pass may wrap the node itself into its replacement
            parent, key, index = node.parent, node.arg_key, node.index
            for i in indices:
                new = passes[i](node)
                if new is not node:
                    new = run(new, i + 1)   # the replacement, still detached, gets the passes after i
                    if node is root:
                        root = new
                    else:
                        parent.set(key, new, index)
                    break
            else:
                meta_of(node)[_DONE] = token
        return root

    return run(tree, 0)


# ----------------------------------------------------------------------------- small builders

def _str(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _num(value) -> exp.Literal:
    return exp.Literal.number(value)


def _cast(node: exp.Expression, t: Type | exp.DataType) -> exp.Expression:
    to = t.copy() if isinstance(t, exp.DataType) else SQL_TYPES[t].copy()
    return typed(exp.Cast(this=node, to=to), t if isinstance(t, Type) else from_native(to))


def _case(*branches: tuple[exp.Expression, exp.Expression], default: exp.Expression | None = None) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in branches], default=default)


def _pipe(*parts: exp.Expression) -> exp.Expression:
    tree = parts[0]
    for p in parts[1:]:
        tree = exp.DPipe(this=tree, expression=p, safe=None)
    return typed(tree, Type.STRING)


def _substr(node: exp.Expression, start: int, length: int | None = None) -> exp.Expression:
    return exp.Substring(this=node.copy(), start=_num(start), length=_num(length) if length is not None else None)


def _int_at(text: exp.Expression, start: int, length: int) -> exp.Expression:
    return _cast(_substr(text, start, length), Type.INTEGER)


def _matches(node: exp.Expression, pattern: str) -> exp.Expression:
    return exp.RegexpLike(this=node.copy(), expression=_str(pattern))


def _between(node: exp.Expression, low, high) -> exp.Expression:
    return exp.Between(this=node.copy(), low=_num(low) if not isinstance(low, exp.Expression) else low,
                       high=_num(high) if not isinstance(high, exp.Expression) else high)


def _and(*conds: exp.Expression) -> exp.Expression:
    return exp.and_(*conds, copy=False)


def _trimmed(node: exp.Expression) -> exp.Expression:
    return typed(exp.Trim(this=node.copy()), Type.STRING)


# ----------------------------------------------------------------------------- text shapes

INTEGER_TEXT = r"^[+-]?[0-9]{1,18}$"
DOUBLE_TEXT = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]{1,2})?$"
# the time of day must be on the clock (no 24:00, no leap seconds); the date is checked apart
TIMESTAMP_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?)?$"


def decimal_text(integer_digits: int) -> str:
    whole = f"[0-9]{{1,{integer_digits}}}" if integer_digits > 0 else "0?"
    return rf"^[+-]?({whole}([.][0-9]*)?|[.][0-9]+)$"


def _days_in_month(y: exp.Expression, m: exp.Expression) -> exp.Expression:
    def mod(a: exp.Expression, n: int) -> exp.Expression:
        return exp.Mod(this=a.copy(), expression=_num(n))

    leap = exp.or_(_and(exp.EQ(this=mod(y, 4), expression=_num(0)), exp.NEQ(this=mod(y, 100), expression=_num(0))),
                   exp.EQ(this=mod(y, 400), expression=_num(0)), copy=False)
    return _case((exp.EQ(this=m.copy(), expression=_num(2)), _case((leap, _num(29)), default=_num(28))),
                 (exp.In(this=m.copy(), expressions=[_num(4), _num(6), _num(9), _num(11)]), _num(30)),
                 default=_num(31))


def _valid_date(y: exp.Expression, m: exp.Expression, d: exp.Expression) -> exp.Expression:
    return _and(exp.GTE(this=y.copy(), expression=_num(1)), _between(m, 1, 12),
                _between(d, 1, _days_in_month(y, m)))


def _date_exists(t: exp.Expression) -> exp.Expression:
    """``t`` matches TIMESTAMP_TEXT and its date is on the calendar (the regex has checked the time)."""
    return _valid_date(_int_at(t, 1, 4), _int_at(t, 6, 2), _int_at(t, 9, 2))


def _timestamp_text(t: exp.Expression) -> exp.Expression:
    """TIMESTAMP_TEXT normalised to 'YYYY-MM-DD HH:MM:SS[.f]'."""
    length = exp.Length(this=t.copy())
    return _case((exp.EQ(this=length.copy(), expression=_num(10)), _pipe(t.copy(), _str(" 00:00:00"))),
                 (exp.EQ(this=length, expression=_num(16)), _pipe(_substr(t, 1, 10), _str(" "), _substr(t, 12, 5), _str(":00"))),
                 default=_pipe(_substr(t, 1, 10), _str(" "), _substr(t, 12)))


# ----------------------------------------------------------------------------- the dialect knobs

@dataclass(frozen=True)
class Quirks:
    """What one engine needs so that it computes the neutral semantics (all data, no code paths)."""

    # the exact type a DOUBLE is rounded through (None: the engine has no exact type, SQLite)
    exact_numeric: exp.DataType | None = exp.DataType.build("DECIMAL(38, 10)")
    upper_sharp_s: bool = True   # UPPER('ß') is 'ß' or 'SS' here: give it 'ẞ' as DuckDB does
    # the engine's TRY_CAST gives NULL for a date not on the calendar and a number out of range
    # (after the shape check): it can finish a CAST; without it the SQL checks both first
    try_cast: bool = False
    # with try_cast: a legacy column's text already in the canonical shape (nothing to trim: the common case) is
    # converted as it is, a GLOB recognising a plain 'YYYY-MM-DD' and the shape regex any other shape, before
    # the TRIM and the regex; for an engine whose CASE evaluates a branch only on the rows that reach it (DuckDB),
    # so that only padded or bad values pay for the TRIM. Same values: TRIM leaves such a text unchanged.
    untrimmed_first: bool = False
    # INITCAP: None = the engine's own INITCAP already follows the neutral delimiters
    initcap: Callable[[exp.Expression], exp.Expression] | None = None
    greatest_ignores_nulls: bool = True
    regexp_like: Callable[[exp.Expression, exp.Expression], exp.Expression] | None = None
    timestamp_as_text: Callable[[exp.Expression], exp.Expression] | None = None
    types: dict[Type, exp.DataType] = field(default_factory=dict)   # canonical type -> this engine's SQL type
    decimal_cast: Callable[[exp.Expression, exp.DataType], exp.Expression] | None = None
    syntax: tuple[Rewrite, ...] = ()   # engine-specific spellings, applied last
    # text compares as the column's collation says (case/accent/trailing-space-insensitive): how to compare exactly
    exact_text: "ExactText | None" = None


def passes(dialect: str, quirks: Quirks = Quirks()) -> tuple[Rewrite, ...]:
    """The rewrites, in order, that give the neutral semantics on ``dialect``, an engine with these quirks."""
    out: list[Rewrite] = [
        _concat_nulls_as_empty,
        _safe_division,
        _integer_results,
        _PortableCasts(quirks.try_cast, quirks.untrimmed_first),
        _portable_str_to_date,
        _TextOf(quirks.timestamp_as_text),
    ]
    if quirks.exact_numeric is not None:
        out.append(_ThroughDecimal(quirks.exact_numeric))
    if quirks.upper_sharp_s:
        out.append(_upper_sharp_s)
    if not quirks.greatest_ignores_nulls:
        out.append(_greatest_least_ignoring_nulls)
    out.append(_end_of_phase)
    if quirks.initcap is not None:
        out.append(_Replace(exp.Initcap, lambda n: quirks.initcap(n.this)))
    renderings = _FunctionRenderings(dialect)
    if renderings.types:   # each function's SQL on this engine (functions.py: dialects=...)
        out.append(renderings)
    if quirks.exact_text is not None:   # after INITCAP (its LOCATE), before REGEXP_LIKE's spelling
        out.append(_ExactText(quirks.exact_text))
    if quirks.regexp_like is not None:
        out.append(_Replace(exp.RegexpLike, lambda n: quirks.regexp_like(n.this, n.expression)))
    if quirks.decimal_cast is not None:
        out.append(_DecimalCast(quirks.decimal_cast))
    if quirks.types:
        out.append(_TypeNames(quirks.types))
    out.extend(quirks.syntax)
    return tuple(out)


class _Replace:
    """Replace every node of one class by what ``build`` makes of it."""

    def __init__(self, cls: type[exp.Expression], build: Callable[[exp.Expression], exp.Expression]):
        self.cls, self.build = cls, build
        self.types = (cls,)

    def __call__(self, node: exp.Expression) -> exp.Expression:
        return self.build(node) if type(node) is self.cls else node


class _FunctionRenderings:
    """Every function the dialect spells its own way, as its table entry says (the result keeps the node's type)."""

    def __init__(self, dialect: str):
        self.build = {f.node: f.rendering(dialect) for f in FUNCTIONS if f.rendering(dialect) is not None}
        self.types = tuple(self.build)

    def __call__(self, node: exp.Expression) -> exp.Expression:
        build = self.build.get(type(node))
        if build is None:
            return node
        new = build(node)
        return new if new is node else typed(new, type_of(node))


# ----------------------------------------------------------------------------- the passes

@handles(exp.Concat)
def _concat_nulls_as_empty(node: exp.Expression) -> exp.Expression:
    if type(node) is not exp.Concat:
        return node
    parts = [exp.Coalesce(this=_cast(a.copy(), Type.STRING), expressions=[_str("")]) for a in node.expressions]
    return typed(exp.Paren(this=_pipe(*parts)), Type.STRING) if parts else _str("")


@handles(exp.Div, exp.Mod)
def _safe_division(node: exp.Expression) -> exp.Expression:
    if type(node) is exp.Div:
        return typed(exp.Div(this=_cast(node.this, Type.FLOAT),
                             expression=exp.Nullif(this=_cast(node.expression, Type.FLOAT), expression=_num(0)),
                             typed=False, safe=False), Type.FLOAT)
    if type(node) is exp.Mod:
        return typed(exp.Mod(this=node.this, expression=exp.Nullif(this=node.expression, expression=_num(0))), type_of(node))
    return node


@handles(exp.Floor, exp.Ceil, exp.Avg)
def _integer_results(node: exp.Expression) -> exp.Expression:
    if type(node) in (exp.Floor, exp.Ceil):
        # an integer when it fits in BIGINT, else NULL (never a failed view)
        fits = exp.LT(this=exp.Abs(this=node.this.copy()), expression=_num(9200000000000000000))
        return typed(_case((fits, _cast(node, Type.INTEGER))), Type.INTEGER)
    if type(node) is exp.Avg:
        node.set("this", _cast(node.this, Type.FLOAT))
        return typed(node, Type.FLOAT)
    return node


def _target(to: exp.DataType) -> tuple[Type, exp.DataType]:
    """Canonical type of a CAST target and the SQL type every engine converts to."""
    t = from_native(to)
    if t is Type.DECIMAL and to.expressions:
        return t, to.copy()
    return t, SQL_TYPES[t].copy()


def _decimal_digits(to: exp.DataType) -> tuple[int, int]:
    params = [int(p.this.this) if isinstance(p.this, exp.Literal) else int(p.name) for p in to.expressions]
    if not params:
        return CANONICAL_DECIMAL
    return params[0], params[1] if len(params) > 1 else 0


class _PortableCasts:
    """CAST and TRY_CAST with the neutral meaning (see the module docstring)."""

    types = (exp.TryCast, exp.Cast)

    def __init__(self, try_cast: bool, untrimmed_first: bool = False):
        self.try_cast = try_cast
        self.untrimmed_first = untrimmed_first

    def __call__(self, node: exp.Expression) -> exp.Expression:
        if type(node) is exp.TryCast:
            value = node.this
            source = type_of(value)
            target, to = _target(node.to)
            if source is None:
                raise ValueError(f"internal: no type for the value of {node.sql()}")
            return typed(convert(value, source, target, to, self.try_cast, self.untrimmed_first), target)
        # the generator's own casts (a code map's text into a boolean slot) read text the same way
        source = type_of(node.this)
        target = from_native(node.to)
        if (source is Type.STRING and target is not Type.STRING) or (source is Type.BOOLEAN and target.numeric):
            return typed(convert(node.this, source, target, node.to, self.try_cast, self.untrimmed_first), target)
        return node


def convert(value: exp.Expression, source: Type, target: Type, to: exp.DataType, try_cast: bool = False,
            untrimmed_first: bool = False) -> exp.Expression:
    """``value`` (of canonical type ``source``) as ``target``, NULL where the spec says it does not convert."""
    null = _cast(exp.null(), to)
    if source is Type.NULL:
        return null
    if source is target and target is not Type.DECIMAL:
        return _cast(value.copy(), to)
    if source is Type.STRING:
        return _from_text(value, target, to, try_cast, untrimmed_first)
    if target is Type.STRING:
        return _cast(value.copy(), to)
    if source is Type.BOOLEAN:
        if target.numeric:
            return _cast(_case((value.copy(), _num(1)), (exp.Not(this=value.copy()), _num(0))), to)
        return null
    if source.numeric:
        if target is Type.BOOLEAN:
            return typed(exp.NEQ(this=value.copy(), expression=_num(0)), Type.BOOLEAN)
        if target is Type.INTEGER:
            rounded = typed(exp.Round(this=value.copy()), source)
            return _case((exp.LT(this=exp.Abs(this=value.copy()), expression=_num(9200000000000000000)),
                          _cast(rounded, to)))
        if target is Type.DECIMAL:
            precision, scale = _decimal_digits(to)
            rounded = typed(exp.Round(this=value.copy(), decimals=_num(scale)), source)
            return _case((exp.LT(this=exp.Abs(this=rounded), expression=_num("1" + "0" * (precision - scale))),
                          _cast(value.copy(), to)))
        if target is Type.FLOAT:
            return _cast(value.copy(), to)
        return null
    if source.temporal and target.temporal:
        return _cast(value.copy(), to)
    return null


# built once: sqlglot parses a type given as text on every build
_WIDE_DECIMAL = exp.DataType.build("DECIMAL(38, 18)")


# a plain 'YYYY-MM-DD' (GLOB's [0-9] is the ASCII digits alone, as the regexes' is)
DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


def _from_text(value: exp.Expression, target: Type, to: exp.DataType, try_cast: bool,
               untrimmed_first: bool = False) -> exp.Expression:
    """Text to ``target`` when it has the canonical shape. With ``try_cast`` the engine's own TRY_CAST
    (NULL for a date not on the calendar or a number out of range) finishes what the shape check began;
    without it the calendar and the range are checked in SQL before a plain CAST. With ``untrimmed_first``
    (see Quirks) a column's text that already has the shape is converted first, untrimmed."""
    t = _trimmed(value)
    final = (lambda node: typed(exp.TryCast(this=node, to=to.copy(), safe=True), target)) if try_cast else (lambda node: _cast(node, to))
    if target is Type.BOOLEAN:
        word = typed(exp.Lower(this=t), Type.STRING)
        return _case((exp.In(this=word.copy(), expressions=[_str(w) for w in TRUE_TEXTS]), exp.true()),
                     (exp.In(this=word.copy(), expressions=[_str(w) for w in FALSE_TEXTS]), exp.false()))
    shape = None
    if target is Type.INTEGER:
        shape = INTEGER_TEXT
    elif target is Type.FLOAT:
        shape = DOUBLE_TEXT
    elif target is Type.DECIMAL:
        precision, scale = _decimal_digits(to)
        shape = decimal_text(min(precision - scale, 20))
        if not try_cast:
            wide = typed(exp.Round(this=_cast(t.copy(), _WIDE_DECIMAL.copy()), decimals=_num(scale)), Type.DECIMAL)
            fits = exp.LT(this=exp.Abs(this=wide), expression=_num("1" + "0" * (precision - scale)))
            return _case((_matches(t, shape), _case((fits, final(t.copy())))))
    elif target in (Type.DATE, Type.DATETIME):
        if not try_cast:
            text = _substr(t, 1, 10) if target is Type.DATE else _timestamp_text(t)
            return _case((_matches(t, TIMESTAMP_TEXT), _case((_date_exists(t), final(text)))))
        shape = TIMESTAMP_TEXT
    else:
        return _cast(value.copy(), to)

    def as_text(text: exp.Expression) -> exp.Expression:   # what the engine's TRY_CAST reads
        if target is Type.DATE:
            return _substr(text, 1, 10)
        return _timestamp_text(text) if target is Type.DATETIME else text.copy()

    branches = [(_matches(t, shape), final(as_text(t)))]
    if try_cast and untrimmed_first and isinstance(value, exp.Column):
        branches.insert(0, (_matches(value, shape), final(as_text(value))))
        if target is Type.DATE:
            branches.insert(0, (exp.Glob(this=value.copy(), expression=_str(DATE_GLOB)), final(value.copy())))
    return _case(*branches)


_DIRECTIVES = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}


@handles(exp.StrToDate)
def _portable_str_to_date(node: exp.Expression) -> exp.Expression:
    if type(node) is not exp.StrToDate:
        return node
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise ValueError("STR_TO_DATE needs its format as a quoted literal")
    pattern, places = _format_shape(fmt.this)
    t = _trimmed(node.this)
    y, m, d = (_int_at(t, places[k], _DIRECTIVES[k]) for k in "Ymd")
    checks = [_valid_date(y, m, d)]
    for k, top in (("H", 23), ("M", 59), ("S", 59)):
        if k in places:
            checks.append(exp.LTE(this=_int_at(t, places[k], 2), expression=_num(top)))
    iso = _pipe(_substr(t, places["Y"], 4), _str("-"), _substr(t, places["m"], 2), _str("-"), _substr(t, places["d"], 2))
    return typed(_case((_matches(t, pattern), _case((_and(*checks), _cast(iso, Type.DATE))))), Type.DATE)


def _format_shape(fmt: str) -> tuple[str, dict[str, int]]:
    """Regex and 1-based field positions of a strftime format of fixed-width fields."""
    pattern, places, pos, i = ["^"], {}, 1, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            key = fmt[i + 1]
            i += 2
            if key == "%":
                pattern.append("%")
                pos += 1
                continue
            if key not in _DIRECTIVES or key in places:
                raise ValueError(f"STR_TO_DATE format '{fmt}': %{key} is not supported "
                                 f"(use zero-padded %Y %m %d %H %M %S, each once)")
            places[key] = pos
            pattern.append(f"[0-9]{{{_DIRECTIVES[key]}}}")
            pos += _DIRECTIVES[key]
            continue
        pattern.append(re.escape(ch) if not ch.isalnum() and ch != " " else ch)
        pos += 1
        i += 1
    missing = [k for k in "Ymd" if k not in places]
    if missing:
        raise ValueError(f"STR_TO_DATE format '{fmt}' needs %Y, %m and %d")
    return "".join(pattern) + "$", places


class _TextOf:
    """CAST(x AS TEXT) spelled the same everywhere: booleans as 'true'/'false', timestamps 'YYYY-MM-DD HH:MM:SS'."""

    types = (exp.Cast,)

    def __init__(self, timestamp_as_text):
        self.timestamp_as_text = timestamp_as_text

    def __call__(self, node: exp.Expression) -> exp.Expression:
        if type(node) is not exp.Cast or from_native(node.to) is not Type.STRING:
            return node
        source = type_of(node.this)
        if source is Type.BOOLEAN:
            return typed(_case((node.this.copy(), _str("true")), (exp.Not(this=node.this.copy()), _str("false"))), Type.STRING)
        if source is Type.DATETIME and self.timestamp_as_text is not None:
            return typed(self.timestamp_as_text(node.this), Type.STRING)
        return node


class _ThroughDecimal:
    """A DOUBLE is rounded (by ROUND or a cast to DECIMAL) from its value at 10 decimal places.

    Engines disagree on rounding a binary double whose decimal form ends in 5 (599.925 is
    599.92499999999995 in binary: DuckDB gives 599.92, PostgreSQL, MySQL, Spark and SQLite
    599.93); taking the value to DECIMAL(38, 10) first makes them all round the decimal form.
    """

    types = (exp.Round, exp.Cast)

    def __init__(self, exact: exp.DataType):
        self.exact = exact

    def __call__(self, node: exp.Expression) -> exp.Expression:
        rounds = type(node) is exp.Round or (type(node) is exp.Cast and node.to.this == exp.DataType.Type.DECIMAL)
        if rounds and type_of(node.this) is Type.FLOAT:
            node.set("this", typed(exp.Cast(this=node.this, to=self.exact.copy()), Type.DECIMAL))
        return node


@handles(exp.Upper)
def _upper_sharp_s(node: exp.Expression) -> exp.Expression:
    """UPPER maps ß to the capital ẞ (one character for one, as Unicode's simple case mapping)."""
    if type(node) is exp.Upper:
        node.set("this", exp.Replace(this=node.this, expression=_str("ß"), replacement=_str("ẞ")))
    return node


@handles(exp.Greatest, exp.Least)
def _greatest_least_ignoring_nulls(node: exp.Expression) -> exp.Expression:
    if type(node) not in (exp.Greatest, exp.Least):
        return node
    args = [node.this] + list(node.expressions)
    if len(args) < 2:
        return node
    firsts = [exp.Coalesce(this=a.copy(), expressions=[b.copy() for b in args if b is not a]) for a in args]
    return typed(type(node)(this=firsts[0], expressions=firsts[1:]), type_of(node))


class _DecimalCast:
    types = (exp.Cast,)

    def __init__(self, build):
        self.build = build

    def __call__(self, node: exp.Expression) -> exp.Expression:
        if type(node) is exp.Cast and node.to.this in (exp.DataType.Type.DECIMAL,):
            return self.build(node.this, node.to)
        return node


class _TypeNames:
    """Canonical SQL types spelled as this engine needs them (e.g. TIMESTAMP -> TIMESTAMP_NTZ)."""

    def __init__(self, types: dict[Type, exp.DataType]):
        self.by_sql = {SQL_TYPES[t].sql(): to for t, to in types.items()}
        self.types = (exp.DataType,)

    def __call__(self, node: exp.Expression) -> exp.Expression:
        if type(node) is exp.DataType:
            to = self.by_sql.get(node.sql())
            if to is not None:
                return to.copy()
        return node


# ----------------------------------------------------------------------------- exact text comparison

_TEXT_TYPES = frozenset({exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.CHAR,
                         exp.DataType.Type.NVARCHAR, exp.DataType.Type.NCHAR})
# nodes whose value is text whatever their operands (when no canonical type was recorded)
_TEXT_RESULTS = (exp.DPipe, exp.GroupConcat, *(f.node for f in FUNCTIONS if f.result_is_text))
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)


def is_text(node: exp.Expression | None) -> bool:
    """Whether ``node`` is text: its recorded canonical type, else what its shape says."""
    while node is not None:
        t = type_of(node)
        if t is not None:
            return t is Type.STRING
        if not isinstance(node, exp.Paren):
            break
        node = node.this
    if node is None:
        return False
    if isinstance(node, exp.Literal):
        return node.is_string
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return node.to.this in _TEXT_TYPES
    if isinstance(node, exp.Coalesce):   # e.g. GREATEST's arguments, made to ignore NULLs
        return any(is_text(part) for part in (node.this, *node.expressions))
    return isinstance(node, _TEXT_RESULTS)


# functions whose text result keeps the collation of their first argument (or of any part, for concatenation)
_KEEPS_COLLATION = (exp.Paren, *(f.node for f in FUNCTIONS if f.keeps_collation))


def text_origin(node: exp.Expression) -> exp.Expression:
    """The text whose character set and collation ``node`` keeps (itself, or the first argument of UPPER, TRIM...)."""
    while isinstance(node, _KEEPS_COLLATION):
        node = node.this
    return node


def in_exact_collation(node: exp.Expression) -> bool:
    """Whether the text already carries the explicit collation ``ExactText.exact`` or ``key`` gave a part of it."""
    node = text_origin(node)
    if isinstance(node, exp.Concat):
        return any(in_exact_collation(part) for part in node.expressions)
    if isinstance(node, exp.DPipe):
        return in_exact_collation(node.this) or in_exact_collation(node.expression)
    return isinstance(node, exp.Collate)


def _is_literal(node: exp.Expression) -> bool:
    return isinstance(node, (exp.Null, exp.Boolean)) or (isinstance(node, exp.Literal) and node.is_string)


@dataclass(frozen=True)
class ExactText:
    """How an engine compares text by code points when the columns' collation would not.

    ``key(x)`` is a value that compares (=, <, IN, GROUP BY, MIN) as the text does by code points, trailing
    spaces included; ``text(k)`` is the text back from a key (for MIN/MAX/GREATEST/LEAST of keys);
    ``exact(x)`` is the text in a case- and accent-sensitive collation, for what reads it character by
    character (LIKE, REGEXP, the position of a text in another). ``bare_literals``: a text literal compared
    with a key compares exactly as it is (MySQL: a binary operand makes the comparison binary).
    ``like_pattern`` makes the engine's LIKE read a pattern as the neutral LIKE (no escape character).
    """

    key: Callable[[exp.Expression], exp.Expression]
    text: Callable[[exp.Expression], exp.Expression]
    exact: Callable[[exp.Expression], exp.Expression]
    bare_literals: bool = False
    like_pattern: Callable[[exp.Expression], exp.Expression] = lambda pattern: pattern


class _ExactText:
    """Every text comparison the views make, exact whatever the collation of the columns (see ``ExactText``)."""

    def __init__(self, spec: ExactText):
        self.spec = spec
        self.handlers = {cls: self._compare for cls in _COMPARISONS}
        self.handlers.update({exp.In: self._in, exp.Between: self._between, exp.Case: self._case,
                              exp.Nullif: self._nullif, exp.Min: self._extreme, exp.Max: self._extreme,
                              exp.Greatest: self._extreme, exp.Least: self._extreme, exp.Group: self._group,
                              exp.Select: self._distinct, exp.Like: self._like, exp.ILike: self._like,
                              exp.StrPosition: self._characters, exp.RegexpLike: self._characters,
                              exp.RegexpReplace: self._characters, exp.Window: self._window})
        self.types = tuple(self.handlers)

    def __call__(self, node: exp.Expression) -> exp.Expression:
        handler = self.handlers.get(type(node))
        return handler(node) if handler is not None else node

    def _keys(self, operands: list[exp.Expression]) -> list[exp.Expression]:
        """The operands of one text comparison as keys (a literal stays bare where the engine allows)."""
        if not self.spec.bare_literals or all(_is_literal(o) for o in operands):
            return [o if isinstance(o, exp.Null) else self.spec.key(o) for o in operands]
        return [o if _is_literal(o) else self.spec.key(o) for o in operands]

    def _compare(self, node: exp.Expression) -> exp.Expression:
        if is_text(node.this) or is_text(node.expression):
            left, right = self._keys([node.this, node.expression])
            node.set("this", left)
            node.set("expression", right)
        return node

    def _in(self, node: exp.Expression) -> exp.Expression:
        items = list(node.expressions)
        if is_text(node.this) or any(is_text(i) for i in items):
            keys = self._keys([node.this, *items])
            node.set("this", keys[0])
            node.set("expressions", keys[1:])
        return node

    def _between(self, node: exp.Expression) -> exp.Expression:
        parts = [node.this, node.args["low"], node.args["high"]]
        if any(is_text(p) for p in parts):
            for key, value in zip(("this", "low", "high"), self._keys(parts)):
                node.set(key, value)
        return node

    def _case(self, node: exp.Expression) -> exp.Expression:
        ifs = node.args.get("ifs") or []
        if node.this is None or not (is_text(node.this) or any(is_text(i.this) for i in ifs)):
            return node
        keys = self._keys([node.this, *[i.this for i in ifs]])
        node.set("this", keys[0])
        for branch, key in zip(ifs, keys[1:]):
            branch.set("this", key)
        return node

    def _nullif(self, node: exp.Expression) -> exp.Expression:
        if not (is_text(node.this) or is_text(node.expression)):
            return node
        same = exp.EQ(this=node.this.copy(), expression=node.expression.copy())
        return typed(_case((self._compare(same), exp.null()), default=node.this), Type.STRING)

    def _extreme(self, node: exp.Expression) -> exp.Expression:
        args = [node.this, *node.expressions]
        if not any(is_text(a) for a in args):
            return node
        keyed = type(node)(this=self.spec.key(args[0]))
        if args[1:]:   # GREATEST, LEAST
            keyed.set("expressions", [self.spec.key(a) for a in args[1:]])
        return typed(self.spec.text(keyed), Type.STRING)

    def _group(self, node: exp.Expression) -> exp.Expression:
        keys = [self.spec.key(e) for e in node.expressions if is_text(e)]
        if keys:
            node.set("expressions", [*node.expressions, *keys])
        return node

    def _distinct(self, node: exp.Expression) -> exp.Expression:
        """SELECT DISTINCT over text as GROUP BY every column and the key of every text column."""
        if not node.args.get("distinct") or node.args.get("group") is not None:
            return node
        values = [p.this if isinstance(p, exp.Alias) else p for p in node.expressions]
        if not any(is_text(v) for v in values):
            return node
        grouped = [v for v in values if not isinstance(v, (exp.Literal, exp.Null, exp.Boolean))]
        node.set("distinct", None)
        node.set("group", exp.Group(expressions=[v.copy() for v in grouped] + [self.spec.key(v) for v in grouped if is_text(v)]))
        return node

    def _exact(self, value: exp.Expression) -> exp.Expression:
        return value if in_exact_collation(value) else self.spec.exact(value)

    def _window(self, node: exp.Expression) -> exp.Expression:
        """PARTITION BY and ORDER BY of a window over text: by the keys (code points, whatever the collation)."""
        partition = node.args.get("partition_by") or []
        if any(is_text(p) for p in partition):
            node.set("partition_by", [self.spec.key(p) if is_text(p) else p for p in partition])
        order = node.args.get("order")
        for ordered in order.expressions if order is not None else []:
            if is_text(ordered.this):
                ordered.set("this", self.spec.key(ordered.this))
        return node

    def _like(self, node: exp.Expression) -> exp.Expression:
        value, pattern = self._exact(node.this), self._exact(self.spec.like_pattern(node.expression))
        if type(node) is exp.ILike:   # case-insensitive: both lower-cased, then matched exactly
            return exp.Like(this=exp.Lower(this=value), expression=exp.Lower(this=pattern))
        node.set("this", value)
        node.set("expression", pattern)
        return node

    def _characters(self, node: exp.Expression) -> exp.Expression:
        if type(node) is exp.StrPosition:
            node.set("substr", self._exact(node.args["substr"]))
        node.set("this", self._exact(node.this))
        return node


# ----------------------------------------------------------------------------- INITCAP emulations

def delimiter_class(escape_space: dict[str, str] | None = None) -> str:
    """The neutral delimiters as the body of a regex character class (Java, PCRE, RE2 and Python agree)."""
    spaces = escape_space or {" ": " ", "\t": r"\t", "\n": r"\n", "\r": r"\r", "\f": r"\f", "\v": r"\x0B"}
    return "".join(spaces[c] if c in spaces else "\\" + c for c in INITCAP_DELIMITERS)


def initcap_per_character(series: str, dialect: str,
                          length: Callable[[exp.Expression], exp.Expression] = lambda x: exp.Length(this=x)
                          ) -> Callable[[exp.Expression], exp.Expression]:
    """INITCAP as a scalar subquery over the characters of the text (engines without a usable INITCAP).

    ``series`` is a FROM item, in ``dialect``, giving column ``n`` = 1..``:len`` under alias ``g``.
    """
    def build(x: exp.Expression) -> exp.Expression:
        n = exp.column("n", table="g")
        char = exp.Substring(this=x.copy(), start=n.copy(), length=_num(1))
        before = exp.Substring(this=x.copy(), start=exp.Sub(this=n.copy(), expression=_num(1)), length=_num(1))
        starts_word = exp.or_(exp.EQ(this=n.copy(), expression=_num(1)),
                              exp.GT(this=exp.StrPosition(this=_str(INITCAP_DELIMITERS), substr=before), expression=_num(0)))
        letter = _case((starts_word, exp.Upper(this=char.copy())), default=exp.Lower(this=char))
        joined = exp.GroupConcat(this=exp.Order(this=letter, expressions=[exp.Ordered(this=n.copy())]), separator=_str(""))
        source = template(f"SELECT 1 FROM {series}", dialect, len=length(x.copy())).args["from_"].this
        query = exp.select(joined).from_(source)
        whole = exp.Coalesce(this=exp.Subquery(this=query), expressions=[_str("")])
        return typed(_case((exp.Is(this=x.copy(), expression=exp.null()), exp.null()), default=whole), Type.STRING)

    return build
