"""The whitelist of functions a mapping expression may call, each entry all a function is.

An entry holds the sqlglot node the function parses to, the kinds of arguments it takes and its
type rule, the checks of its arguments, whether it aggregates (the only lineage kind a function
decides: an aggregate's column uses are counted per group), its Python for record translators
(template, special code, physical type), the copies of an operand its SQL makes (cost.py), whether
its text keeps its argument's collation, its LinkML-Map expression or why there is none, and its
SQL on the engines that lack it or spell it differently (``dialects``). Anything not listed is
rejected by the checker. Adding a function is one entry here, its Python helper in
toolkit/emit/templates/python_runtime.py (if the template calls one), its line in README's
whitelist and one test on the engines (see tests/test_function_split_part.py).

Which SQL belongs to the function and which to the dialect: an entry's ``dialects`` says how ONE
function is computed on an engine (SQLite has no LEFT: SUBSTR; T-SQL's LEN ignores trailing spaces;
MySQL has no SPLIT_PART: SUBSTRING_INDEX); "*" covers every engine not named. What an engine does
to many constructs stays in its dialect file as data (casts, division, text comparison and
collations, booleans, LIKE, decimals, type names, literals), and so do the two renderings built from
dialect-wide data: INITCAP per character over the engine's row series (``Quirks.initcap``) and
REGEXP_LIKE's spelling, which must follow the exact-collation pass (``Quirks.regexp_like``). The
neutral meaning every engine shares (CONCAT's NULLs, FLOOR/CEIL as integers, STR_TO_DATE's shapes,
ROUND through DECIMAL, GREATEST/LEAST ignoring NULLs) is the semantic phase in dialects/_portable.py,
whose passes' order matters. The renderings here run in each dialect's spelling phase, after INITCAP
and before exact text comparison, so a comparison a rendering writes is made exact on MySQL and SQL
Server too; a node a rendering writes is not offered to the renderings again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import sqlglot
from sqlglot import exp

from toolkit.core.types import Type
from toolkit.expressions.standardise import STANDARDISERS

# Argument kinds a function accepts.
TEXT, NUMBER, TEMPORAL, INTEGER, ANY, BOOLEAN = "text", "number", "temporal", "integer", "any", "boolean"


def _accepts(kind: str, t: Type) -> bool:
    if t is Type.NULL or kind == ANY:
        return True
    return {
        TEXT: t is Type.STRING,
        NUMBER: t.numeric,
        INTEGER: t is Type.INTEGER,
        TEMPORAL: t.temporal,
        BOOLEAN: t is Type.BOOLEAN,
    }[kind]


def common_type(types: list[Type]) -> Type | None:
    """The type values of ``types`` share (numeric widening, date into datetime), or None."""
    known = [t for t in types if t is not Type.NULL]
    if not known:
        return Type.NULL
    if all(t.numeric for t in known):
        for t in (Type.FLOAT, Type.DECIMAL, Type.INTEGER):
            if t in known:
                return t
    if all(t.temporal for t in known):
        return Type.DATETIME if Type.DATETIME in known else Type.DATE
    return known[0] if all(t is known[0] for t in known) else None


@dataclass(frozen=True)
class Function:
    name: str                       # as written in mappings
    node: type[exp.Expression]      # sqlglot node it parses to
    args: tuple[str, ...]           # kinds of the positional arguments (last one repeats if variadic)
    returns: Callable[[list[Type]], Type | None]
    min_args: int = 1
    variadic: bool = False
    aggregate: bool = False
    doc: str = ""
    # Python for record translators: a template over the (non-NULL) arguments {0}, {1}, ... or {args},
    # each used once, calling helpers from toolkit/emit/templates/python_runtime.py. Empty: COALESCE,
    # NULLIF, GREATEST, LEAST, CONCAT, TRIM and REGEXP_LIKE are compiled structurally; aggregates are not per record.
    python: str = ""
    also: tuple[str, ...] = ()      # other spellings that parse to the same node (listed in error messages)
    # Python a template cannot say: (compiler, compiled arguments) -> the code, or None to use the template
    python_special: Callable[[object, list], object] | None = None
    # the type DuckDB computes the result in, from the compiled arguments, where it keeps more than the type
    # rule says (a decimal's scale and precision); None: the type rule's
    python_type: Callable[[list], object] | None = None
    # LinkML-Map: its expression over the arguments' {0}, {1}... / {args}; None: LinkML-Map has no counterpart
    # (the slot is refused, naming the function); "": compiled from the node by toolkit/emit/linkml_map.py
    linkml: str | None = ""
    linkml_note: str = ""           # the caveat its LinkML-Map expression carries, or why there is none
    # a dialect rewrite reads the canonical type of its first argument (ROUND of a DOUBLE goes through DECIMAL)
    typed_operand: bool = False
    # checks of its arguments: the second is a regular expression (a quoted literal in the safe subset); takes
    # exactly its listed arguments (the message when not); arguments sqlglot fills itself, not the author's
    regex_pattern: bool = False
    exact_arity: str = ""
    sqlglot_fills: tuple[str, ...] = ()
    # NULL even from non-NULL arguments (STR_TO_DATE of a text in another shape): translators test for None
    may_be_null: bool = False
    # copies of each operand its SQL makes in the most repetitive dialect (toolkit/expressions/cost.py)
    copies: int = 1
    # a text result that keeps the character set and collation of the first argument (MySQL exact text)
    keeps_collation: bool = False
    # SQL per dialect: dialect name (or "*": every dialect not named) -> the engine's AST built from the node;
    # applied in the dialect's spelling phase (see the module docstring); a node it writes is not offered again
    dialects: Mapping[str, Callable[[exp.Expression], exp.Expression]] = field(default_factory=dict, hash=False, compare=False)

    @property
    def result_is_text(self) -> bool:
        """Whether the result is text whatever the arguments (a rule that ignores them and says STRING)."""
        return self.returns([]) is Type.STRING

    def rendering(self, dialect: str) -> Callable[[exp.Expression], exp.Expression] | None:
        return self.dialects.get(dialect, self.dialects.get("*"))


def _fixed(t: Type) -> Callable[[list[Type]], Type]:
    return lambda _args: t


def _first(args: list[Type]) -> Type:
    return args[0] if args else Type.NULL


def _common(args: list[Type]) -> Type | None:
    return common_type(args)


def template(sql: str, dialect: str, **parts: exp.Expression) -> exp.Expression:
    """An AST parsed once from ``sql`` in ``dialect`` with ``:name`` placeholders replaced by ``parts``."""
    tree = _parsed(sql, dialect).copy()
    return exp.replace_placeholders(tree, **{k: v.copy() for k, v in parts.items()})


_TEMPLATES: dict[tuple[str, str], exp.Expression] = {}


def _parsed(sql: str, dialect: str) -> exp.Expression:
    key = (sql, dialect)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = sqlglot.parse_one(sql, read=dialect)
    return _TEMPLATES[key]


def _sum(args: list[Type]) -> Type:
    return Type.INTEGER if args and args[0] is Type.INTEGER else (args[0] if args else Type.NULL)


# ----------------------------------------------------------------------------- Python beyond a template
# (toolkit/expressions/python.py compiles the arguments; these read them, imported when first called)

def _py_case(method: str):
    """str's own case mapping on ASCII text (DuckDB's too, and fast); the runtime's mapping otherwise."""
    def special(compiler, args):
        from toolkit.expressions.python import TEXT, PyExpr

        x = args[0]
        if x.ptype.type is Type.NULL:
            return None
        if x.nonnull:
            t = compiler.body.temp()
            return PyExpr(f"({t}.{method}() if ({t} := {x.code}).isascii() else _{method}({t}))", TEXT, True)
        first, later = compiler._bind(x)
        return PyExpr(f"(None if {first} is None else ({later}.{method}() if {later}.isascii() else _{method}({later})))", TEXT)
    return special


def _py_round_digits(compiler, args):
    from toolkit.expressions.python import NotCompilable

    if len(args) > 1 and args[0].ptype.type is Type.DECIMAL and not re.fullmatch(r"\(?-?[0-9]+\)?", args[1].code):
        raise NotCompilable("ROUND of a decimal needs a constant number of digits (as in DuckDB)")
    return None


def _py_same_as_first(args):
    return args[0].ptype


def _py_round_type(args):
    from toolkit.expressions.python import PType

    first = args[0].ptype
    if first.type is Type.DECIMAL:
        digits = int(args[1].code.strip("()")) if len(args) > 1 else 0
        return PType(Type.DECIMAL, min(first.scale or 0, max(digits, 0)), first.precision)
    return first


def _py_integral_type(args):
    """FLOOR/CEIL: a DECIMAL(p, 0) of a decimal, else a DOUBLE (the integer comes from the view's cast)."""
    from toolkit.expressions.python import FLOAT, PType

    first = args[0].ptype
    return PType(Type.DECIMAL, 0, first.precision) if first.type is Type.DECIMAL else FLOAT


# ----------------------------------------------------------------------------- SQL on engines that lack a function

def _renderings(**by_dialect: Callable[[exp.Expression], exp.Expression]) -> Mapping:
    return MappingProxyType({("*" if k == "other" else k): v for k, v in by_dialect.items()})


def _sqlite_left(node: exp.Expression) -> exp.Expression:
    return exp.Substring(this=node.this, start=exp.Literal.number(1), length=node.expression)


def _sqlite_right(node: exp.Expression) -> exp.Expression:
    n = node.expression
    return exp.Case(ifs=[exp.If(this=exp.LTE(this=n.copy(), expression=exp.Literal.number(0)), true=exp.Literal.string(""))],
                    default=exp.Substring(this=node.this, start=exp.Neg(this=exp.Paren(this=n))))


def _sqlite_date_part(part: str) -> Callable[[exp.Expression], exp.Expression]:
    return lambda node: exp.Cast(this=exp.TimeToStr(this=node.this, format=exp.Literal.string(part)),
                                 to=exp.DataType.build("BIGINT"))


def _sqlite_lpad(node: exp.Expression) -> exp.Expression:
    if not node.args.get("is_left"):
        return node
    text, width, fill = node.this, node.expression, node.args.get("fill_pattern") or exp.Literal.string(" ")
    padding = exp.Anonymous(this="REPLACE", expressions=[
        exp.Anonymous(this="HEX", expressions=[exp.Anonymous(this="ZEROBLOB", expressions=[width.copy()])]),
        exp.Literal.string("00"), fill])
    short = exp.LT(this=exp.Length(this=text.copy()), expression=width.copy())
    padded = exp.DPipe(this=exp.Substring(this=padding, start=exp.Literal.number(1),
                                          length=exp.Sub(this=width.copy(), expression=exp.Length(this=text.copy()))),
                       expression=text.copy(), safe=None)
    return exp.Case(ifs=[exp.If(this=short, true=padded)],
                    default=exp.Substring(this=text, start=exp.Literal.number(1), length=width))


def tsql_length(value: exp.Expression) -> exp.Expression:
    """SQL Server's LEN ignores trailing spaces: the length of the text with an 'x' after it, less one."""
    return exp.Sub(this=exp.Anonymous(this="LEN", expressions=[exp.Add(this=value, expression=exp.Literal.string("x"))]),
                   expression=exp.Literal.number(1))


def _tsql_substring(node: exp.Expression) -> exp.Expression:
    if node.args.get("length") is None:   # SQL Server's SUBSTRING needs a length
        node.set("length", exp.Literal.number(2147483647))
    return node


def _split_part(core: Callable[..., exp.Expression]) -> Callable[[exp.Expression], exp.Expression]:
    """SPLIT_PART with the neutral edges (NULL for a NULL argument or n < 1; an empty delimiter leaves the
    text whole) around ``core(text, delimiter, n)``, the n-th part or '' beyond the last on this engine."""
    def render(node: exp.Expression) -> exp.Expression:
        s, d, n = node.this, node.args["delimiter"], node.args["part_index"]
        unknown = exp.or_(*[exp.Is(this=x.copy(), expression=exp.null()) for x in (s, d, n)],
                          exp.LT(this=n.copy(), expression=exp.Literal.number(1)), copy=False)
        whole = exp.Case(ifs=[exp.If(this=exp.EQ(this=n.copy(), expression=exp.Literal.number(1)), true=s.copy())],
                         default=exp.Literal.string(""))
        return exp.Case(ifs=[exp.If(this=unknown, true=exp.null()),
                             exp.If(this=exp.EQ(this=d.copy(), expression=exp.Literal.string("")), true=whole)],
                        default=core(s.copy(), d.copy(), n.copy()))
    return render


_SPLIT_PART_SQL = {
    # the engine's own SPLIT_PART (Trino gives NULL beyond the last part; PostgreSQL and Spark take an INT n, and
    # no text has 2^31 parts)
    "other": "COALESCE(SPLIT_PART(:s, :d, CAST(LEAST(:n, 2147483647) AS INT)), '')",
    "bigquery": "COALESCE(SPLIT(:s, :d)[SAFE_OFFSET(:n - 1)], '')",
    # the text after the (n-1)-th delimiter, up to the n-th (SUBSTRING_INDEX matches case- and accent-sensitively)
    "mysql": "SUBSTRING(SUBSTRING_INDEX(:s, :d, :n), "
             "CHAR_LENGTH(SUBSTRING_INDEX(:s, :d, :n - 1)) + CASE WHEN :n > 1 THEN CHAR_LENGTH(:d) ELSE 0 END + 1)",
    # the parts one by one, from the left, until the n-th or the last
    "sqlite": "COALESCE((WITH RECURSIVE split_part__rest(i, rest) AS (SELECT 1, :s UNION ALL "
              "SELECT i + 1, SUBSTR(rest, INSTR(rest, :d) + LENGTH(:d)) FROM split_part__rest WHERE i < :n AND INSTR(rest, :d) > 0) "
              "SELECT CASE WHEN INSTR(rest, :d) > 0 THEN SUBSTR(rest, 1, INSTR(rest, :d) - 1) ELSE rest END "
              "FROM split_part__rest WHERE i = :n), '')",
    # STRING_SPLIT takes one character: each delimiter (matched by code points) becomes U+FFFF, a noncharacter
    "tsql": "COALESCE((SELECT value FROM STRING_SPLIT(REPLACE(:s COLLATE Latin1_General_100_BIN2, :d, NCHAR(65535)), "
            "NCHAR(65535), 1) WHERE ordinal = :n), '')",
}
_SPLIT_PART = _renderings(**{name: _split_part(lambda s, d, n, sql=sql, name=name: template(
    sql, "duckdb" if name == "other" else name, s=s, d=d, n=n)) for name, sql in _SPLIT_PART_SQL.items()})


FUNCTIONS: tuple[Function, ...] = (
    # text
    Function("UPPER", exp.Upper, (TEXT,), _fixed(Type.STRING), doc="upper-case text", python="_upper({0})", python_special=_py_case("upper"),
             linkml="upper({0})", linkml_note="UPPER/LOWER use Python's Unicode case mapping (e.g. 'ß' upper-cases to 'SS', SQL gives 'ẞ')",
             keeps_collation=True),
    Function("LOWER", exp.Lower, (TEXT,), _fixed(Type.STRING), doc="lower-case text", python="_lower({0})", python_special=_py_case("lower"),
             linkml="lower({0})", linkml_note="UPPER/LOWER use Python's Unicode case mapping (e.g. 'ß' upper-cases to 'SS', SQL gives 'ẞ')",
             keeps_collation=True),
    Function("TRIM", exp.Trim, (TEXT,), _fixed(Type.STRING), doc="strip leading and trailing spaces (also LTRIM, RTRIM)",
             also=("LTRIM", "RTRIM"), keeps_collation=True),
    Function("INITCAP", exp.Initcap, (TEXT,), _fixed(Type.STRING), doc="capitalise the first letter of each word", python="_initcap({0})", copies=5, sqlglot_fills=("expression",),
             linkml="title({0})", linkml_note="INITCAP is Python's title(), which also capitalises after digits"),
    Function("LENGTH", exp.Length, (TEXT,), _fixed(Type.INTEGER), doc="number of characters", python="len({0})", linkml="strlen({0})",
             dialects=_renderings(tsql=lambda node: tsql_length(node.this))),
    Function("SUBSTRING", exp.Substring, (TEXT, INTEGER, INTEGER), _fixed(Type.STRING), min_args=2,
             doc="SUBSTRING(text, start[, length]), 1-based (also SUBSTR)", python="_substring({args})",
             keeps_collation=True, dialects=_renderings(tsql=_tsql_substring)),
    Function("LEFT", exp.Left, (TEXT, INTEGER), _fixed(Type.STRING), min_args=2, doc="first n characters", python="{0}[:{1}]",
             keeps_collation=True, dialects=_renderings(sqlite=_sqlite_left)),
    Function("RIGHT", exp.Right, (TEXT, INTEGER), _fixed(Type.STRING), min_args=2, doc="last n characters", python="_right({0}, {1})",
             copies=2, keeps_collation=True, dialects=_renderings(sqlite=_sqlite_right)),
    Function("REPLACE", exp.Replace, (TEXT, TEXT, TEXT), _fixed(Type.STRING), min_args=3,
             doc="REPLACE(text, search, replacement), every occurrence", python="_replace({0}, {1}, {2})",
             keeps_collation=True),
    Function("REGEXP_REPLACE", exp.RegexpReplace, (TEXT, TEXT, TEXT), _fixed(Type.STRING), min_args=3,
             doc="REGEXP_REPLACE(text, pattern, replacement), every match (RE2/Python syntax common subset)", python="_regexp_replace_dynamic({0}, {1}, {2})",
             keeps_collation=True, regex_pattern=True, linkml=None,
             linkml_note="LinkML-Map has no regular-expression function"),
    Function("REGEXP_LIKE", exp.RegexpLike, (TEXT, TEXT), _fixed(Type.BOOLEAN), min_args=2,
             doc="REGEXP_LIKE(text, pattern): whether the pattern matches somewhere in the text (anchor it with ^...$)",
             regex_pattern=True, exact_arity="REGEXP_LIKE takes a text and a pattern, no flags: REGEXP_LIKE(email, '^[^@]+@[^@]+$')"),
    Function("CONCAT", exp.Concat, (ANY,), _fixed(Type.STRING), variadic=True,
             doc="join values as text; NULL arguments count as empty text (unlike ||)"),
    Function("LPAD", exp.Pad, (TEXT, INTEGER, TEXT), _fixed(Type.STRING), min_args=3, doc="LPAD(text, length, fill)", python="_lpad({0}, {1}, {2})",
             copies=4, keeps_collation=True, dialects=_renderings(sqlite=_sqlite_lpad), linkml=None),
    # null handling and choice
    Function("COALESCE", exp.Coalesce, (ANY,), _common, variadic=True, doc="first non-NULL argument", linkml="coalesce({args})"),
    Function("NULLIF", exp.Nullif, (ANY, ANY), _common, min_args=2, doc="NULL when both arguments are equal",
             copies=2),  # exact text on MySQL/T-SQL: CASE WHEN <exact x = y> THEN NULL ELSE x END
    Function("GREATEST", exp.Greatest, (ANY,), _common, variadic=True, doc="largest non-NULL argument", copies=2, linkml=None),
    Function("LEAST", exp.Least, (ANY,), _common, variadic=True, doc="smallest non-NULL argument", copies=2, linkml=None),
    # numbers
    Function("ROUND", exp.Round, (NUMBER, INTEGER), _first, doc="ROUND(number[, digits]), half away from zero", python="_round({args})",
             python_special=_py_round_digits, python_type=_py_round_type, typed_operand=True,
             linkml=None, linkml_note="Python's round() rounds halves to even, SQL half away from zero"),
    Function("ABS", exp.Abs, (NUMBER,), _first, doc="absolute value", python="abs({0})", python_type=_py_same_as_first, linkml="abs({0})"),
    Function("FLOOR", exp.Floor, (NUMBER,), _fixed(Type.INTEGER), doc="round down to an integer", python="_floor({0})", copies=2,
             python_type=_py_integral_type, linkml="floor({0})"),
    Function("CEIL", exp.Ceil, (NUMBER,), _fixed(Type.INTEGER), doc="round up to an integer", python="_ceil({0})", copies=2,
             python_type=_py_integral_type, linkml="ceil({0})"),
    # dates
    Function("YEAR", exp.Year, (TEMPORAL,), _fixed(Type.INTEGER), doc="calendar year of a date", python="{0}.year", linkml="{0}.year",
             dialects=_renderings(sqlite=_sqlite_date_part("%Y"))),
    Function("MONTH", exp.Month, (TEMPORAL,), _fixed(Type.INTEGER), doc="month (1-12) of a date", python="{0}.month", linkml="{0}.month",
             dialects=_renderings(sqlite=_sqlite_date_part("%m"))),
    Function("DAY", exp.Day, (TEMPORAL,), _fixed(Type.INTEGER), doc="day of month of a date", python="{0}.day", linkml="{0}.day",
             dialects=_renderings(sqlite=_sqlite_date_part("%d"))),
    Function("STR_TO_DATE", exp.StrToDate, (TEXT, TEXT), _fixed(Type.DATE), min_args=2,
             doc="STR_TO_DATE(text, '%d/%m/%Y'): parse text with a strftime format; NULL if it does not match", python="_strptime_date({0}, {1})",
             may_be_null=True, copies=12, linkml=None),
    Function("SPLIT_PART", exp.SplitPart, (TEXT, TEXT, INTEGER), _fixed(Type.STRING), min_args=3,
             doc="SPLIT_PART(text, delimiter, n): the n-th part (from 1) of the text cut at each delimiter; '' beyond "
                 "the last part, the whole text for n = 1 and an empty delimiter, NULL for n < 1",
             python="_split_part({0}, {1}, {2})", may_be_null=True, copies=7, dialects=_SPLIT_PART,
             linkml=None, linkml_note="LinkML-Map has no function that splits text"),
    # aggregates: only in a derivation with group_by
    Function("COUNT", exp.Count, (ANY,), _fixed(Type.INTEGER), aggregate=True, min_args=0, doc="number of rows (COUNT(*)) or of non-NULL values"),
    Function("SUM", exp.Sum, (NUMBER,), _sum, aggregate=True, doc="sum of non-NULL values"),
    Function("MIN", exp.Min, (ANY,), _first, aggregate=True, doc="smallest value",
             copies=2),  # T-SQL strips the exact-text key's trailing NUL: LEFT(k, LEN(k) - 1)
    Function("MAX", exp.Max, (ANY,), _first, aggregate=True, doc="largest value", copies=2),
    Function("AVG", exp.Avg, (NUMBER,), _fixed(Type.FLOAT), aggregate=True, doc="mean of non-NULL values"),
)

BY_NODE: dict[type[exp.Expression], Function] = {f.node: f for f in FUNCTIONS}

# Functions of our own, parsed by sqlglot as Anonymous and expanded when bound: GLOBAL_ID and the
# standardisation functions (toolkit/expressions/standardise.py).
GLOBAL_ID = "GLOBAL_ID"
OWN_FUNCTIONS = {
    GLOBAL_ID: "GLOBAL_ID('Class', key[, key...]): the canonical identifier '<source>:<Class>:<key>|<key>' "
               "a derivation of that class in this source gives (NULL if any key is NULL)",
    **{s.name: s.doc for s in STANDARDISERS.values()},
}
