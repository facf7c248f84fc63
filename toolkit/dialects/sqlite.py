"""SQLite: the embedded file database many small legacy systems run on.

Quirks, as data:
- a view in the main database cannot read an attached database, so views are TEMPORARY and
  re-created with DROP + CREATE (there is no CREATE OR REPLACE VIEW);
- no DECIMAL type (NUMERIC is stored as REAL): DECIMAL(p, s) values are rounded to s places;
- LIKE ignores ASCII case: a literal pattern becomes the case-sensitive GLOB;
- no LEFT/RIGHT, YEAR/MONTH/DAY, LPAD or SPLIT_PART: their entries in toolkit/expressions/functions.py
  spell them with SUBSTR, STRFTIME, ZEROBLOB and a recursive CTE;
- no regular expressions, no INITCAP, and UPPER/LOWER map ASCII letters only: the connection
  must provide REGEXP, REGEXP_REPLACE, INITCAP, UPPER and LOWER (``toolkit.run.engines.sqlite``
  registers Python functions with the neutral semantics).
"""
from sqlglot import exp

from toolkit.dialects import Dialect, register
from toolkit.dialects._portable import Quirks, handles, passes

_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


_DOUBLE = exp.DataType.build("DOUBLE")   # built once: sqlglot parses a type given as text on every build


def _decimal(value: exp.Expression, to: exp.DataType) -> exp.Expression:
    scale = int(to.expressions[1].name) if len(to.expressions) > 1 else 0
    return exp.Round(this=exp.Cast(this=value, to=_DOUBLE.copy()), decimals=exp.Literal.number(scale))


def _glob_pattern(like: str) -> str | None:
    """A LIKE pattern as a GLOB pattern, or None if it uses an escape character."""
    if "\\" in like:
        return None
    return "".join("*" if c == "%" else "?" if c == "_" else _GLOB_SPECIAL.get(c, c) for c in like)


@handles(exp.Like)
def _like_as_glob(node: exp.Expression) -> exp.Expression:
    if type(node) is exp.Like and isinstance(node.expression, exp.Literal) and not node.args.get("escape"):
        glob = _glob_pattern(node.expression.this)
        if glob is not None:
            return exp.Glob(this=node.this, expression=exp.Literal.string(glob))
    return node


SQLITE = register(Dialect(
    name="sqlite",
    sqlglot="sqlite",
    rewrites=passes("sqlite", Quirks(exact_numeric=None, upper_sharp_s=False, decimal_cast=_decimal, syntax=(_like_as_glob,))),
    create_view="DROP VIEW IF EXISTS + CREATE TEMPORARY VIEW",
    temporary_views=True,
    temporary_schema="temp",
    drop_before_create=True,
    executable_here=True,
    # a CHECK calling REGEXP would fail in any connection without the runtime functions
    constraints=frozenset({"primary_key", "not_null", "check"}),
    runtime_functions=("REGEXP", "REGEXP_REPLACE", "INITCAP", "UPPER", "LOWER"),
    notes="Attach each source database under its schema name; register the runtime functions on the connection.",
))
