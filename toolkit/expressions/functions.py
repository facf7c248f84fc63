"""The whitelist of functions a mapping expression may call.

Each entry is data: the sqlglot node the function parses to, the types it accepts and
returns. Adding a function is one entry here (plus its Python runtime for translators)
and one test. Anything not listed is rejected by the checker.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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


def _fixed(t: Type) -> Callable[[list[Type]], Type]:
    return lambda _args: t


def _first(args: list[Type]) -> Type:
    return args[0] if args else Type.NULL


def _common(args: list[Type]) -> Type | None:
    return common_type(args)


def _sum(args: list[Type]) -> Type:
    return Type.INTEGER if args and args[0] is Type.INTEGER else (args[0] if args else Type.NULL)


FUNCTIONS: tuple[Function, ...] = (
    # text
    Function("UPPER", exp.Upper, (TEXT,), _fixed(Type.STRING), doc="upper-case text", python="_upper({0})"),
    Function("LOWER", exp.Lower, (TEXT,), _fixed(Type.STRING), doc="lower-case text", python="_lower({0})"),
    Function("TRIM", exp.Trim, (TEXT,), _fixed(Type.STRING), doc="strip leading and trailing spaces (also LTRIM, RTRIM)",
             also=("LTRIM", "RTRIM")),
    Function("INITCAP", exp.Initcap, (TEXT,), _fixed(Type.STRING), doc="capitalise the first letter of each word", python="_initcap({0})"),
    Function("LENGTH", exp.Length, (TEXT,), _fixed(Type.INTEGER), doc="number of characters", python="len({0})"),
    Function("SUBSTRING", exp.Substring, (TEXT, INTEGER, INTEGER), _fixed(Type.STRING), min_args=2,
             doc="SUBSTRING(text, start[, length]), 1-based (also SUBSTR)", python="_substring({args})"),
    Function("LEFT", exp.Left, (TEXT, INTEGER), _fixed(Type.STRING), min_args=2, doc="first n characters", python="{0}[:{1}]"),
    Function("RIGHT", exp.Right, (TEXT, INTEGER), _fixed(Type.STRING), min_args=2, doc="last n characters", python="_right({0}, {1})"),
    Function("REPLACE", exp.Replace, (TEXT, TEXT, TEXT), _fixed(Type.STRING), min_args=3,
             doc="REPLACE(text, search, replacement), every occurrence", python="_replace({0}, {1}, {2})"),
    Function("REGEXP_REPLACE", exp.RegexpReplace, (TEXT, TEXT, TEXT), _fixed(Type.STRING), min_args=3,
             doc="REGEXP_REPLACE(text, pattern, replacement), every match (RE2/Python syntax common subset)", python="_regexp_replace_dynamic({0}, {1}, {2})"),
    Function("REGEXP_LIKE", exp.RegexpLike, (TEXT, TEXT), _fixed(Type.BOOLEAN), min_args=2,
             doc="REGEXP_LIKE(text, pattern): whether the pattern matches somewhere in the text (anchor it with ^...$)"),
    Function("CONCAT", exp.Concat, (ANY,), _fixed(Type.STRING), variadic=True,
             doc="join values as text; NULL arguments count as empty text (unlike ||)"),
    Function("LPAD", exp.Pad, (TEXT, INTEGER, TEXT), _fixed(Type.STRING), min_args=3, doc="LPAD(text, length, fill)", python="_lpad({0}, {1}, {2})"),
    # null handling and choice
    Function("COALESCE", exp.Coalesce, (ANY,), _common, variadic=True, doc="first non-NULL argument"),
    Function("NULLIF", exp.Nullif, (ANY, ANY), _common, min_args=2, doc="NULL when both arguments are equal"),
    Function("GREATEST", exp.Greatest, (ANY,), _common, variadic=True, doc="largest non-NULL argument"),
    Function("LEAST", exp.Least, (ANY,), _common, variadic=True, doc="smallest non-NULL argument"),
    # numbers
    Function("ROUND", exp.Round, (NUMBER, INTEGER), _first, doc="ROUND(number[, digits]), half away from zero", python="_round({args})"),
    Function("ABS", exp.Abs, (NUMBER,), _first, doc="absolute value", python="abs({0})"),
    Function("FLOOR", exp.Floor, (NUMBER,), _fixed(Type.INTEGER), doc="round down to an integer", python="_floor({0})"),
    Function("CEIL", exp.Ceil, (NUMBER,), _fixed(Type.INTEGER), doc="round up to an integer", python="_ceil({0})"),
    # dates
    Function("YEAR", exp.Year, (TEMPORAL,), _fixed(Type.INTEGER), doc="calendar year of a date", python="{0}.year"),
    Function("MONTH", exp.Month, (TEMPORAL,), _fixed(Type.INTEGER), doc="month (1-12) of a date", python="{0}.month"),
    Function("DAY", exp.Day, (TEMPORAL,), _fixed(Type.INTEGER), doc="day of month of a date", python="{0}.day"),
    Function("STR_TO_DATE", exp.StrToDate, (TEXT, TEXT), _fixed(Type.DATE), min_args=2,
             doc="STR_TO_DATE(text, '%d/%m/%Y'): parse text with a strftime format; NULL if it does not match", python="_strptime_date({0}, {1})"),
    # aggregates: only in a derivation with group_by
    Function("COUNT", exp.Count, (ANY,), _fixed(Type.INTEGER), aggregate=True, min_args=0, doc="number of rows (COUNT(*)) or of non-NULL values"),
    Function("SUM", exp.Sum, (NUMBER,), _sum, aggregate=True, doc="sum of non-NULL values"),
    Function("MIN", exp.Min, (ANY,), _first, aggregate=True, doc="smallest value"),
    Function("MAX", exp.Max, (ANY,), _first, aggregate=True, doc="largest value"),
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
